"""The report as a PDF (reportlab), laid out for a reader who may stop after the first page.

Page 1 is the executive summary: the facts, the impact level and what it obliges, the risk heat map, the three
most serious findings, the fairness verdicts as a forest plot, remediation progress and the review. Then the
contents (with page numbers and links), the summary and method, the risk register as a one-line-per-right
table, the fairness and explanation sections with their charts, the remediation plan and obligations, the
annexes (the answers; what each risk rests on; the fairness findings in words) and, last, the sign-off page
with a box for each signature (see ``reports.layout``). Every heading is a bookmark; every page says
"page n of N". Every font is a TrueType subset embedded in the file (see ``reports.fonts``), so Chinese and
English text show in any reader and stay real text.

``build_report(data, cjk_font=None)`` takes plain data, typed as ``reports.content.ReportContent``. A section
whose key is absent from the data is left out: it is not the issuer's to show. Text of any length lays out: a
table row too tall for a page becomes paragraphs that break across pages.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from typing import Any

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from . import charts
from .content import Explanation, FairnessResult, FrameworkCoverage, ReportContent, Risk, Verdict
from .fonts import ReportFonts
from .labels import LABELS
from .layout import (
    BODY_HEIGHT,
    BODY_WIDTH,
    MARGINS,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    SIGNOFF_TEXT_HEIGHT,
    signature_box,
)

__all__ = ["LABELS", "REPORT_KEYS", "build_report"]

CELL_PADDING = 3
GRID = colors.HexColor("#c8ccd4")
HEAD = colors.HexColor("#eef1f5")
# reportlab cannot break a table row across pages, so a row taller than this leaves its table and is set as
# paragraphs that can break; a third of a page bounds the blank space a row moving to the next page leaves.
MAX_ROW_HEIGHT = BODY_HEIGHT / 3
# Rows of the forest plot on the first page, and in a fairness section.
EXECUTIVE_VERDICTS, SECTION_VERDICTS = 6, 14
TOP_FINDINGS = 3
IMPORTANCE_BARS = 12
# Verdicts that a reader must look at, worst first.
SHOWN_VERDICTS = ("disparity", "inconclusive")
IMPACT_COLOURS = {"I": "#cfe8cf", "II": "#fff0b3", "III": "#ffc98a", "IV": "#f28b82"}

# Every key of the content build_report takes, in order: a JSON export of a report's content has them all.
REPORT_KEYS = tuple(ReportContent.__annotations__)


def _styles(fonts: ReportFonts, lang: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body",
        fontName=fonts.name,
        fontSize=9.5,
        leading=13,
        alignment=TA_LEFT,
        wordWrap="CJK" if lang == "zh" else None,
    )

    def style(name: str, **kwargs: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **kwargs)

    bold = fonts.bold_name
    return {
        "body": base,
        "small": style("small", fontSize=8, leading=10.5),
        "caption": style(
            "caption", fontSize=7.5, leading=9.5, textColor=colors.HexColor("#4b5563"), spaceAfter=4
        ),
        "cell": style("cell", fontSize=8, leading=10),
        "label": style("label", fontName=bold, fontSize=8, leading=10, spaceBefore=4, spaceAfter=1),
        "kicker": style(
            "kicker", fontName=bold, fontSize=9, leading=12, textColor=colors.HexColor("#4b5563")
        ),
        "title": style("title", fontName=bold, fontSize=18, leading=23, spaceAfter=6),
        "block": style("block", fontName=bold, fontSize=9.5, leading=12, spaceBefore=7, spaceAfter=3),
        "h1": style("h1", fontName=bold, fontSize=14, leading=18, spaceBefore=10, spaceAfter=6),
        "h2": style("h2", fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4),
    }


# A TableStyle command: its name, the first and last cell, then its values.
_TableCommand = tuple[str, tuple[int, int], tuple[int, int], *tuple[Any, ...]]

_CONTROL = {c: None for c in range(32) if chr(c) not in "\t\n\r"} | {0x7F: None}


def _text(value: object) -> str:
    """Plain text to set: control characters (pasted from other programs) have no glyph in any font."""
    return str(value if value is not None else "").translate(_CONTROL)


class _Canvas(Canvas):
    """A canvas that writes page numbers known only at the end: "page n of N" and the contents' page numbers
    are form XObjects drawn where they belong and defined when the document is saved, so one layout pass
    suffices."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.page_of: dict[str, int] = {}
        self.forms_used: dict[str, Callable[[_Canvas], None]] = {}
        self.footer_text: Callable[[int, int], str] = lambda n, total: f"{n}/{total}"
        self.number_font = ""

    def deferred(self, name: str, draw: Callable[[_Canvas], None]) -> None:
        """Draw the form name here; draw (called at save) makes it."""
        self.forms_used.setdefault(name, draw)
        self.doForm(name)

    def save(self) -> None:
        if len(self._code):  # type: ignore[attr-defined]
            self.showPage()
        for name, draw in self.forms_used.items():
            self.beginForm(name, -int(PAGE_WIDTH), -20, int(PAGE_WIDTH), 40)
            draw(self)
            self.endForm()
        super().save()


