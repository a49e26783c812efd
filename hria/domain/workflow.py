"""The assessment's states and who may move it between them: decided here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hria import database
from hria.domain import access, conditions, questions, scoring, screening, trail
from hria.domain.models import Assessment, OversightAssignment, User
from hria.domain.vocabulary import DECIDED_STATUSES, EDITABLE_STATUSES, Role
from hria.domain.vocabulary import AssessmentStatus as S
from hria.extensions import db


class Actor(StrEnum):
    BUYER = "buyer"  # the owner's procurement officers
    OVERSIGHT = "oversight"  # the owner's oversight body
    ADMIN = "admin"


@dataclass(frozen=True)
class Transition:
    key: str
    label: str
    sources: tuple[S, ...]
    target: S
    actor: Actor


ACTORS = {
    Actor.BUYER: "the buying organisation's procurement officers",
    Actor.OVERSIGHT: "the oversight body",
    Actor.ADMIN: "an administrator",
}

# Answering or attaching the first file moves a draft here; everything else moves only by a transition.
STARTED = S.IN_PROGRESS

TRANSITIONS = {
    t.key: t
    for t in (
        Transition("submit", "Submit for review", EDITABLE_STATUSES, S.SUBMITTED, Actor.BUYER),
        Transition("start_review", "Start the review", (S.SUBMITTED,), S.UNDER_REVIEW, Actor.OVERSIGHT),
        Transition("approve", "Approve", (S.UNDER_REVIEW,), S.APPROVED, Actor.OVERSIGHT),
        Transition(
            "approve_with_conditions",
            "Approve with conditions",
            (S.UNDER_REVIEW,),
            S.APPROVED_WITH_CONDITIONS,
            Actor.OVERSIGHT,
        ),
        Transition(
            "request_changes", "Request changes", (S.UNDER_REVIEW,), S.CHANGES_REQUESTED, Actor.OVERSIGHT
        ),
        Transition("reject", "Reject", (S.UNDER_REVIEW,), S.REJECTED, Actor.OVERSIGHT),
        Transition(
            "reopen", "Reopen", (S.SUBMITTED, S.UNDER_REVIEW, *DECIDED_STATUSES), S.IN_PROGRESS, Actor.ADMIN
        ),
    )
}


def mark_started(assessment: Assessment) -> None:
    """The first answer or file moves a draft assessment to in progress."""
    if assessment.status == S.DRAFT:
        assessment.status = STARTED


EVERY_PARTY = ("procurer", "vendor", "either")


@dataclass(frozen=True)
class Completeness:
    """How much of an assessment is answered: every question shown (given the answers so far) counts, and
    "not applicable" is an answer where the bank offers it."""

    answered: int
    total: int
    missing: tuple[dict, ...]  # the shown questions without an answer, in the bank's order

    @property
    def complete(self) -> bool:
        return not self.missing

    def describe(self) -> str:
        return f"{self.answered} of {self.total} questions answered"


def completeness(assessment: Assessment, answerers: tuple[str, ...] = EVERY_PARTY) -> Completeness:
    """The questions of the given parties (all, by default) that are shown and still unanswered."""
    stage = questions.stage_questions(questions.bank_for(assessment), assessment)
    answers = questions.answers_of(assessment)
    shown = [
        q
        for q in scoring.visible_questions(stage, answers, assessment.system.sector)
        if q["type"] != "evidence" and q["answered_by"] in answerers
    ]
    missing = tuple(q for q in shown if not scoring.is_answered(answers.get(q["id"])))
    return Completeness(answered=len(shown) - len(missing), total=len(shown), missing=missing)


class TransitionError(ValueError):
    """A move the assessment's state or the user's role does not allow; the message says why."""


def _acts_as(user: User, assessment: Assessment, actor: str) -> bool:
    if actor == Actor.ADMIN:
        return user.role == Role.ADMIN
    if actor == Actor.BUYER:
        return user.role == Role.PROCURER and access.can_manage_system(user, assessment.system)
    return (
        user.role == Role.OVERSIGHT
        and db.session.query(OversightAssignment)
        .filter_by(oversight_id=user.organisation_id, overseen_id=assessment.system.owner_id)
        .first()
        is not None
    )


def available(user: User, assessment: Assessment) -> list[Transition]:
    return [
        t
        for t in TRANSITIONS.values()
        if assessment.status in t.sources and _acts_as(user, assessment, t.actor)
    ]


def may_track_conditions(user: User, assessment: Assessment) -> bool:
    """The buyer works on the conditions; the oversight body that set them follows and may mark them too."""
    return _acts_as(user, assessment, Actor.BUYER) or _acts_as(user, assessment, Actor.OVERSIGHT)


def apply(
    user: User, assessment: Assessment, key: str, comment: str = "", condition_texts: list[str] | None = None
) -> None:
    """Move the assessment by a transition. A conditional approval records its conditions: those given, or
    else the comment as the one condition."""
    # A double submit or two reviewers at once: the second sees the first's result and is refused.
    database.lock_for_write(db.session, assessment)
    transition = TRANSITIONS.get(key)
    if transition is None:
        raise TransitionError(f"There is no step called '{key}'.")
    if not _acts_as(user, assessment, transition.actor):
        raise TransitionError(f"Only {ACTORS[transition.actor]} may {transition.label.lower()}.")
    if assessment.status not in transition.sources:
        raise TransitionError(
            f"An assessment that is {assessment.status.replace('_', ' ')} cannot {transition.label.lower()}."
        )
    if key == "submit" and assessment.stage != "scoping":
        stop = screening.stop_reason(assessment.system)
        if stop:
            raise TransitionError(stop)
    if key == "submit":
        gaps = completeness(assessment)
        if not gaps.complete:
            raise TransitionError(
                f"The assessment cannot be submitted yet: {gaps.describe()}. Answer the "
                f"{len(gaps.missing)} still open (choose “Not applicable” where it is offered and true), "
                f"then submit again; “Check your answers” lists them."
            )
    if key == "approve_with_conditions":
        texts = condition_texts or ([comment.strip()] if comment.strip() else [])
        try:
            conditions.record(assessment, texts, user)
        except conditions.ConditionError as error:
            raise TransitionError(str(error)) from None
    before = assessment.status
    assessment.status = transition.target
    trail.record(
        db.session,
        f"transition:{key}",
        assessment,
        before={"status": before},
        after={"status": transition.target},
        comment=comment.strip(),
    )
