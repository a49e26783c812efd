"""The report as a PDF (reportlab): cover, summary, method, answers, risk register, fairness results,
explanations, remediation plan, obligations and sign-off, with page numbers, a running header and
bookmarks. Chinese text is set in reportlab's built-in CJK font STSong-Light, so it stays real text.

``build_report(data)`` takes plain data; the keys are documented in ``REPORT_KEYS``.
"""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (BaseDocTemplate, Frame, KeepTogether, PageBreak, PageTemplate, Paragraph, Spacer,
                                Table, TableStyle)

CJK_FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))

REPORT_KEYS = {
    "kind": "risk | self-certification | review",
    "lang": "en | zh",
    "report_id": "the registry's id of this report",
    "issued_at": "ISO date and time",
    "organisation": "the issuing organisation",
    "system": "{name, purpose, sector, owner, vendor, automated_decisions}",
    "stage": "the lifecycle stage, as a label",
    "bank_version": "the question bank version",
    "impact": "{level, raw, raw_max, mitigation, mitigation_max, reduced, score, share}",
    "summary": "[sentences of the executive summary]",
    "method": "{questions, paragraphs: [§…], checks: [sentences]}",
    "sections": "[{title, questions: [{id, text, answer, cites, evidence: [{name, sha256}]}]}]",
    "risks": "[{right, findings: [text], scale, scope, reversibility, likelihood, level}]",
    "fairness": "[{file, sha256, rows, groups: [{name, count, selection_rate, false_positive_rate, …}], "
                "findings: [text], summary: {name: value}}]",
    "explanations": "[{file, fidelity, explains_model, importance: [{feature, share}], flags: [text]}]",
    "remediation": "[{action, paragraph, right, owner, due, status}]",
    "obligations": "[text]",
    "signoff": "[{organisation, role}]",
}

LABELS = {
    "en": {
        "risk": "Human-rights risk and remediation report", "self-certification": "Vendor self-certification",
        "review": "Oversight review", "system": "System", "organisation": "Organisation", "stage": "Lifecycle stage",
        "bank": "Question bank", "level": "Impact level", "date": "Date", "report_id": "Report", "summary": "Summary",
        "method": "Method", "answers": "Answers", "risks": "Risk register", "fairness": "Fairness results",
        "explanations": "Explanations", "remediation": "Remediation plan", "obligations": "Obligations",
        "signoff": "Sign-off", "purpose": "Purpose", "vendor": "Vendor", "sector": "Urban sector",
        "right": "Right", "findings": "Finding", "scale": "Scale", "scope": "Scope", "reversibility": "Revers.",
        "likelihood": "Likel.", "risk_level": "Level", "action": "Action", "paragraph": "§", "owner": "Owner",
        "due": "Due", "status": "Status", "question": "Question", "answer": "Answer", "evidence": "Evidence",
        "group": "Group", "rows": "Rows", "selection": "Selected", "fpr": "FPR", "fnr": "FNR", "tpr": "TPR",
        "fidelity": "Fidelity", "importance": "Importance", "page": "Page", "signed_for": "Signed for",
        "signature_note": "The signatures are embedded in this PDF (PAdES). Any PDF reader shows who signed and "
                          "whether a byte changed; `hria verify` and the instance's /verify page check them too.",
        "none": "None.", "score": "Impact score",
    },
    "zh": {
        "risk": "人权风险与整改报告", "self-certification": "供应商自我认证", "review": "监督审查",
        "system": "系统", "organisation": "组织", "stage": "生命周期阶段", "bank": "问题库", "level": "影响等级",
        "date": "日期", "report_id": "报告编号", "summary": "摘要", "method": "方法", "answers": "回答",
        "risks": "风险登记册", "fairness": "公平性结果", "explanations": "解释", "remediation": "整改计划",
        "obligations": "义务", "signoff": "签署", "purpose": "用途", "vendor": "供应商", "sector": "城市部门",
        "right": "权利", "findings": "发现", "scale": "规模", "scope": "范围", "reversibility": "可逆性",
        "likelihood": "可能性", "risk_level": "等级", "action": "行动", "paragraph": "§", "owner": "负责人",
        "due": "期限", "status": "状态", "question": "问题", "answer": "回答", "evidence": "证据", "group": "群体",
        "rows": "行数", "selection": "选中率", "fpr": "误报率", "fnr": "漏报率", "tpr": "真阳性率",
        "fidelity": "保真度", "importance": "重要性", "page": "页", "signed_for": "代表签署",
        "signature_note": "签名嵌入在本 PDF 中（PAdES）。任何 PDF 阅读器都会显示签署人以及文件是否被改动；"
                          "`hria verify` 和本实例的 /verify 页面也可以验证。",
        "none": "无。", "score": "影响分数",
    },
}