class _Document(BaseDocTemplate):
    """Adds a bookmark and an outline entry for every heading, records its page for the contents, and draws
    the running header and the "page n of N" footer."""

    def __init__(self, buffer: io.BytesIO, data: ReportContent, labels: dict[str, str], fonts: ReportFonts):
        # initialFontName: else every page starts in reportlab's Helvetica, which is not embedded
        super().__init__(
            buffer,
            **MARGINS,
            pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
            title=labels[data["kind"]],
            author=data["organisation"],
            subject=data["system"]["name"],
            creator="HRIA",
            initialFontName=fonts.name,
        )
        self.labels, self.fonts, self.data = labels, fonts, data
        self.draft = _draft_note(data, labels)
        self.header = self._header(
            f"{labels[data['kind']]} · ", _text(data["system"]["name"]), f" · {data['report_id']}"
        )
        body = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        signoff = Frame(
            self.leftMargin,
            self.bottomMargin + self.height - SIGNOFF_TEXT_HEIGHT,
            self.width,
            SIGNOFF_TEXT_HEIGHT,
            id="signoff",
        )
        self.addPageTemplates(
            [
                PageTemplate(id="page", frames=[body], onPage=self._decorate),
                PageTemplate(id="signoff", frames=[signoff], onPage=self._signoff_page),
            ]
        )

    def _header(self, before: str, name: str, after: str) -> Paragraph:
        """The running header, one line: the system's name is shortened until it fits. A paragraph rather than
        a drawn string, so a name in two scripts shows in two fonts."""
        style = ParagraphStyle(
            "header", fontName=self.fonts.name, fontSize=7.5, leading=9, textColor=colors.grey
        )
        name = " ".join(name.split())
        line = before + name + after
        while True:
            header = Paragraph(self.fonts.markup(line), style)
            if len(name) <= 1 or header.wrap(self.width, PAGE_HEIGHT)[1] <= style.leading:
                return header
            name = name[: max(1, len(name) * 4 // 5)]
            line = f"{before}{name}…{after}"

    def _decorate(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        self.header.wrapOn(canvas, self.width, PAGE_HEIGHT)
        self.header.drawOn(canvas, self.leftMargin, PAGE_HEIGHT - 14 * mm)
        page, labels, font = doc.page, self.labels, self.fonts.name

        def footer(c: _Canvas) -> None:
            total = c.getPageNumber() - 1
            c.setFillColor(colors.grey)
            c.setFont(font, 7.5)
            c.drawRightString(0, 0, labels["page_of"].format(page=page, total=total))

        if self.draft:  # on every page, so no page of a draft can pass for the report
            canvas.setFillColor(colors.red)
            canvas.setFont(self.fonts.label_font(self.draft), 7.5)
            canvas.drawString(self.leftMargin, 10 * mm, self.draft)
        canvas.translate(PAGE_WIDTH - self.rightMargin, 10 * mm)
        assert isinstance(canvas, _Canvas)
        canvas.deferred(f"footer-{page}", footer)
        canvas.restoreState()

    def _signoff_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        """The sign-off page: a captioned, empty frame where each signature's appearance will be."""
        self._decorate(canvas, doc)
        canvas.saveState()
        for index, party in enumerate(self.data.get("signoff", [])):
            box = signature_box(index)
            if box is None:
                break
            x1, y1, x2, y2 = box
            pending = self.labels["signature_pending" if index == 0 else "countersignature_pending"]
            # At issue only the issuer has signed: a countersigner's box says it is awaited, not signed.
            state = self.labels["signed_as" if index == 0 else "awaited_as"]
            who, what = f"{index + 1}. {party['organisation']}", f"{state}: {party['role']}"
            canvas.setFillColor(colors.HexColor("#1f2933"))
            for text, y in ((who, y2 + 5.5 * mm), (what, y2 + 2 * mm)):
                font = self.fonts.label_font(text)
                canvas.setFont(font, 8)
                canvas.drawString(x1, y, charts.shorten(text, font, 8, x2 - x1))
            canvas.setStrokeColor(GRID)
            canvas.setDash(2, 2)
            canvas.rect(x1, y1, x2 - x1, y2 - y1)
            canvas.setFillColor(colors.HexColor("#9aa1ab"))
            canvas.setFont(self.fonts.label_font(pending), 7)
            canvas.drawString(x1 + 3, y1 + 3, f"{self.labels['signature_box']} {index + 1}: {pending}")
        canvas.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:
        if not isinstance(flowable, _Heading):
            return
        key = flowable.outline_key
        assert isinstance(self.canv, _Canvas)
        self.canv.page_of[key] = self.page
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(flowable.outline_text, key, level=flowable.outline_level)


class _Heading(Paragraph):
    """A heading: a bookmark, an outline entry (its own text unless told otherwise) and a line of contents."""

    outline_key: str
    outline_text: str
    outline_level: int


class _ContentsLine(Flowable):
    """One line of the contents: the heading's text, a link to it, and its page number (known at save)."""

    def __init__(self, heading: _Heading, fonts: ReportFonts):
        super().__init__()
        self.heading, self.fonts = heading, fonts

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        return availWidth, 14 if self.heading.outline_level == 0 else 12

    def draw(self) -> None:
        canvas = self.canv
        assert isinstance(canvas, _Canvas)
        level, key = self.heading.outline_level, self.heading.outline_key
        size = 9.5 if level == 0 else 8.5
        text = self.heading.outline_text
        font = self.fonts.label_font(text) if level else self.fonts.bold_name
        indent = level * 6 * mm
        canvas.setFont(font, size)
        canvas.drawString(indent, 3, charts.shorten(text, font, size, self.width - indent - 20 * mm))
        number_font = self.fonts.name
        canvas.saveState()
        canvas.translate(self.width, 3)
        canvas.deferred(f"toc-{key}", lambda c: _page_number(c, key, number_font, size))
        canvas.restoreState()
        canvas.linkRect("", key, (0, 0, self.width, 12), relative=1, thickness=0)


def _page_number(canvas: _Canvas, key: str, font: str, size: float) -> None:
    canvas.setFont(font, size)
    canvas.drawRightString(0, 0, str(canvas.page_of.get(key, "")))


class _Writer:
    """Turns plain text into flowables in the report's fonts and styles, and keeps the list of headings."""

    def __init__(self, fonts: ReportFonts, styles: dict[str, ParagraphStyle], labels: dict[str, str]):
        self.fonts, self.styles, self.labels = fonts, styles, labels
        self.headings: list[_Heading] = []
        self.figures = 0

    def p(self, text: object, style: str = "body") -> Paragraph:
        return Paragraph(
            "<br/>".join(self.fonts.markup(line) for line in _text(text).splitlines()), self.styles[style]
        )

    def heading(
        self, text: object, level: int = 0, outline: str | None = None, style: str | None = None
    ) -> _Heading:
        """A heading in the outline and the contents (level 0: a section or annex, 1: a part of it)."""
        heading = _Heading(
            self.fonts.markup(_text(text)), self.styles[style or ("h1" if level == 0 else "h2")]
        )
        heading.outline_key = f"h{len(self.headings) + 1}"
        heading.outline_text = " ".join(_text(outline if outline is not None else text).split())
        heading.outline_level = level
        self.headings.append(heading)
        return heading

    def figure(self, drawing: Drawing, caption: str) -> Flowable:
        """A chart with its caption: the caption says in words what the chart shows, for a reader who cannot
        see it (a screen reader, a text extract)."""
        self.figures += 1
        text = f"{self.labels['figure']} {self.figures}. {caption}"
        return KeepTogether([Spacer(1, 2 * mm), drawing, Spacer(1, 1 * mm), self.p(text, "caption")])

    def lines(self, text: object, style: str = "body") -> list[Flowable]:
        """Text of any length as one paragraph per line: a page can break between any two lines, and reportlab
        does not re-wrap a long paragraph on every page it breaks across."""
        leading = self.styles[style].leading
        return [
            Paragraph(self.fonts.markup(line), self.styles[style]) if line.strip() else Spacer(1, leading)
            for line in _text(text).splitlines()
        ]

    def table(
        self, rows: Sequence[Sequence[object]], widths: list[float], header: bool = True
    ) -> list[Flowable]:
        """A grid of cells; a row too tall for its share of a page is set in full width between two parts of
        the grid instead, so no text is too long to lay out."""
        head = [self.p(c, "cell") for c in rows[0]] if header else None
        flow: list[Flowable] = []
        batch: list[list[Paragraph]] = []
        for row in rows[1:] if header else rows:
            cells = [self.p(c, "cell") for c in row]
            if _row_height(cells, widths) <= MAX_ROW_HEIGHT:
                batch.append(cells)
                continue
            flow += self._grid(head, batch, widths) + self._block(rows[0] if header else None, row)
            batch = []
        return flow + self._grid(head, batch, widths)

    def _grid(
        self, head: list[Paragraph] | None, batch: list[list[Paragraph]], widths: list[float]
    ) -> list[Flowable]:
        if not batch:
            return []
        table = Table(([head] if head else []) + batch, colWidths=widths, repeatRows=1 if head else 0)
        commands = _grid_style(self.fonts)
        if head:
            commands.append(("BACKGROUND", (0, 0), (-1, 0), HEAD))
        table.setStyle(TableStyle(commands))
        return [table]

    def _block(self, head: Sequence[object] | None, row: Sequence[object]) -> list[Flowable]:
        """One row as labelled paragraphs: under the header's label, or, without a header, under its first
        cell."""
        labelled = zip(head, row, strict=True) if head else [(row[0], text) for text in row[1:]]
        parts: list[Flowable] = [
            Spacer(1, 2 * mm),
            HRFlowable(width="100%", thickness=0.3, color=GRID, spaceAfter=2),
        ]
        for label, text in labelled:
            if _text(text).strip():
                parts += [self.p(label, "label"), *self.lines(text)]
        return [*parts, HRFlowable(width="100%", thickness=0.3, color=GRID, spaceBefore=4, spaceAfter=2 * mm)]


def _grid_style(fonts: ReportFonts) -> list[_TableCommand]:
    # FONT: a table sets its cells' font, by default reportlab's Helvetica, which is not embedded
    return [
        ("FONT", (0, 0), (-1, -1), fonts.name),
        ("GRID", (0, 0), (-1, -1), 0.3, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]


def _row_height(cells: list[Paragraph], widths: list[float]) -> float:
    return (
        max(cell.wrap(width - 2 * CELL_PADDING, 10**9)[1] for cell, width in zip(cells, widths, strict=True))
        + 2 * CELL_PADDING
    )


def _draft_note(data: ReportContent, labels: dict[str, str]) -> str:
    if not data.get("draft"):
        return ""
    return labels["draft"].format(answered=data.get("answered", 0), questions=data.get("questions", 0))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


class _Report:
    """The parts of one report, each a list of flowables."""

    def __init__(self, data: ReportContent, labels: dict[str, str], w: _Writer):
        self.data, self.labels, self.w = data, labels, w

    # -- shared vocabulary

    def ref(self, number: int) -> str:
        return f"R{number}"

    def annex_ref(self, number: int) -> str:
        return f"{self.labels['annex']} B.{number}"

    def metric(self, key: str) -> str:
        return self.labels.get(key, key.replace("_", " "))

    def verdict(self, key: str) -> str:
        return self.labels.get(f"verdict_{key}", key)

    def confidence(self, result: FairnessResult) -> str:
        return f"{result.get('confidence', 0.95):.0%}"

    def ranked_risks(self) -> list[tuple[int, Risk]]:
        """(number, risk), the highest risk (severity × likelihood) first; unrated rights after the rated."""
        numbered = list(enumerate(self.data.get("risks", []), start=1))

        def score(item: tuple[int, Risk]) -> tuple[int, int]:
            severity, likelihood = item[1].get("severity"), item[1].get("likelihood")
            return (-(severity or 0) * (likelihood or 0), item[0])

        return sorted(numbered, key=score)

    def verdicts(self, result: FairnessResult) -> list[Verdict]:
        """The comparisons a reader must look at (disparities, then inconclusive), farthest from 1 first."""

        def distance(v: Verdict) -> float:
            ratio = v.get("ratio")
            return -abs(math.log(ratio)) if ratio and not v.get("not_estimable") else 0.0

        shown = [v for v in result.get("verdicts", []) if v["verdict"] in SHOWN_VERDICTS]
        return sorted(shown, key=lambda v: (SHOWN_VERDICTS.index(v["verdict"]), distance(v)))

    def forest_rows(self, verdicts: Sequence[Verdict]) -> list[charts.ForestRow]:
        return [
            charts.ForestRow(
                label=f"{v['group']} · {self.metric(v['metric'])}",
                ratio=None if v.get("not_estimable") else v.get("ratio"),
                low=None if v.get("not_estimable") else v.get("low"),
                high=None if v.get("not_estimable") else v.get("high"),
                verdict=v["verdict"],
                verdict_label=self.verdict(v["verdict"]),
                not_estimable=bool(v.get("not_estimable")),
            )
            for v in verdicts
        ]

    def forest_caption(self, result: FairnessResult, verdicts: Sequence[Verdict]) -> str:
        low, high = result.get("ratio_band", [0.8, 1.25])
        head = self.labels["forest_caption"].format(
            confidence=self.confidence(result), low=f"{low:.2f}", high=f"{high:.2f}"
        )
        rows = "; ".join(
            f"{v['group']} {self.labels['versus']} {v['reference']}, {self.metric(v['metric'])}: "
            f"{self.ratio_words(v)}, {self.verdict(v['verdict'])}"
            for v in verdicts
        )
        return f"{head} {rows}." if rows else head

    def ratio_words(self, v: Verdict) -> str:
        """The ratio with its interval, or "not estimable" and why (the reason is in English, as the
        findings in words are)."""
        reason = v.get("not_estimable")
        if reason:
            if self.data.get("lang", "en") != "en":
                return self.labels["not_estimable"]
            return f"{self.labels['not_estimable']} ({reason.removeprefix('not estimable: ')})"
        return f"{_ratio(v.get('ratio'))} ({_ratio(v.get('low'))}–{_ratio(v.get('high'))})"

    # -- page 1

    def executive(self) -> list[Flowable]:
        data, labels, w = self.data, self.labels, self.w
        system = data["system"]
        story: list[Flowable] = [
            w.heading(f"{labels['executive']} · {labels[data['kind']]}", 0, labels["executive"], "kicker"),
            w.p(system["name"], "title"),
        ]
        draft = _draft_note(data, labels)
        if draft:
            story.append(w.p(draft, "h2"))
        facts = [
            (labels["system"], system["name"]),
            (labels["buyer"], system.get("owner") or data["organisation"]),
            (labels["vendor"], system.get("vendor") or "—"),
            (labels["stage"], data["stage"]),
            (labels["date"], data["issued_at"]),
            (labels["report_id"], data["report_id"]),
        ]
        rows = [[*facts[i], *facts[i + 1]] for i in range(0, len(facts), 2)]
        table = Table(
            [[w.p(c, "label" if j % 2 == 0 else "cell") for j, c in enumerate(r)] for r in rows],
            colWidths=[20 * mm, 67 * mm, 20 * mm, 67 * mm],
        )
        table.setStyle(TableStyle(_grid_style(w.fonts)))
        story.append(table)
        if "impact" in data:
            story += self.impact_block()
        if "risks" in data:
            story += self.heat_map_block()
        if any(self.verdicts(result) for result in data.get("fairness", [])):
            story += self.executive_verdicts()
        if "remediation" in data:
            story += self.progress_block()
        if "review" in data:
            story += self.review_block()
        return story

    def impact_block(self) -> list[Flowable]:
        labels, w, impact = self.labels, self.w, self.data.get("impact")
        level = impact["level"] if impact else None
        if not level:
            return [w.p(labels["level"], "block"), w.p(labels["not_scored"])]
        score = (
            f"{labels['score']}: {impact['score']:.2f} / {impact['raw_max']:g} ({impact['share'] * 100:.0f}%)"
            if impact
            else ""
        )
        obligations = self.data.get("obligations", [])
        text = [w.p(f"{labels['level']} {level} · {score}", "label"), w.p(labels["obliges"] + ":", "small")]
        text += [w.p(f"• {o}", "small") for o in obligations]
        badge = Table([[w.p(level, "title")]], colWidths=[18 * mm], rowHeights=[16 * mm])
        badge.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (0, 0), colors.HexColor(IMPACT_COLOURS.get(level, "#e5e7eb"))),
                    ("ALIGN", (0, 0), (0, 0), "CENTER"),
                    ("VALIGN", (0, 0), (0, 0), "MIDDLE"),
                    ("FONT", (0, 0), (-1, -1), w.fonts.name),
                ]
            )
        )
        layout = Table([[badge, text]], colWidths=[22 * mm, BODY_WIDTH - 22 * mm])
        layout.setStyle(
            TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONT", (0, 0), (-1, -1), w.fonts.name)])
        )
        return [Spacer(1, 3 * mm), layout]

    def heat_map_block(self) -> list[Flowable]:
        labels, w = self.labels, self.w
        risks = self.data.get("risks", [])
        story: list[Flowable] = [w.p(labels["heat_map"], "block")]
        matrix = self.data.get("risk_matrix")
        placed = charts.placed_risks(risks)
        if matrix and placed:
            where = "; ".join(
                f"{p.ref} {risks[int(p.ref[1:]) - 1]['right']}: {p.severity} × {p.likelihood}, "
                f"{risks[int(p.ref[1:]) - 1].get('level') or ''}"
                for p in placed
            )
            story.append(
                w.figure(
                    charts.heat_map(risks, matrix, labels, w.fonts, BODY_WIDTH),
                    f"{labels['heat_map_caption']} {where}.",
                )
            )
        elif not risks:
            story.append(w.p(labels["none"]))
        else:
            story.append(w.p(labels["no_rated"]))
        ranked = self.ranked_risks()[:TOP_FINDINGS]
        if ranked:
            story.append(w.p(labels["top_findings"], "block"))
            for number, risk in ranked:
                story.append(
                    w.p(
                        f"{self.ref(number)} {risk['right']} ({risk.get('level') or '—'}): "
                        f"{risk.get('finding') or '—'} → {self.annex_ref(number)}",
                        "small",
                    )
                )
        return story

    def executive_verdicts(self) -> list[Flowable]:
        labels, w = self.labels, self.w
        results = [r for r in self.data.get("fairness", []) if self.verdicts(r)]
        story: list[Flowable] = [w.p(labels["verdicts"], "block")]
        for result in results:
            verdicts = self.verdicts(result)
            shown = verdicts[: EXECUTIVE_VERDICTS // len(results) or 1]
            band = result.get("ratio_band", [0.8, 1.25])
            caption = self.forest_caption(result, shown)
            if len(verdicts) > len(shown):
                caption += " " + labels["more_verdicts"].format(count=len(verdicts) - len(shown))
            plot = charts.forest_plot(self.forest_rows(shown), band, labels, w.fonts, BODY_WIDTH)
            story.append(w.figure(plot, f"{result['file']}: {caption}"))
        return story

    def progress_block(self) -> list[Flowable]:
        labels, w = self.labels, self.w
        actions = self.data.get("remediation", [])
        counts = {state: sum(a.get("state") == state for a in actions) for state in charts.STATES}
        caption = labels["progress_caption"].format(total=len(actions), **counts)
        return [
            w.p(labels["progress"], "block"),
            w.figure(charts.progress_bar(counts, labels, w.fonts, BODY_WIDTH), caption),
        ]

    def review_block(self) -> list[Flowable]:
        labels, w, review = self.labels, self.w, self.data["review"]
        story: list[Flowable] = [w.p(labels["review"], "block"), w.p(review["status"], "small")]
        story += [w.p(f"• {d}", "small") for d in review.get("decisions", [])]
        signers = review.get("countersigners", [])
        story.append(
            w.p(
                f"{labels['countersigners']}: {', '.join(signers)}."
                if signers
                else labels["no_countersigners"],
                "small",
            )
        )
        return story

    # -- the body

    def contents(self) -> list[Flowable]:
        return [
            PageBreak(),
            self.w.p(self.labels["contents"], "h1"),
            *[_ContentsLine(h, self.w.fonts) for h in self.w.headings],
        ]

    def summary(self) -> list[Flowable]:
        data, labels, w = self.data, self.labels, self.w
        story: list[Flowable] = [w.heading(labels["summary"])]
        story += [w.p(sentence) for sentence in data.get("summary", [])]
        story.append(w.p(f"{labels['bank']}: {data.get('bank_version', '')}", "small"))
        purpose = data["system"].get("purpose")
        if purpose:
            story += [w.p(labels["purpose"], "label"), *w.lines(purpose)]
        method = data.get("method", {})
        story.append(w.heading(labels["method"]))
        story += [w.p(sentence) for sentence in method.get("checks", [])]
        if method.get("paragraphs"):
            story.append(w.p(" ".join(method["paragraphs"]), "small"))
        return story

    def register(self) -> list[Flowable]:
        labels, w = self.labels, self.w
        story: list[Flowable] = [w.heading(labels["risks"])]
        rows: list[list[object]] = [
            [
                "",
                labels["right"],
                labels["risk_level"],
                labels["findings"],
                labels["treatment"],
                labels["owner"],
                labels["due"],
            ]
        ]
        for number, risk in enumerate(self.data.get("risks", []), start=1):
            rows.append(
                [
                    self.ref(number),
                    risk["right"],
                    risk.get("level") or "—",
                    f"{risk.get('finding') or '—'} ({labels['see']} {self.annex_ref(number)})",
                    risk.get("treatment") or "—",
                    risk.get("owner") or "—",
                    risk.get("due") or "—",
                ]
            )
        widths = [8 * mm, 24 * mm, 15 * mm, 50 * mm, 35 * mm, 22 * mm, 20 * mm]
        story += w.table(rows, widths) if len(rows) > 1 else [w.p(labels["none"])]
        return story

    def fairness(self, result: FairnessResult) -> list[Flowable]:
        labels, w = self.labels, self.w
        story: list[Flowable] = [
            w.heading(f"{labels['fairness']}: {result['file']}"),
            w.p(f"SHA-256 {result['sha256']} · {result['rows']:,} {labels['rows']}", "small"),
        ]
        verdicts = self.verdicts(result)
        if verdicts:
            shown = verdicts[:SECTION_VERDICTS]
            plot = charts.forest_plot(
                self.forest_rows(shown), result.get("ratio_band", [0.8, 1.25]), labels, w.fonts, BODY_WIDTH
            )
            story.append(w.figure(plot, self.forest_caption(result, shown)))
        metrics = list(dict.fromkeys(v["metric"] for v in verdicts)) or ["false_positive_rate"]
        groups = [g for g in result["groups"] if g.get("family") != "intersection"]
        families = list(dict.fromkeys(g.get("family", "") for g in groups))
        references = result.get("references", {})
        for metric in metrics:
            for family in families:
                members = [g for g in groups if g.get("family", "") == family][:14]
                reference = references.get(family)
                chart = charts.rate_chart(
                    members, metric, reference, labels, w.fonts, BODY_WIDTH, result.get("ratio_band")
                )
                described = "; ".join(self.rate_words(g, metric) for g in members)
                by_group = labels["rates_by_group"].format(confidence=self.confidence(result))
                title = f"{self.metric(metric)} {by_group}"
                story.append(w.figure(chart, f"{title}{' (' + family + ')' if family else ''}: {described}."))
        if result.get("findings"):
            story.append(w.p(f"{labels['see']} {labels['annex_fairness']}.", "small"))
        return story

    def rate_words(self, group: Any, metric: str) -> str:
        low, high = group.get("intervals", {}).get(metric, [None, None])
        interval = f" ({_pct(low)}–{_pct(high)})" if low is not None and high is not None else ""
        return f"{group['name']} {_pct(group.get(metric))}{interval}"

    def explanation(self, explanation: Explanation) -> list[Flowable]:
        labels, w = self.labels, self.w
        story: list[Flowable] = [
            w.heading(f"{labels['explanations']}: {explanation['file']}"),
            w.p(f"{labels['fidelity']}: {explanation['fidelity']}"),
        ]
        importance = explanation.get("importance", [])[:IMPORTANCE_BARS]
        proxies = explanation.get("proxies", [])
        if importance:
            words = "; ".join(
                f"{r['feature']} {r['share'] * 100:.1f}%"
                + (f" ({labels['proxy']})" if r["feature"] in proxies else "")
                for r in importance
            )
            chart = charts.importance_chart(importance, proxies, labels, w.fonts, BODY_WIDTH)
            story.append(w.figure(chart, f"{labels['importance_caption']} {words}."))
        if proxies:
            story.append(w.p(f"{labels['proxies']}: {', '.join(proxies)}.", "label"))
        story += [w.p(flag) for flag in explanation.get("flags", [])]
        return story

    def remediation(self) -> list[Flowable]:
        labels, w = self.labels, self.w
        rows: list[list[object]] = [
            [
                labels["action"],
                labels["paragraph"],
                labels["right"],
                labels["owner"],
                labels["due"],
                labels["status"],
            ]
        ]
        for action in self.data.get("remediation", []):
            rows.append(
                [
                    action["action"],
                    action.get("paragraph", ""),
                    action.get("right", ""),
                    action.get("owner") or "—",
                    action.get("due") or "—",
                    action.get("status", ""),
                ]
            )
        widths = [66 * mm, 22 * mm, 25 * mm, 22 * mm, 22 * mm, 17 * mm]
        table = w.table(rows, widths) if len(rows) > 1 else [w.p(labels["none"])]
        return [w.heading(labels["remediation"]), *table]

    def conditions(self) -> list[Flowable]:
        labels, w = self.labels, self.w
        rows: list[list[object]] = [
            [labels["condition"], labels["owner"], labels["due"], labels["status"], labels["fulfilment"]]
        ]
        rows.extend(
            [
                c["condition"],
                c.get("owner") or "—",
                c.get("due") or "—",
                c.get("status", ""),
                c.get("fulfilment", ""),
            ]
            for c in self.data.get("conditions", [])
        )
        widths = [60 * mm, 25 * mm, 22 * mm, 20 * mm, 47 * mm]
        return [w.heading(labels["conditions"]), *w.table(rows, widths)]

    def grievances(self) -> list[Flowable]:
        """What affected people raised through the public page, and how fast the buyer responded."""
        labels, w = self.labels, self.w
        g = self.data["grievances"]
        if not g["received"]:
            return [w.heading(labels["grievances"]), w.p(labels["grievances_none"])]

        def days(value: float | None) -> str:
            return "—" if value is None else f"{value:g}"

        rows: list[list[object]] = [
            [labels["grievances_received"], str(g["received"])],
            [labels["grievances_triaged"], str(g["triaged"])],
            [labels["grievances_answered"], str(g["answered"])],
            [labels["grievances_awaiting"], str(g["awaiting"])],
            [labels["grievances_overdue"].format(days=g["response_days"]), str(g["overdue"])],
            [labels["grievances_median"], days(g["median_days_to_respond"])],
            [labels["grievances_longest"], days(g["longest_days_to_respond"])],
        ]
        return [w.heading(labels["grievances"]), *w.table(rows, [90 * mm, 30 * mm], header=False)]

    def obligations(self) -> list[Flowable]:
        w = self.w
        items = [w.p(f"• {o}") for o in self.data.get("obligations", [])] or [w.p(self.labels["none"])]
        return [w.heading(self.labels["obligations"]), *items]

    # -- annexes

    def answers_annex(self) -> list[Flowable]:
        labels, w = self.labels, self.w
        story: list[Flowable] = [PageBreak(), w.heading(labels["annex_answers"])]
        for number, section in enumerate(self.data.get("sections", []), start=1):
            story.append(w.heading(f"A.{number} {section['title']}", 1))
            rows: list[list[object]] = [[labels["question"], labels["answer"], "§", labels["evidence"]]]
            for q in section["questions"]:
                evidence = "; ".join(f"{e['name']} (SHA-256 {e['sha256']})" for e in q.get("evidence", []))
                rows.append(
                    [f"{q['id']} {q['text']}", q.get("answer") or "—", " ".join(q.get("cites", [])), evidence]
                )
            story += w.table(rows, widths=[72 * mm, 40 * mm, 22 * mm, 40 * mm])
        return story

    def risks_annex(self) -> list[Flowable]:
        labels, w = self.labels, self.w
        story: list[Flowable] = [CondPageBreak(60 * mm), w.heading(labels["annex_risks"])]
        for number, risk in enumerate(self.data.get("risks", []), start=1):
            story.append(w.heading(f"B.{number} {self.ref(number)} {risk['right']}", 1))
            rating = [
                f"{labels[key]} {risk.get(key)}"
                for key in ("scale", "scope", "reversibility", "likelihood")
                if risk.get(key) is not None
            ]
            if risk.get("severity") is not None:
                rating.append(f"{labels['severity_axis']} {risk.get('severity')}")
            story.append(
                w.p(
                    f"{labels['risk_level']}: {risk.get('level') or '—'}"
                    + (f" · {', '.join(rating)}" if rating else ""),
                    "small",
                )
            )
            for finding in risk.get("findings", []):
                story += w.lines(f"• {finding}", "small")
        return story

    def fairness_annex(self) -> list[Flowable]:
        labels, w = self.labels, self.w
        story: list[Flowable] = [CondPageBreak(60 * mm), w.heading(labels["annex_fairness"])]
        for number, result in enumerate(self.data.get("fairness", []), start=1):
            story.append(w.heading(f"C.{number} {result['file']}", 1))
            story += [w.p(f"• {f}", "small") for f in result.get("findings", [])]
            rows: list[list[object]] = [
                [
                    labels["group"],
                    labels["rows"],
                    labels["selection"],
                    labels["tpr"],
                    labels["fpr"],
                    labels["fnr"],
                ]
            ]
            for g in result["groups"]:
                rows.append(
                    [
                        g["name"],
                        f"{g['count']:,}",
                        _pct(g.get("selection_rate")),
                        _pct(g.get("true_positive_rate")),
                        _pct(g.get("false_positive_rate")),
                        _pct(g.get("false_negative_rate")),
                    ]
                )
            story += w.table(rows, widths=[60 * mm, 20 * mm, 23 * mm, 23 * mm, 23 * mm, 23 * mm])
        return story

    def coverage_annex(self) -> list[Flowable]:
        labels, w = self.labels, self.w
        coverage = self.data["coverage"]
        story: list[Flowable] = [
            CondPageBreak(60 * mm),
            w.heading(labels["annex_coverage"]),
            w.p(labels["coverage_note"], "small"),
        ]
        parts = [(labels["coverage_assessment"], coverage["assessment"], "")]
        parts.append(
            (
                labels["coverage_system"],
                coverage["system"],
                labels["coverage_system_note"].format(assessments=", ".join(coverage["assessments"])),
            )
        )
        for number, (title, frameworks, note) in enumerate(parts, start=1):
            story.append(w.heading(f"D.{number} {title}", 1))
            if note:
                story.append(w.p(note, "small"))
            story += coverage_tables(w, labels, frameworks)
        return story

    def signoff(self) -> list[Flowable]:
        labels, w = self.labels, self.w
        note = labels["signature_note"]
        if self.data.get("verify_url"):
            note += f" {labels['verify_at']} {self.data['verify_url']}"
        return [NextPageTemplate("signoff"), PageBreak(), w.heading(labels["signoff"]), w.p(note, "small")]


def coverage_tables(
    w: _Writer, labels: dict[str, str], frameworks: Sequence[FrameworkCoverage]
) -> list[Flowable]:
    """One table per framework: each element, and the questions that cover it or "open"."""
    story: list[Flowable] = []
    for framework in frameworks:
        counted = labels["elements_covered"].format(
            covered=framework["covered"], total=len(framework["elements"])
        )
        story.append(w.p(f"{framework['name']} · {counted}", "label"))
        rows: list[list[object]] = [[labels["element"], labels["covered_by"]]]
        rows += [
            [f"{e['ref']} {e['label']}", ", ".join(e["covered_by"]) or labels["open"]]
            for e in framework["elements"]
        ]
        story += w.table(rows, widths=[120 * mm, 54 * mm])
    return story


def build_report(data: ReportContent, cjk_font: str | None = None) -> bytes:
    """The report as PDF bytes, every font embedded.

    Parameters
    ----------
    data : ReportContent
        What the report says (see ``reports.content``): plain dicts, lists and text.
    cjk_font : str, optional
        Path of a TrueType font (.ttf, or .ttc read at its first face) with Chinese glyphs. Without it, the
        usual Debian fonts are looked for (see ``reports.fonts.CJK_FONTS``).

    Returns
    -------
    bytes
        The PDF, unsigned (see ``sign_pdf``); its last page is the sign-off page.

    Raises
    ------
    reports.fonts.FontNotFound
        When the report has Chinese text and no font to embed for it; the message says what to install.
    """
    lang = data.get("lang", "en")
    labels = LABELS[lang]
    fonts = ReportFonts(lang, cjk_font)
    w = _Writer(fonts, _styles(fonts, lang), labels)
    report = _Report(data, labels, w)
    buffer = io.BytesIO()
    doc = _Document(buffer, data, labels, fonts)

    executive = report.executive()
    body = report.summary()
    if "risks" in data:
        body += report.register()
    for result in data.get("fairness", []):
        body += report.fairness(result)
    for explanation in data.get("explanations", []):
        body += report.explanation(explanation)
    if "remediation" in data:
        body += report.remediation()
    if data.get("conditions"):
        body += report.conditions()
    if "grievances" in data:
        body += report.grievances()
    if "obligations" in data:
        body += report.obligations()
    annexes: list[Flowable] = []
    if data.get("sections"):
        annexes += report.answers_annex()
    if data.get("risks"):
        annexes += report.risks_annex()
    if any(r.get("findings") or r["groups"] for r in data.get("fairness", [])):
        annexes += report.fairness_annex()
    if data.get("coverage"):
        annexes += report.coverage_annex()
    signoff = report.signoff()
    # the contents list every heading, so they are made after all the others
    story = [*executive, *report.contents(), PageBreak(), *body, *annexes, *signoff]
    doc.build(story, canvasmaker=_Canvas)
    return buffer.getvalue()
