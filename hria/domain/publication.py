"""Publishing a system: the buyer's transparency page, readable by anyone without signing in.

The guidelines ask cities to share the goals, progress, performance and results of their smart-city
initiatives openly and in time (§43(b)), to publish their tools and insights (§63(a)), and to make AI
transparent and accountable (§50(d)). A published page shows only what the buyer's own signed report
already says to the public: no evidence file, no person's name or address, nothing of an unpublished system.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from hria.domain import access, questions, reporting, risk_register, trail
from hria.domain.fairness_audits import KEY_METRICS
from hria.domain.fairness_results import finding_sentence, group_name, with_ratio_notes
from hria.domain.models import (
    Assessment,
    FairnessAudit,
    RemediationAction,
    Report,
    System,
    User,
    utcnow,
)
from hria.domain.vocabulary import OrganisationKind, ReportKind
from hria.extensions import db


class PublicationError(ValueError):
    """A publication that cannot be made; the message says why and what to do."""


def can_publish(user: User, system: System) -> bool:
    """The buying organisation answers to the public for the systems it runs: its procurers publish them."""
    return access.can_manage_system(user, system) and system.owner.kind == OrganisationKind.BUYER


def publish(system: System, comment: str = "") -> None:
    if system.published_at is not None:
        raise PublicationError(f"{system.name} is already published.")
    system.published_at = utcnow()
    trail.record(db.session, "publish", system, comment=comment)


def unpublish(system: System, comment: str = "") -> None:
    if system.published_at is None:
        raise PublicationError(f"{system.name} is not published.")
    system.published_at = None
    trail.record(db.session, "unpublish", system, comment=comment)


def published_systems() -> list[System]:
    return list(
        db.session.scalars(select(System).where(System.published_at.isnot(None)).order_by(System.name))
    )


def published_or_none(system_id: int) -> System | None:
    return db.session.scalar(select(System).where(System.id == system_id, System.published_at.isnot(None)))


def current_report(system: System) -> Report | None:
    """The newest current (not superseded) report the buyer or its oversight body issued on the system.

    A vendor's self-certification speaks for the vendor, not for the city, so it is not the public word."""
    return db.session.scalar(
        select(Report)
        .join(Assessment, Assessment.id == Report.assessment_id)
        .where(
            Assessment.system_id == system.id,
            Report.superseded_by_id.is_(None),
            Report.kind.in_([ReportKind.RISK, ReportKind.REVIEW]),
        )
        .order_by(Report.issued_at.desc(), Report.id.desc())
        .limit(1)
    )


@dataclass
class PublicRight:
    label: str
    level: str
    treatment: str


@dataclass
class PublicAudit:
    stage: str
    rows: int
    confidence: float
    findings: list[str]
    groups: list[dict]


@dataclass
class PublicPage:
    """Everything the public page of a system shows, in the language of its latest assessment."""

    system: System
    language: str
    impact_level: str | None
    stages: list[str]
    rights: list[PublicRight] = field(default_factory=list)
    audits: list[PublicAudit] = field(default_factory=list)
    remediation: dict[str, int] = field(default_factory=dict)
    remediation_due: list[tuple[str, str, str]] = field(default_factory=list)
    report: Report | None = None
    verdict: str = ""
    verified: bool = False


def _assessments(system: System) -> list[Assessment]:
    return list(
        db.session.scalars(
            select(Assessment).where(Assessment.system_id == system.id).order_by(Assessment.created_at)
        )
    )


def page_language(system: System) -> str:
    """The language of the assessment the public page speaks from: the current report's, else the latest."""
    report = current_report(system)
    if report is not None:
        return report.assessment.language
    assessments = _assessments(system)
    return assessments[-1].language if assessments else "en"


