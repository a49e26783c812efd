"""The report as a PDF (reportlab): cover, summary, method, answers, risk register, fairness results,
explanations, remediation plan, obligations and sign-off, with page numbers, a running header and
bookmarks. Every font is a TrueType subset embedded in the file (see ``reports.fonts``), so Chinese and
English text show in any reader and stay real text.

``build_report(data, cjk_font=None)`` takes plain data, typed as ``reports.content.ReportContent``.
Text of any length lays out: a table row too tall for a page becomes paragraphs that break across pages.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, TypedDict

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from .content import FairnessGroup, ReportContent
from .fonts import ReportFonts


class _Margins(TypedDict):
    leftMargin: float
    rightMargin: float
    topMargin: float
    bottomMargin: float


MARGINS: _Margins = {
    "leftMargin": 18 * mm,
    "rightMargin": 18 * mm,
    "topMargin": 20 * mm,
    "bottomMargin": 18 * mm,
}
CELL_PADDING = 3
GRID = colors.HexColor("#c8ccd4")
# reportlab cannot break a table row across pages, so a row taller than this leaves its table and is set as
# paragraphs that can break; a third of a page bounds the blank space a row moving to the next page leaves.
MAX_ROW_HEIGHT = (A4[1] - MARGINS["topMargin"] - MARGINS["bottomMargin"]) / 3

# Every key of the content build_report takes, in order: a JSON export of a report's content has them all.
REPORT_KEYS = tuple(ReportContent.__annotations__)

LABELS = {
    "en": {
        "risk": "Human-rights risk and remediation report",
        "self-certification": "Vendor self-certification",
        "review": "Oversight review",
        "system": "System",
        "organisation": "Organisation",
        "stage": "Lifecycle stage",
        "bank": "Question bank",
        "level": "Impact level",
        "date": "Date",
        "report_id": "Report",
        "summary": "Summary",
        "method": "Method",
        "answers": "Answers",
        "risks": "Risk register",
        "fairness": "Fairness results",
        "explanations": "Explanations",
        "remediation": "Remediation plan",
        "obligations": "Obligations",
        "signoff": "Sign-off",
        "purpose": "Purpose",
        "vendor": "Vendor",
        "sector": "Urban sector",
        "right": "Right",
        "findings": "Finding",
        "scale": "Scale",
        "scope": "Scope",
        "reversibility": "Revers.",
        "likelihood": "Likel.",
        "risk_level": "Level",
        "action": "Action",
        "paragraph": "§",
        "owner": "Owner",
        "due": "Due",
        "status": "Status",
        "question": "Question",
        "answer": "Answer",
        "evidence": "Evidence",
        "group": "Group",
        "rows": "Rows",
        "selection": "Selected",
        "fpr": "FPR",
        "fnr": "FNR",
        "tpr": "TPR",
        "fidelity": "Fidelity",
        "importance": "Importance",
        "page": "Page",
        "signed_for": "Signed for",
        "signature_note": "The signatures are embedded in this PDF (PAdES). Any PDF reader shows who signed "
        "and whether a byte changed; `hria verify` and the instance's /verify page check them too.",
        "none": "None.",
        "score": "Impact score",
        "draft": "Draft — incomplete: {answered} of {questions} questions answered",
        "conditions": "Conditions of approval",
        "fulfilment": "Evidence of fulfilment",
    },
    "zh": {
        "risk": "人权风险与整改报告",
        "self-certification": "供应商自我认证",
        "review": "监督审查",
        "system": "系统",
        "organisation": "组织",
        "stage": "生命周期阶段",
        "bank": "问题库",
        "level": "影响等级",
        "date": "日期",
        "report_id": "报告编号",
        "summary": "摘要",
        "method": "方法",
        "answers": "回答",
        "risks": "风险登记册",
        "fairness": "公平性结果",
        "explanations": "解释",
        "remediation": "整改计划",
        "obligations": "义务",
        "signoff": "签署",
        "purpose": "用途",
        "vendor": "供应商",
        "sector": "城市部门",
        "right": "权利",
        "findings": "发现",
        "scale": "规模",
        "scope": "范围",
        "reversibility": "可逆性",
        "likelihood": "可能性",
        "risk_level": "等级",
        "action": "行动",
        "paragraph": "§",
        "owner": "负责人",
        "due": "期限",
        "status": "状态",
        "question": "问题",
        "answer": "回答",
        "evidence": "证据",
        "group": "群体",
        "rows": "行数",
        "selection": "选中率",
        "fpr": "误报率",
        "fnr": "漏报率",
        "tpr": "真阳性率",
        "fidelity": "保真度",
        "importance": "重要性",
        "page": "页",
        "signed_for": "代表签署",
        "signature_note": "签名嵌入在本 PDF 中（PAdES）。任何 PDF 阅读器都会显示签署人以及文件是否被改动；"
        "`hria verify` 和本实例的 /verify 页面也可以验证。",
        "none": "无。",
        "score": "影响分数",
        "draft": "草稿 — 未完成：已回答 {answered} / {questions} 个问题",  # noqa: RUF001 - Chinese punctuation
        "conditions": "批准条件",
        "fulfilment": "履行证据",
    },
}


def _styles(fonts: ReportFonts, lang: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body",
        fontName=fonts.name,
        fontSize=9.5,
        leading=13,
        alignment=TA_LEFT,
        wordWrap="CJK" if lang == "zh" else None,
    )
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "label": ParagraphStyle(
            "label",
            parent=base,
            fontName=fonts.bold_name,
            fontSize=8,
            leading=10,
            spaceBefore=4,
            spaceAfter=1,
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontName=fonts.bold_name, fontSize=20, leading=26, spaceAfter=12
        ),
        "h1": ParagraphStyle(
            "h1", parent=base, fontName=fonts.bold_name, fontSize=14, leading=18, spaceBefore=10, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=fonts.bold_name, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
        ),
    }


# A TableStyle command: its name, the first and last cell, then its values.
_TableCommand = tuple[str, tuple[int, int], tuple[int, int], *tuple[Any, ...]]

_CONTROL = {c: None for c in range(32) if chr(c) not in "\t\n\r"} | {0x7F: None}


def _text(value: object) -> str:
    """Plain text to set: control characters (pasted from other programs) have no glyph in any font."""
    return str(value if value is not None else "").translate(_CONTROL)


class _Document(BaseDocTemplate):
    """Adds a bookmark and an outline entry for every heading, and draws the running header and footer."""

    def __init__(self, buffer: io.BytesIO, data: ReportContent, labels: dict[str, str], fonts: ReportFonts):
        # initialFontName: else every page starts in reportlab's Helvetica, which is not embedded
        super().__init__(
            buffer,
            pagesize=A4,
            **MARGINS,
            title=labels[data["kind"]],
            author=data["organisation"],
            subject=data["system"]["name"],
            creator="HRIA",
            initialFontName=fonts.name,
        )
        self.labels, self.fonts, self._count = labels, fonts, 0
        self.draft = _draft_note(data, labels)
        self.header = self._header(
            f"{labels[data['kind']]} · ", _text(data["system"]["name"]), f" · {data['report_id']}"
        )
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

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
            if len(name) <= 1 or header.wrap(self.width, A4[1])[1] <= style.leading:
                return header
            name = name[: max(1, len(name) * 4 // 5)]
            line = f"{before}{name}…{after}"

    def _decorate(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        self.header.wrapOn(canvas, self.width, A4[1])
        self.header.drawOn(canvas, self.leftMargin, A4[1] - 14 * mm)
        canvas.setFillColor(colors.grey)
        canvas.setFont(self.fonts.name, 7.5)
        canvas.drawRightString(A4[0] - self.rightMargin, 10 * mm, f"{self.labels['page']} {doc.page}")
        if self.draft:
            canvas.setFillColor(colors.red)
            canvas.drawString(self.leftMargin, 10 * mm, self.draft)
        canvas.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, Paragraph) and flowable.style.name in ("h1", "h2"):
            self._count += 1
            key = f"h{self._count}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(
                flowable.getPlainText(), key, level=0 if flowable.style.name == "h1" else 1
            )


class _Writer:
    """Turns plain text into flowables in the report's fonts and styles."""

    def __init__(self, fonts: ReportFonts, styles: dict[str, ParagraphStyle]):
        self.fonts, self.styles = fonts, styles

    def p(self, text: object, style: str = "body") -> Paragraph:
        return Paragraph(
            "<br/>".join(self.fonts.markup(line) for line in _text(text).splitlines()), self.styles[style]
        )

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
        # FONT: a table sets its cells' font, by default reportlab's Helvetica, which is not embedded
        commands: list[_TableCommand] = [
            ("FONT", (0, 0), (-1, -1), self.fonts.name),
            ("GRID", (0, 0), (-1, -1), 0.3, GRID),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ]
        if head:
            commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")))
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


