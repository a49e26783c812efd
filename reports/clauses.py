"""Contract clauses as documents: a PDF to read and file (reportlab) and a DOCX to edit into the tender
(python-docx).

A plain library, like the rest of ``reports``: it takes plain data (``ClauseDocument``) and gives bytes. The
PDF embeds its fonts as ``reports.fonts`` chooses them, so Chinese text shows in any reader and stays
extractable; the DOCX names a Latin font and an East-Asian font on every run, so a word processor sets
Chinese text in a Chinese font.
"""

from __future__ import annotations

import io
from typing import Any, TypedDict

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from .fonts import ReportFonts
from .layout import MARGINS

__all__ = ["ClauseDocument", "ClauseEntry", "build_clauses_docx", "build_clauses_pdf"]


class ClauseEntry(TypedDict):
    number: int
    key: str
    section: str
    title: str
    text: str
    mitigation: list[str]  # the treatment and remediation actions the supplier commits to
    answers: list[str]  # what the clause answers, each with its reference (R-n, A-id…)
    baseline: bool


class ClauseDocument(TypedDict):
    lang: str
    title: str
    version: str
    buyer: str
    supplier: str
    system: str
    assessment: str
    generated_at: str
    rule: str
    clauses: list[ClauseEntry]
    omitted: list[str]
    labels: dict[str, str]  # the words around the clauses, in the document's language


def _facts(data: ClauseDocument) -> list[tuple[str, str]]:
    labels = data["labels"]
    return [
        (labels["buyer"], data["buyer"]),
        (labels["supplier"], data["supplier"]),
        (labels["system"], data["system"]),
        (labels["assessment"], data["assessment"]),
        (labels["generated"], data["generated_at"]),
    ]


def _sections(data: ClauseDocument) -> list[tuple[str, list[ClauseEntry]]]:
    """The clauses grouped under their sections, in order."""
    grouped: list[tuple[str, list[ClauseEntry]]] = []
    for clause in data["clauses"]:
        if not grouped or grouped[-1][0] != clause["section"]:
            grouped.append((clause["section"], []))
        grouped[-1][1].append(clause)
    return grouped


def _heading(clause: ClauseEntry) -> str:
    return f"{clause['number']}. {clause['title']}"


def _answers_line(data: ClauseDocument, clause: ClauseEntry) -> str:
    return f"{data['labels']['answers']}: " + "; ".join(clause["answers"])


# --- PDF ---------------------------------------------------------------------------------------------------


def _pdf_styles(fonts: ReportFonts, lang: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body", fontName=fonts.name, fontSize=10, leading=14, wordWrap="CJK" if lang == "zh" else None
    )
    bold = fonts.bold_name
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=17, leading=22, spaceAfter=8),
        "h1": ParagraphStyle("h1", parent=base, fontName=bold, fontSize=13, leading=17, spaceBefore=10),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=11, leading=14, spaceBefore=8),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11),
        "ref": ParagraphStyle(
            "ref", parent=base, fontSize=8.5, leading=11, textColor=colors.HexColor("#374151"), leftIndent=8
        ),
        "item": ParagraphStyle("item", parent=base, leftIndent=12, bulletIndent=2),
    }


def build_clauses_pdf(data: ClauseDocument, cjk_font: str | None = None) -> bytes:
    """The clauses as a PDF with embedded fonts.

    Parameters
    ----------
    data : ClauseDocument
    cjk_font : str, optional
        The path of a TrueType font with Chinese glyphs; by default an installed one (``reports.fonts``).

    Raises FontNotFound when Chinese text needs a font and none is installed.
    """
    fonts = ReportFonts(data["lang"], cjk_font)
    styles = _pdf_styles(fonts, data["lang"])

    def p(text: str, style: str = "body", **kwargs: Any) -> Paragraph:
        return Paragraph(fonts.markup(text), styles[style], **kwargs)

    story: list[Any] = [p(data["title"], "title")]
    story += [p(f"{label}: {value}", "small") for label, value in _facts(data)]
    story += [Spacer(1, 4 * mm), p(data["labels"]["rule"], "h2"), p(data["rule"], "small")]
    for section, clauses in _sections(data):
        story.append(p(section, "h1"))
        for clause in clauses:
            block: list[Flowable] = [p(_heading(clause), "h2"), p(clause["text"])]
            if clause["mitigation"]:
                block.append(p(data["labels"]["mitigation"] + ":"))
                block += [p(line, "item", bulletText="•") for line in clause["mitigation"]]
            block.append(p(_answers_line(data, clause), "ref"))
            story.append(KeepTogether(block))
    if data["omitted"]:
        story += [p(data["labels"]["omitted"], "h1"), p("; ".join(data["omitted"]) + ".", "small")]
    buffer = io.BytesIO()
    # initialFontName: else every page starts in reportlab's Helvetica, which is not embedded
    document = SimpleDocTemplate(
        buffer,
        title=data["title"],
        author=data["buyer"],
        subject=data["system"],
        initialFontName=fonts.name,
        **MARGINS,
    )
    document.build(story)
    return buffer.getvalue()


# --- DOCX --------------------------------------------------------------------------------------------------

LATIN_FONT = "Arial"
# SimSun ships with every Chinese Windows and Office; word processors substitute a Chinese font elsewhere.
EAST_ASIAN_FONT = "SimSun"


def _fonts(run: Any) -> None:
    """Name the Latin and the East-Asian font of a run: Word sets Chinese in w:eastAsia, not in font.name."""
    from docx.oxml.ns import qn

    run.font.name = LATIN_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)


def _paragraph(document: Any, text: str, style: str | None = None, bold: bool = False) -> Any:
    paragraph = document.add_paragraph(style=style)
    run = paragraph.add_run(text)
    run.bold = bold or None
    _fonts(run)
    return paragraph


def _docx_heading(document: Any, text: str, level: int) -> None:
    heading = document.add_heading(level=level)
    _fonts(heading.add_run(text))


def _docx_language(document: Any, lang: str) -> None:
    """The default language and fonts of the document's text, for spelling and for the choice of glyphs."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    properties = normal.element.get_or_add_rPr()
    properties.get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-GB")
    language.set(qn("w:eastAsia"), "zh-CN")
    properties.append(language)


def build_clauses_docx(data: ClauseDocument) -> bytes:
    """The clauses as an editable Word document: a heading per section and per clause, the clause text, the
    mitigation as a list and what the clause answers in a smaller line."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    _docx_language(document, data["lang"])
    properties = document.core_properties
    properties.title, properties.author, properties.subject = data["title"], data["buyer"], data["system"]
    _docx_heading(document, data["title"], 0)
    for label, value in _facts(data):
        _paragraph(document, f"{label}: {value}")
    _docx_heading(document, data["labels"]["rule"], 2)
    _paragraph(document, data["rule"])
    for section, clauses in _sections(data):
        _docx_heading(document, section, 1)
        for clause in clauses:
            _docx_heading(document, _heading(clause), 2)
            _paragraph(document, clause["text"])
            if clause["mitigation"]:
                _paragraph(document, data["labels"]["mitigation"] + ":")
                for line in clause["mitigation"]:
                    _paragraph(document, line, style="List Bullet")
            answers = _paragraph(document, _answers_line(data, clause))
            for run in answers.runs:
                run.font.size = Pt(8.5)
                run.italic = True
    if data["omitted"]:
        _docx_heading(document, data["labels"]["omitted"], 1)
        _paragraph(document, "; ".join(data["omitted"]) + ".")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