def _styles(lang: str) -> dict[str, ParagraphStyle]:
    body_font = CJK_FONT if lang == "zh" else "Helvetica"
    bold_font = CJK_FONT if lang == "zh" else "Helvetica-Bold"
    base = ParagraphStyle("body", fontName=body_font, fontSize=9.5, leading=13, alignment=TA_LEFT,
                          wordWrap="CJK" if lang == "zh" else None)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=base, fontName=bold_font, fontSize=20, leading=26, spaceAfter=12),
        "h1": ParagraphStyle("h1", parent=base, fontName=bold_font, fontSize=14, leading=18, spaceBefore=10,
                             spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold_font, fontSize=11, leading=14, spaceBefore=8,
                             spaceAfter=4),
    }


class _Document(BaseDocTemplate):
    """Adds a bookmark and an outline entry for every heading, and draws the running header and footer."""

    def __init__(self, buffer, data: dict, labels: dict, font: str):
        super().__init__(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=20 * mm,
                         bottomMargin=18 * mm, title=labels[data["kind"]], author=data["organisation"],
                         subject=data["system"]["name"], creator="HRIA")
        self.data, self.labels, self.font, self._count = data, labels, font, 0
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

    def _decorate(self, canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(self.font, 7.5)
        canvas.setFillColor(colors.grey)
        header = f"{self.labels[self.data['kind']]} · {self.data['system']['name']} · {self.data['report_id']}"
        canvas.drawString(self.leftMargin, A4[1] - 12 * mm, header)
        canvas.drawRightString(A4[0] - self.rightMargin, 10 * mm, f"{self.labels['page']} {doc.page}")
        canvas.restoreState()

    def afterFlowable(self, flowable) -> None:
        if isinstance(flowable, Paragraph) and flowable.style.name in ("h1", "h2"):
            self._count += 1
            key = f"h{self._count}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=0 if flowable.style.name == "h1" else 1)


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text if text is not None else "")).replace("\n", "<br/>"), style)


