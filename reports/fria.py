"""The notification of a fundamental-rights impact assessment (EU AI Act Art. 27(3)) as a PDF to be signed.

``build_fria(data, cjk_font=None)`` takes plain data, typed as ``FriaContent``, the same document the
application exports as JSON (its keys are ``FRIA_KEYS``, versioned by ``schema_version``): who deploys the
system, the system and its provider, and the six elements of Art. 27(1)(a)–(f), each with the answers that
supply it and the question each answer comes from, or marked missing. It is laid out in the report's fonts
and page frame, with a sign-off page whose first box takes the deployer's signature (``sign_pdf``).
"""

from __future__ import annotations

import io
from typing import TypedDict

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, NextPageTemplate, PageBreak

from .content import ReportContent
from .fonts import ReportFonts
from .labels import LABELS
from .pdf import _Canvas, _Document, _styles, _Writer

__all__ = ["FRIA_KEYS", "SCHEMA_VERSION", "FriaContent", "build_fria"]

SCHEMA_VERSION = 1


class FriaParty(TypedDict):
    name: str


class FriaSystem(TypedDict):
    name: str
    sector: str
    purpose: str


class FriaAssessment(TypedDict):
    """An assessment the notification draws on: its id, lifecycle stage, status and question bank."""

    id: int
    stage: str
    status: str
    bank_version: str


class FriaAnswer(TypedDict):
    """An answer that supplies an element, with its provenance: the assessment and the question."""

    assessment: int
    question: str
    question_text: str
    answer: str


class FriaElement(TypedDict):
    """An element of Art. 27(1): ``status`` is ``"answered"`` (``answers`` holds at least one) or
    ``"missing"`` (HRIA has no answer for it)."""

    key: str
    ref: str
    label: str
    status: str
    answers: list[FriaAnswer]


class FriaContent(TypedDict):
    """The notification, as exported (JSON) and as laid out (PDF).

    ``missing`` names every part with no content: ``"provider"`` when the system has none recorded, and the
    ``key`` of each element of Art. 27(1) without an answer (``"art27_1a"`` … ``"art27_1f"``).
    """

    schema_version: int
    document: str
    legal_basis: str
    lang: str
    generated_at: str
    notification_id: str
    deployer: FriaParty
    provider: FriaParty | None
    system: FriaSystem
    assessment: FriaAssessment
    sources: list[FriaAssessment]
    elements: list[FriaElement]
    missing: list[str]


FRIA_KEYS = tuple(FriaContent.__annotations__)


def _frame(data: FriaContent) -> ReportContent:
    """What the report's page frame needs: the running header, the document information, the sign-off box."""
    return {
        "kind": "fria",
        "report_id": data["notification_id"],
        "issued_at": data["generated_at"],
        "organisation": data["deployer"]["name"],
        "system": {"name": data["system"]["name"]},
        "stage": data["assessment"]["stage"],
        "lang": data["lang"],
        "signoff": [{"organisation": data["deployer"]["name"], "role": LABELS[data["lang"]]["deployer"]}],
    }


def _facts(data: FriaContent, labels: dict[str, str], w: _Writer) -> list[Flowable]:
    provider = data["provider"]["name"] if data["provider"] else labels["missing"]
    rows: list[list[object]] = [
        [labels["deployer"], data["deployer"]["name"]],
        [labels["system"], data["system"]["name"]],
        [labels["sector"], data["system"]["sector"] or "—"],
        [labels["purpose"], data["system"]["purpose"] or "—"],
        [labels["provider"], provider],
        [labels["date"], data["generated_at"]],
        [labels["report_id"], data["notification_id"]],
    ]
    return w.table(rows, widths=[40 * mm, 134 * mm], header=False)


def _element(element: FriaElement, labels: dict[str, str], w: _Writer) -> list[Flowable]:
    story: list[Flowable] = [w.heading(f"{element['ref']} {element['label']}", 1)]
    if not element["answers"]:
        return [*story, w.p(labels["missing"], "label")]
    rows: list[list[object]] = [[labels["source"], labels["question"], labels["answer"]]]
    rows += [
        [f"#{a['assessment']} {a['question']}", a["question_text"], a["answer"]] for a in element["answers"]
    ]
    return [*story, *w.table(rows, widths=[26 * mm, 74 * mm, 74 * mm])]


def build_fria(data: FriaContent, cjk_font: str | None = None) -> bytes:
    """The notification as PDF bytes, unsigned, every font embedded; its last page is the sign-off page.

    Raises ``reports.fonts.FontNotFound`` when the text is Chinese and no font can be embedded for it.
    """
    lang = data["lang"]
    labels = LABELS[lang]
    fonts = ReportFonts(lang, cjk_font)
    w = _Writer(fonts, _styles(fonts, lang), labels)
    buffer = io.BytesIO()
    doc = _Document(buffer, _frame(data), labels, fonts)
    story: list[Flowable] = [
        w.heading(labels["fria"], 0, style="title"),
        w.p(labels["fria_note"], "small"),
        *_facts(data, labels, w),
    ]
    sources = "; ".join(
        f"#{s['id']} {s['stage']} ({s['status']}, {labels['bank']} {s['bank_version']})"
        for s in data["sources"]
    )
    story.append(w.p(f"{labels['sources']}: {sources}", "small"))
    for element in data["elements"]:
        story += _element(element, labels, w)
    if data["missing"]:
        story.append(w.p(f"{labels['missing_parts']}: {', '.join(data['missing'])}", "label"))
    story += [
        NextPageTemplate("signoff"),
        PageBreak(),
        w.heading(labels["signoff"]),
        w.p(labels["signature_note"], "small"),
    ]
    doc.build(story, canvasmaker=_Canvas)
    return buffer.getvalue()
