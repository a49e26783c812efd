"""The fonts of a report: TrueType fonts embedded (as subsets) in every PDF, so that any reader on any machine
shows the text and any tool can extract it. Nothing relies on the reader having a font of its own: reportlab's
standard Helvetica and its CID font STSong-Light are never used, because neither is embedded.

Latin text is set in DejaVu Sans (Debian's fonts-dejavu-core), else Liberation Sans, else the Bitstream Vera
that ships inside reportlab, so an English report can always be built. Chinese text needs a TrueType font with
Chinese glyphs: the one given, else the first of the usual Debian fonts that is installed. Characters the main
font of a report lacks (Chinese in an English report, a bullet in a Chinese one) are set in the other font.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

_BUNDLED = Path(reportlab.__file__).parent / "fonts"

# (regular, bold), best coverage first; the last pair ships with reportlab and is always there.
LATIN_FONTS = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
    (str(_BUNDLED / "Vera.ttf"), str(_BUNDLED / "VeraBd.ttf")),
)

# (file, Debian package). Noto Sans CJK (fonts-noto-cjk) is not listed: its outlines are CFF, which reportlab
# cannot embed. A .ttc collection is read at its first face.
CJK_FONTS = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "fonts-wqy-microhei"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", "fonts-arphic-uming"),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", "fonts-arphic-ukai"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "fonts-droid-fallback"),
)

# Scripts that only a CJK font can show; other characters no font has (emoji, say) are left to the main font.
_CJK_RANGES = (
    (0x2E80, 0xA4CF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0x20000, 0x3FFFF),
)

_lock = threading.Lock()
_loaded: dict[str, TTFont] = {}


class FontNotFound(ValueError):
    """No font to embed for the report's text; the message says what to install or configure."""


def _load(path: str) -> TTFont:
    """Register the TrueType font at path once per process (reading a CJK font takes about half a second)."""
    with _lock:
        font = _loaded.get(path)
        if font is None:
            font = TTFont(f"HRIA-{len(_loaded)}-{Path(path).stem}", path, subfontIndex=0)
            pdfmetrics.registerFont(font)
            _loaded[path] = font
        return font


def latin_fonts() -> tuple[TTFont, TTFont]:
    """The regular and bold Latin fonts: the first installed pair of LATIN_FONTS."""
    for regular, bold in LATIN_FONTS:
        if Path(regular).is_file() and Path(bold).is_file():
            return _load(regular), _load(bold)
    raise FontNotFound("reportlab's own Vera fonts are missing: reinstall reportlab.")  # pragma: no cover


def cjk_font(path: str | None = None, candidates: Sequence[tuple[str, str]] = CJK_FONTS) -> TTFont:
    """The font for Chinese text: the file at path if given, else the first installed of candidates.

    Raises FontNotFound, saying what to install or to configure, rather than falling back to a font that
    would not be embedded.
    """
    if path:
        return _cjk_from(Path(path).expanduser())
    unusable = []
    for candidate, _ in candidates:
        if Path(candidate).is_file():
            try:
                return _cjk_from(Path(candidate))
            except FontNotFound as error:
                unusable.append(str(error))
    looked = ", ".join(f"{file} ({package})" for file, package in candidates) or "nowhere"
    raise FontNotFound(
        "Chinese text in a report needs a TrueType font with Chinese glyphs to embed, and none was "
        f"found (looked for {looked}). Install one, for example `apt-get install fonts-wqy-zenhei`, "
        "or set HRIA_CJK_FONT to the path of a .ttf or .ttc font with Chinese glyphs."
        + (" " + " ".join(unusable) if unusable else "")
    )


def _cjk_from(path: Path) -> TTFont:
    if not path.is_file():
        raise FontNotFound(
            f"The Chinese font {path} (HRIA_CJK_FONT) does not exist; give the path of a .ttf or .ttc "
            "font with Chinese glyphs, or unset HRIA_CJK_FONT to use an installed one such as "
            "fonts-wqy-zenhei."
        )
    try:
        font = _load(str(path))
    except (TTFError, OSError, ValueError) as error:
        raise FontNotFound(
            f"The font {path} cannot be embedded ({error}); use a TrueType .ttf or .ttc font with "
            "Chinese glyphs, such as /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc from "
            "fonts-wqy-zenhei."
        ) from None
    if not _covers(font, "中文报告"):
        raise FontNotFound(
            f"The font {path} has no Chinese glyphs; use one that has, such as "
            "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc from fonts-wqy-zenhei."
        )
    return font


def _covers(font: TTFont, text: str) -> bool:
    glyphs = font.face.charToGlyph
    return all(ord(c) in glyphs for c in text)


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


class ReportFonts:
    """The fonts of one report: a main regular and bold font, and a font for what the main one cannot show.

    A Chinese report sets everything in the CJK font and falls back to the Latin one; an English report is the
    other way round, and looks for a CJK font only when its text has a character the Latin font lacks.
    """

    def __init__(self, lang: str, cjk_path: str | None = None):
        self._cjk_path = cjk_path
        self._missing: FontNotFound | None = None
        self._fallback: TTFont | None
        latin, latin_bold = latin_fonts()
        if lang == "zh":
            cjk = cjk_font(cjk_path)
            self.regular, self.bold, self._fallback = cjk, cjk, latin
        else:
            self.regular, self.bold, self._fallback = latin, latin_bold, None

    @property
    def name(self) -> str:
        return self.regular.fontName

    @property
    def bold_name(self) -> str:
        return self.bold.fontName

    def markup(self, text: str) -> str:
        """Paragraph markup of plain text: escaped, with runs the main font lacks in a font that has them."""
        runs: list[str] = []
        current: list[str] = []
        face: TTFont | None = None
        for char in text:
            wanted = self._face_for(char)
            if wanted is not face and current:
                runs.append(self._run("".join(current), face))
                current = []
            face = wanted
            current.append(char)
        if current:
            runs.append(self._run("".join(current), face))
        return "".join(runs)

    def label_font(self, text: str) -> str:
        """One font for a line drawn outside a paragraph (running header, chart label): the main font, unless
        the other one has every character of it and the main one has not."""
        others = {face for face in map(self._face_for, text) if face is not None}
        if not others:
            return self.name
        other = others.pop()
        return other.fontName if _covers(other, text) else self.name

    def _face_for(self, char: str) -> TTFont | None:
        """None for the main font, else the font to set the character in."""
        if ord(char) in self.regular.face.charToGlyph or char in "\n\t":
            return None
        other = self._other(char)
        return other if other is not None and ord(char) in other.face.charToGlyph else None

    def _other(self, char: str) -> TTFont | None:
        if self._fallback is None and self._missing is None:
            try:
                self._fallback = cjk_font(self._cjk_path)
            except FontNotFound as error:
                self._missing = error
        if self._fallback is None and _is_cjk(char):
            # An English report with Chinese in it: refuse rather than sign a PDF that drops those characters.
            raise FontNotFound(str(self._missing))
        return self._fallback

    @staticmethod
    def _run(text: str, face: TTFont | None) -> str:
        escaped = escape(text)
        return escaped if face is None else f'<font face="{face.fontName}">{escaped}</font>'
