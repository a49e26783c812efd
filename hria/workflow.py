"""The assessment's states and who may move it between them: decided here and nowhere else."""
from __future__ import annotations

from dataclasses import dataclass

from . import access, database, trail
from .extensions import db
from .models import Assessment, OversightAssignment, User


@dataclass(frozen=True)
class Transition:
    key: str
    label: str
    sources: tuple[str, ...]
    target: str
    actor: str  # "buyer" (the owner's procurers), "oversight" (the owner's oversight body) or "admin"


TRANSITIONS = {t.key: t for t in (
    Transition("submit", "Submit for review", ("draft", "in_progress", "changes_requested"), "submitted", "buyer"),
    Transition("start_review", "Start the review", ("submitted",), "under_review", "oversight"),
    Transition("approve", "Approve", ("under_review",), "approved", "oversight"),
    Transition("approve_with_conditions", "Approve with conditions", ("under_review",), "approved_with_conditions",
               "oversight"),
    Transition("request_changes", "Request changes", ("under_review",), "changes_requested", "oversight"),
    Transition("reject", "Reject", ("under_review",), "rejected", "oversight"),
    Transition("reopen", "Reopen", ("submitted", "under_review", "approved", "approved_with_conditions", "rejected"),
               "in_progress", "admin"),
)}


class TransitionError(ValueError):
    """A move the assessment's state or the user's role does not allow; the message says why."""


def _acts_as(user: User, assessment: Assessment, actor: str) -> bool:
    if actor == "admin":
        return user.role == "admin"
    if actor == "buyer":
        return user.role == "procurer" and access.can_manage_system(user, assessment.system)
    return user.role == "oversight" and db.session.query(OversightAssignment).filter_by(
        oversight_id=user.organisation_id, overseen_id=assessment.system.owner_id).first() is not None


def available(user: User, assessment: Assessment) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if assessment.status in t.sources and _acts_as(user, assessment, t.actor)]


def apply(user: User, assessment: Assessment, key: str, comment: str = "") -> None:
    # A double submit or two reviewers at once: the second sees the first's result and is refused.
    database.lock_for_write(db.session, assessment)
    transition = TRANSITIONS.get(key)
    if transition is None:
        raise TransitionError(f"There is no step called '{key}'.")
    if not _acts_as(user, assessment, transition.actor):
        who = {"buyer": "the buying organisation's procurement officers", "oversight": "the oversight body",
               "admin": "an administrator"}[transition.actor]
        raise TransitionError(f"Only {who} may {transition.label.lower()}.")
    if assessment.status not in transition.sources:
        raise TransitionError(f"An assessment that is {assessment.status.replace('_', ' ')} cannot "
                              f"{transition.label.lower()}.")
    before = assessment.status
    assessment.status = transition.target
    trail.record(db.session, f"transition:{key}", assessment, before={"status": before},
                 after={"status": transition.target}, comment=comment.strip())