def page(system: System) -> PublicPage:
    assessments = _assessments(system)
    report = current_report(system)
    latest = report.assessment if report is not None else (assessments[-1] if assessments else None)
    language = latest.language if latest is not None else "en"
    result = PublicPage(
        system=system,
        language=language,
        impact_level=latest.impact_level if latest is not None else None,
        stages=[a.stage for a in assessments],
        report=report,
    )
    result.rights = _rights(assessments)
    result.audits = _audits(assessments)
    result.remediation, result.remediation_due = _remediation(assessments, language)
    if report is not None:
        checked = reporting.verify(reporting.pdf_of(report))
        result.verified, result.verdict = checked.ok, checked.verdict
    return result


def _rights(assessments: list[Assessment]) -> list[PublicRight]:
    """Each right in a risk register, with its latest rated level and treatment; the sources stay private
    (they quote answers and, for grievances, what a member of the public wrote)."""
    by_right: dict[str, PublicRight] = {}
    for assessment in assessments:
        for row in risk_register.register(assessment):
            previous = by_right.get(row.right)
            if row.rating is None and previous is not None:
                continue
            by_right[row.right] = PublicRight(
                label=row.label,
                level=row.level_label,
                treatment=row.rating.treatment if row.rating is not None else "",
            )
    return list(by_right.values())


def _audits(assessments: list[Assessment]) -> list[PublicAudit]:
    audits = []
    for assessment in assessments:
        for record in db.session.scalars(
            select(FairnessAudit)
            .where(
                FairnessAudit.assessment_id == assessment.id,
                FairnessAudit.status == "done",
                FairnessAudit.kind == "audit",
            )
            .order_by(FairnessAudit.id)
        ):
            if record.result is None:  # a finished audit always has its result
                continue
            result = with_ratio_notes(json.loads(record.result))
            confidence = result["parameters"]["confidence"]
            disparities = [
                d
                for d in result["disparities"]
                if d["verdict"] == "disparity"
                and d["family"] != "intersection"
                and d["metric"] in KEY_METRICS
            ]
            audits.append(
                PublicAudit(
                    stage=assessment.stage,
                    rows=result["rows"],
                    confidence=confidence,
                    findings=[finding_sentence(d, confidence) for d in disparities[:10]],
                    groups=[
                        {
                            "name": group_name(g["group"]),
                            "count": g["count"],
                            "rate": g["selection_rate"],
                            "low": g["intervals"]["selection_rate"][0],
                            "high": g["intervals"]["selection_rate"][1],
                        }
                        for g in result["groups"]
                        if g["family"] != "intersection"
                    ],
                )
            )
    return audits


def _remediation(assessments: list[Assessment], language: str) -> tuple[dict[str, int], list]:
    """Counts by status, and the open actions with their due dates; owners stay private (may be names)."""
    actions = list(
        db.session.scalars(
            select(RemediationAction)
            .where(RemediationAction.assessment_id.in_([a.id for a in assessments]))
            .order_by(RemediationAction.due_date.is_(None), RemediationAction.due_date, RemediationAction.id)
        )
    )
    counts = Counter(a.status for a in actions)
    bank = questions.current_bank()
    still_open = [
        (
            a.text,
            questions.term(bank, "rights", a.right, language),
            a.due_date.isoformat() if a.due_date else "",
        )
        for a in actions
        if a.status in risk_register.OPEN_STATUSES
    ]
    return dict(counts), still_open


def index_entry(system: System, url_for) -> dict:
    """One system of the machine-readable index; ``url_for`` builds the absolute addresses."""
    report = current_report(system)
    return {
        "id": system.id,
        "name": system.name,
        "sector": system.sector,
        "deciding_body": system.owner.name,
        "published_at": _iso(system.published_at),
        "page": url_for("public.system_page", system_id=system.id),
        "report": None
        if report is None
        else {
            "id": report.label,
            "kind": report.kind,
            "issued_at": _iso(report.issued_at),
            "sha256": report.sha256,
            "signers": json.loads(report.signers),
            "download": url_for("public.report_pdf", system_id=system.id),
        },
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"
