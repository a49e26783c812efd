"""Remediation across a system's lifecycle, overdue actions, and the timeline with the next review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from hria.domain import access
from hria.domain.models import (
    Assessment,
    Event,
    FairnessAudit,
    Finding,
    RemediationAction,
    RiskRating,
    System,
    User,
)
from hria.domain.vocabulary import AssessmentStatus, Role
from hria.extensions import db

OPEN = ("open", "in_progress")


def actions_of_system(user: User, system: System) -> list[tuple[Assessment, RemediationAction]]:
    visible = access.visible_assessments(user).where(Assessment.system_id == system.id)
    ids = [a.id for a in db.session.scalars(visible)]
    rows = (
        db.session.query(Assessment, RemediationAction)
        .join(RemediationAction, RemediationAction.assessment_id == Assessment.id)
        .filter(Assessment.id.in_(ids))
        .order_by(RemediationAction.due_date.is_(None), RemediationAction.due_date, RemediationAction.id)
    )
    return rows.tuples().all()


def is_overdue(action: RemediationAction, today: date | None = None) -> bool:
    """Still open and past its due date (``overdue_for`` asks the database the same question)."""
    today = today or date.today()
    return action.status in OPEN and action.due_date is not None and action.due_date < today


def overdue_for(user: User, today: date | None = None) -> list[tuple[Assessment, RemediationAction]]:
    """Open actions past their due date on the assessments this user may see; vendors see none of the plan."""
    if user.role == Role.VENDOR:
        return []
    today = today or date.today()
    ids = [a.id for a in db.session.scalars(access.visible_assessments(user))]
    return (
        db.session.query(Assessment, RemediationAction)
        .join(RemediationAction, RemediationAction.assessment_id == Assessment.id)
        .filter(
            Assessment.id.in_(ids),
            RemediationAction.status.in_(OPEN),
            RemediationAction.due_date.isnot(None),
            RemediationAction.due_date < today,
        )
        .order_by(RemediationAction.due_date)
        .tuples()
        .all()
    )


@dataclass
class TimelineEntry:
    assessment: Assessment
    decided_at: datetime | None


def _decided_at(assessment: Assessment) -> datetime | None:
    event = db.session.scalar(
        select(Event)
        .where(
            Event.object_type == "assessment",
            Event.object_id == assessment.id,
            Event.action.in_([f"transition:{k}" for k in ("approve", "approve_with_conditions", "reject")]),
        )
        .order_by(Event.seq.desc())
        .limit(1)
    )
    return datetime.fromisoformat(event.at) if event else None


def timeline(user: User, system: System) -> tuple[list[TimelineEntry], date | None, str]:
    """The system's assessments in lifecycle order, and when the next operation review is due, and why."""
    from hria.domain.vocabulary import LIFECYCLE_STAGES

    order = {key: i for i, key in enumerate(LIFECYCLE_STAGES.keys)}
    assessments = db.session.scalars(
        access.visible_assessments(user).where(Assessment.system_id == system.id)
    ).all()
    entries = sorted(
        (TimelineEntry(a, _decided_at(a)) for a in assessments),
        key=lambda e: (order.get(e.assessment.stage, 99), e.assessment.created_at),
    )
    months = int(current_app.config.get("REVIEW_MONTHS", 12))
    operation = [
        e
        for e in entries
        if e.assessment.stage == "operation"
        and e.assessment.status in (AssessmentStatus.APPROVED, AssessmentStatus.APPROVED_WITH_CONDITIONS)
    ]
    if not operation:
        return entries, None, "No operation-stage assessment has been approved yet."
    latest = max(operation, key=lambda e: e.decided_at or e.assessment.updated_at)
    since = latest.decided_at or latest.assessment.updated_at
    due = (since + timedelta(days=round(months * 30.44))).date()
    new_disparity = db.session.scalar(
        select(Finding)
        .join(FairnessAudit, FairnessAudit.id == Finding.source_id)
        .where(
            Finding.source.in_(("fairness_audit", "fairness_change")),
            FairnessAudit.assessment_id.in_(
                [e.assessment.id for e in entries if e.assessment.stage == "operation"]
            ),
            Finding.created_at > since,
        )
        .order_by(Finding.created_at, Finding.id)
        .limit(1)
    )
    if new_disparity is not None:
        what = "a change in a disparity" if new_disparity.source == "fairness_change" else "a new disparity"
        return entries, new_disparity.created_at.date(), f"A monitoring audit found {what}: review now."
    return entries, due, f"{months} months after the last approved operation-stage assessment."


def unaccepted_very_high_risks(system: System) -> list[RiskRating]:
    """Very-high risks without an accepted treatment block marking the system as in operation."""
    from hria.domain import questions, scoring

    blocking = []
    for assessment in system.assessments:
        bank = questions.bank_for(assessment)
        for rating in db.session.query(RiskRating).filter_by(assessment_id=assessment.id):
            level = scoring.risk_level(
                bank["risk_matrix"], rating.scale, rating.scope, rating.reversibility, rating.likelihood
            )[2]
            if level == "very_high" and not rating.treatment.strip():
                blocking.append(rating)
    return blocking