def _rate_chart(groups: list[FairnessGroup], metric: str, label: str, fonts: ReportFonts) -> Drawing:
    """Horizontal bars of one rate per group, with interval whiskers where known."""
    row, left, width = 14, 150, 260
    # initialFontName: else a drawing starts in reportlab's Helvetica, which is not embedded
    drawing = Drawing(left + width + 60, len(groups) * row + 24, initialFontName=fonts.name)
    top = len(groups) * row + 8
    drawing.add(String(0, top + 4, label, fontName=fonts.label_font(label), fontSize=8))
    for i, group in enumerate(groups):
        y = top - (i + 1) * row
        name = _text(group["name"])[:40]
        drawing.add(
            String(left - 4, y + 3, name, fontName=fonts.label_font(name), fontSize=7, textAnchor="end")
        )
        value = group.get(metric)
        if not isinstance(value, float | int):
            continue
        bar = Rect(left, y + 1, value * width, row - 5)
        bar.fillColor, bar.strokeColor = colors.HexColor("#0b5cad"), None
        drawing.add(bar)
        low, high = group.get("intervals", {}).get(metric, [None, None])
        if low is not None and high is not None:
            drawing.add(
                Line(
                    left + low * width,
                    y + row / 2 - 1,
                    left + high * width,
                    y + row / 2 - 1,
                    strokeColor=colors.black,
                    strokeWidth=0.8,
                )
            )
        drawing.add(String(left + width + 4, y + 3, _pct(value), fontName=fonts.name, fontSize=7))
    return drawing


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
        The PDF, unsigned (see ``sign_pdf``).

    Raises
    ------
    reports.fonts.FontNotFound
        When the report has Chinese text and no font to embed for it; the message says what to install.
    """
    lang = data.get("lang", "en")
    labels = LABELS[lang]
    fonts = ReportFonts(lang, cjk_font)
    styles = _styles(fonts, lang)
    w = _Writer(fonts, styles)
    buffer = io.BytesIO()
    doc = _Document(buffer, data, labels, fonts)
    story: list[Flowable] = []

    # cover
    impact = data.get("impact")
    story += [Spacer(1, 30 * mm), w.p(labels[data["kind"]], "title"), w.p(data["system"]["name"], "h1")]
    if doc.draft:
        story.append(w.p(doc.draft, "h2"))
    story += w.table(
        [
            [labels["system"], data["system"]["name"]],
            [labels["purpose"], data["system"].get("purpose", "")],
            [labels["organisation"], data["organisation"]],
            [labels["vendor"], data["system"].get("vendor") or "—"],
            [labels["sector"], data["system"].get("sector", "")],
            [labels["stage"], data["stage"]],
            [labels["bank"], data.get("bank_version", "")],
            [labels["level"], (impact["level"] if impact else None) or "—"],
            [labels["date"], data["issued_at"]],
            [labels["report_id"], data["report_id"]],
        ],
        widths=[45 * mm, 125 * mm],
        header=False,
    )
    story.append(PageBreak())

    story.append(w.p(labels["summary"], "h1"))
    story += [w.p(sentence) for sentence in data.get("summary", [])]
    if impact:
        story.append(
            w.p(
                f"{labels['score']}: {impact['score']:.2f} / {impact['raw_max']:g} "
                f"({impact['share'] * 100:.1f}%) · {impact['mitigation']:g} / {impact['mitigation_max']:g}"
            )
        )

    method = data.get("method", {})
    story.append(w.p(labels["method"], "h1"))
    story += [w.p(sentence) for sentence in method.get("checks", [])]
    if method.get("paragraphs"):
        story.append(w.p(" ".join(method["paragraphs"]), "small"))

    story.append(w.p(labels["answers"], "h1"))
    for section in data.get("sections", []):
        story.append(w.p(section["title"], "h2"))
        rows: list[list[object]] = [[labels["question"], labels["answer"], "§", labels["evidence"]]]
        for q in section["questions"]:
            evidence = "; ".join(f"{e['name']} (SHA-256 {e['sha256']})" for e in q.get("evidence", []))
            rows.append(
                [f"{q['id']} {q['text']}", q.get("answer") or "—", " ".join(q.get("cites", [])), evidence]
            )
        story += w.table(rows, widths=[72 * mm, 40 * mm, 22 * mm, 40 * mm])

    story.append(w.p(labels["risks"], "h1"))
    rows = [
        [
            labels["right"],
            labels["findings"],
            labels["scale"],
            labels["scope"],
            labels["reversibility"],
            labels["likelihood"],
            labels["risk_level"],
        ]
    ]
    for risk in data.get("risks", []):
        rows.append(
            [
                risk["right"],
                "\n".join(risk.get("findings", [])),
                risk.get("scale") or "—",
                risk.get("scope") or "—",
                risk.get("reversibility") or "—",
                risk.get("likelihood") or "—",
                risk.get("level") or "—",
            ]
        )
    story += (
        w.table(rows, widths=[30 * mm, 78 * mm, 12 * mm, 12 * mm, 13 * mm, 12 * mm, 17 * mm])
        if len(rows) > 1
        else [w.p(labels["none"])]
    )

    for result in data.get("fairness", []):
        story.append(w.p(f"{labels['fairness']}: {result['file']}", "h1"))
        story.append(w.p(f"SHA-256 {result['sha256']} · {result['rows']:,} {labels['rows']}", "small"))
        story += [w.p(f) for f in result.get("findings", [])]
        rows = [
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
        single = [g for g in result["groups"] if g.get("family") != "intersection"][:14]
        story.append(
            KeepTogether(
                [Spacer(1, 4 * mm), _rate_chart(single, "false_positive_rate", labels["fpr"], fonts)]
            )
        )

    for explanation in data.get("explanations", []):
        story.append(w.p(f"{labels['explanations']}: {explanation['file']}", "h1"))
        story.append(w.p(f"{labels['fidelity']}: {explanation['fidelity']}"))
        rows = [[labels["importance"], "%"]]
        rows.extend(
            [r["feature"], f"{r['share'] * 100:.1f}%"] for r in explanation.get("importance", [])[:12]
        )
        story += w.table(rows, widths=[80 * mm, 30 * mm])
        story += [w.p(flag) for flag in explanation.get("flags", [])]

    story.append(w.p(labels["remediation"], "h1"))
    rows = [
        [
            labels["action"],
            labels["paragraph"],
            labels["right"],
            labels["owner"],
            labels["due"],
            labels["status"],
        ]
    ]
    for action in data.get("remediation", []):
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
    story += (
        w.table(rows, widths=[66 * mm, 22 * mm, 25 * mm, 22 * mm, 22 * mm, 17 * mm])
        if len(rows) > 1
        else [w.p(labels["none"])]
    )

    if data.get("conditions"):
        story.append(w.p(labels["conditions"], "h1"))
        rows = [[labels["action"], labels["owner"], labels["due"], labels["status"], labels["fulfilment"]]]
        rows.extend(
            [
                c["condition"],
                c.get("owner") or "—",
                c.get("due") or "—",
                c.get("status", ""),
                c.get("fulfilment", ""),
            ]
            for c in data["conditions"]
        )
        story += w.table(rows, widths=[60 * mm, 25 * mm, 22 * mm, 20 * mm, 47 * mm])

    story.append(w.p(labels["obligations"], "h1"))
    story += [w.p(f"• {o}") for o in data.get("obligations", [])] or [w.p(labels["none"])]

    story += [PageBreak(), w.p(labels["signoff"], "h1"), w.p(labels["signature_note"]), Spacer(1, 6 * mm)]
    rows = [[labels["organisation"], labels["signed_for"]]]
    rows.extend([s["organisation"], s["role"]] for s in data.get("signoff", []))
    story += w.table(rows, widths=[90 * mm, 80 * mm])
    doc.build(story)
    return buffer.getvalue()
