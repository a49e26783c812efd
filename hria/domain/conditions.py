"""Conditions of an approval: the oversight body sets them when it approves on conditions, and they are
tracked like remediation actions (owner, due date, status, evidence of fulfilment) until each is fulfilled."""

from __future__ import annotations

from datetime import date

from hria.domain import access
from hria.domain.models import ApprovalCondition, Assessment, User, utcnow
from hria.domain.vocabulary import CONDITION_STATUSES, Role
from hria.extensions import db

FULFILLED = "fulfilled"
TEXT_MAX_LENGTH = 2000
FULFILMENT_MAX_LENGTH = 5000


class ConditionError(ValueError):
    """A condition that cannot be recorded or updated as asked; the message says what to do."""


def parse(text: str) -> list[str]:
    """One condition per non-empty line, with any list mark the writer typed taken off."""
    lines = (line.strip().lstrip("-•*").strip() for line in (text or "").splitlines())
    return [line for line in lines if line]


def record(assessment: Assessment, texts: list[str], user: User) -> list[ApprovalCondition]:
    if not texts:
        raise ConditionError("Write the conditions of the approval, one per line.")
    too_long = next((t for t in texts if len(t) > TEXT_MAX_LENGTH), None)
    if too_long is not None:
        raise ConditionError(
            f"A condition may be at most {TEXT_MAX_LENGTH:,} characters: “{too_long[:40]}…”."
        )
    made = [ApprovalCondition(assessment_id=assessment.id, text=t, set_by_id=user.id) for t in texts]
    db.session.add_all(made)
    db.session.flush()
    return made


def of_assessment(assessment: Assessment) -> list[ApprovalCondition]:
    return (
        db.session.query(ApprovalCondition)
        .filter_by(assessment_id=assessment.id)
        .order_by(ApprovalCondition.id)
        .all()
    )


def of_assessments(ids: list[int]) -> list[ApprovalCondition]:
    if not ids:
        return []
    return (
        db.session.query(ApprovalCondition)
        .filter(ApprovalCondition.assessment_id.in_(ids))
        .order_by(ApprovalCondition.id)
        .all()
    )


def open_for(user: User) -> list[ApprovalCondition]:
    """Unfulfilled conditions on the assessments a buyer or oversight body may see, for their dashboards."""
    if user.role not in (Role.PROCURER, Role.OVERSIGHT, Role.ADMIN):
        return []
    ids = [a.id for a in db.session.scalars(access.visible_assessments(user))]
    return [c for c in of_assessments(ids) if c.status != FULFILLED]


def is_overdue(condition: ApprovalCondition, today: date | None = None) -> bool:
    today = today or date.today()
    return condition.status != FULFILLED and condition.due_date is not None and condition.due_date < today


def update(
    condition: ApprovalCondition, owner: str, due_date: date | None, status: str, fulfilment: str
) -> None:
    if status not in CONDITION_STATUSES:
        raise ConditionError(f"Choose a status: {', '.join(t.en for t in CONDITION_STATUSES)}.")
    fulfilment = (fulfilment or "").strip()
    if status == FULFILLED and not fulfilment:
        raise ConditionError(
            "Say what shows the condition is fulfilled (a document, a decision, a test result) before "
            "marking it fulfilled."
        )
    condition.owner = (owner or "").strip()[:200]
    condition.due_date = due_date
    condition.fulfilment = fulfilment[:FULFILMENT_MAX_LENGTH]
    if status == FULFILLED and condition.status != FULFILLED:
        condition.fulfilled_at = utcnow()
    elif status != FULFILLED:
        condition.fulfilled_at = None
    condition.status = status