def _table(rows: list[list], styles, widths=None, header=True) -> Table:
    cells = [[c if isinstance(c, Paragraph) else _p(c, styles["cell"]) for c in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    commands = [("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#c8ccd4")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")))
    table.setStyle(TableStyle(commands))
    return table


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _rate_chart(groups: list[dict], metric: str, label: str, font: str) -> Drawing:
    """Horizontal bars of one rate per group, with interval whiskers where known."""
    row, left, width = 14, 150, 260
    drawing = Drawing(left + width + 60, len(groups) * row + 24)
    top = len(groups) * row + 8
    drawing.add(String(0, top + 4, label, fontName=font, fontSize=8))
    for i, group in enumerate(groups):
        y = top - (i + 1) * row
        drawing.add(String(left - 4, y + 3, group["name"][:40], fontName=font, fontSize=7, textAnchor="end"))
        value = group.get(metric)
        if value is None:
            continue
        drawing.add(Rect(left, y + 1, value * width, row - 5, fillColor=colors.HexColor("#0b5cad"), strokeColor=None))
        low, high = (group.get("intervals") or {}).get(metric, [None, None])
        if low is not None:
            drawing.add(Line(left + low * width, y + row / 2 - 1, left + high * width, y + row / 2 - 1,
                             strokeColor=colors.black, strokeWidth=0.8))
        drawing.add(String(left + width + 4, y + 3, _pct(value), fontName=font, fontSize=7))
    return drawing


def build_report(data: dict) -> bytes:
    lang = data.get("lang", "en")
    labels = LABELS[lang]
    styles = _styles(lang)
    font = CJK_FONT if lang == "zh" else "Helvetica"
    buffer = io.BytesIO()
    doc = _Document(buffer, data, labels, font)
    story = []
    body, h1, h2 = styles["body"], styles["h1"], styles["h2"]

    # cover
    impact = data.get("impact") or {}
    story += [Spacer(1, 30 * mm), _p(labels[data["kind"]], styles["title"]), _p(data["system"]["name"], h1),
              _table([[labels["system"], data["system"]["name"]],
                      [labels["purpose"], data["system"].get("purpose", "")],
                      [labels["organisation"], data["organisation"]],
                      [labels["vendor"], data["system"].get("vendor") or "—"],
                      [labels["sector"], data["system"].get("sector", "")],
                      [labels["stage"], data["stage"]],
                      [labels["bank"], data.get("bank_version", "")],
                      [labels["level"], impact.get("level") or "—"],
                      [labels["date"], data["issued_at"]],
                      [labels["report_id"], data["report_id"]]], styles, widths=[45 * mm, 125 * mm], header=False),
              PageBreak()]

    story.append(_p(labels["summary"], h1))
    story += [_p(sentence, body) for sentence in data.get("summary", [])]
    if impact:
        story.append(_p(f"{labels['score']}: {impact['score']:.2f} / {impact['raw_max']:g} "
                        f"({impact['share'] * 100:.1f}%) · {impact['mitigation']:g} / {impact['mitigation_max']:g}", body))

    method = data.get("method") or {}
    story.append(_p(labels["method"], h1))
    story += [_p(sentence, body) for sentence in method.get("checks", [])]
    if method.get("paragraphs"):
        story.append(_p(" ".join(method["paragraphs"]), styles["small"]))

    story.append(_p(labels["answers"], h1))
    for section in data.get("sections", []):
        story.append(_p(section["title"], h2))
        rows = [[labels["question"], labels["answer"], "§", labels["evidence"]]]
        for q in section["questions"]:
            evidence = "; ".join(f"{e['name']} (SHA-256 {e['sha256']})" for e in q.get("evidence", []))
            rows.append([f"{q['id']} {q['text']}", q.get("answer") or "—", " ".join(q.get("cites", [])), evidence])
        story.append(_table(rows, styles, widths=[72 * mm, 40 * mm, 22 * mm, 40 * mm]))

    story.append(_p(labels["risks"], h1))
    rows = [[labels["right"], labels["findings"], labels["scale"], labels["scope"], labels["reversibility"],
             labels["likelihood"], labels["risk_level"]]]
    for risk in data.get("risks", []):
        rows.append([risk["right"], "\n".join(risk.get("findings", [])), risk.get("scale") or "—",
                     risk.get("scope") or "—", risk.get("reversibility") or "—", risk.get("likelihood") or "—",
                     risk.get("level") or "—"])
    story.append(_table(rows, styles, widths=[30 * mm, 78 * mm, 12 * mm, 12 * mm, 13 * mm, 12 * mm, 17 * mm])
                 if len(rows) > 1 else _p(labels["none"], body))

    for result in data.get("fairness", []):
        story.append(_p(f"{labels['fairness']}: {result['file']}", h1))
        story.append(_p(f"SHA-256 {result['sha256']} · {result['rows']:,} {labels['rows']}", styles["small"]))
        story += [_p(f, body) for f in result.get("findings", [])]
        rows = [[labels["group"], labels["rows"], labels["selection"], labels["tpr"], labels["fpr"], labels["fnr"]]]
        for g in result["groups"]:
            rows.append([g["name"], f"{g['count']:,}", _pct(g.get("selection_rate")), _pct(g.get("true_positive_rate")),
                         _pct(g.get("false_positive_rate")), _pct(g.get("false_negative_rate"))])
        story.append(_table(rows, styles, widths=[60 * mm, 20 * mm, 23 * mm, 23 * mm, 23 * mm, 23 * mm]))
        single = [g for g in result["groups"] if g.get("family") != "intersection"][:14]
        story.append(KeepTogether([Spacer(1, 4 * mm),
                                   _rate_chart(single, "false_positive_rate", labels["fpr"], font)]))

    for result in data.get("explanations", []):
        story.append(_p(f"{labels['explanations']}: {result['file']}", h1))
        story.append(_p(f"{labels['fidelity']}: {result['fidelity']}", body))
        rows = [[labels["importance"], "%"]] + [[r["feature"], f"{r['share'] * 100:.1f}%"]
                                                for r in result.get("importance", [])[:12]]
        story.append(_table(rows, styles, widths=[80 * mm, 30 * mm]))
        story += [_p(flag, body) for flag in result.get("flags", [])]

    story.append(_p(labels["remediation"], h1))
    rows = [[labels["action"], labels["paragraph"], labels["right"], labels["owner"], labels["due"], labels["status"]]]
    for action in data.get("remediation", []):
        rows.append([action["action"], action.get("paragraph", ""), action.get("right", ""),
                     action.get("owner") or "—", action.get("due") or "—", action.get("status", "")])
    story.append(_table(rows, styles, widths=[70 * mm, 22 * mm, 25 * mm, 22 * mm, 18 * mm, 17 * mm])
                 if len(rows) > 1 else _p(labels["none"], body))

    story.append(_p(labels["obligations"], h1))
    story += [_p(f"• {o}", body) for o in data.get("obligations", [])] or [_p(labels["none"], body)]

    story += [PageBreak(), _p(labels["signoff"], h1), _p(labels["signature_note"], body), Spacer(1, 6 * mm)]
    rows = [[labels["organisation"], labels["signed_for"]]] + [[s["organisation"], s["role"]]
                                                               for s in data.get("signoff", [])]
    story.append(_table(rows, styles, widths=[90 * mm, 80 * mm]))
    doc.build(story)
    return buffer.getvalue()
