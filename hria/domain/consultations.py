"""Consultation records: who the buyer consulted about a system, when, how, what they said and what changed.

The guidelines ask that people and communities take an active part in defining challenges and co-designing
solutions (§43(a)), that they hear openly about goals and results (§43(b)), and that consent govern personal
data across its lifecycle (§56(f)). So participants are recorded by category; names only where they agreed.
A record is evidence for the questions of the assessment's stage that ask about participation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from hria.domain import questions
from hria.domain.models import Assessment, Consultation, User
from hria.domain.vocabulary import CONSULTATION_METHODS, STAKEHOLDER_CATEGORIES
from hria.extensions import db

# The paragraphs on participation and feedback: a question citing one of them asks about participation.
PARTICIPATION_PARAGRAPHS = ("§43",)
MAX_TEXT = 5000


class ConsultationError(ValueError):
    """A consultation record that cannot be kept as given; the message says what to change."""


@dataclass
class NewConsultation:
    category: str
    held_on: date
    method: str
    what_they_said: str
    what_changed: str = ""
    participants: int | None = None
    consent: bool = False
    named_participants: str = ""


def record(assessment: Assessment, user: User | None, given: NewConsultation) -> Consultation:
    if given.category not in STAKEHOLDER_CATEGORIES:
        raise ConsultationError(f"Choose who was consulted from: {', '.join(STAKEHOLDER_CATEGORIES.keys)}.")
    if given.method not in CONSULTATION_METHODS:
        raise ConsultationError(
            f"Choose how they were consulted from: {', '.join(CONSULTATION_METHODS.keys)}."
        )
    if not given.what_they_said.strip():
        raise ConsultationError("Record what the people consulted said.")
    if len(given.what_they_said) > MAX_TEXT or len(given.what_changed) > MAX_TEXT:
        raise ConsultationError(
            f"Keep each text under {MAX_TEXT} characters; attach longer minutes as evidence."
        )
    if given.named_participants.strip() and not given.consent:
        raise ConsultationError(
            "Names are personal data: record them only when the people named agreed, and tick the consent "
            "box. Otherwise leave the names out; the category and the number are enough."
        )
    if given.participants is not None and given.participants < 0:
        raise ConsultationError("The number of participants cannot be negative.")
    consultation = Consultation(
        assessment_id=assessment.id,
        category=given.category,
        held_on=given.held_on,
        method=given.method,
        participants=given.participants,
        what_they_said=given.what_they_said.strip(),
        what_changed=given.what_changed.strip(),
        consent=given.consent,
        named_participants=given.named_participants.strip() if given.consent else "",
        recorded_by_id=user.id if user else None,
    )
    db.session.add(consultation)
    db.session.flush()
    return consultation


def of_assessment(assessment: Assessment) -> list[Consultation]:
    return list(
        db.session.scalars(
            select(Consultation)
            .where(Consultation.assessment_id == assessment.id)
            .order_by(Consultation.held_on, Consultation.id)
        )
    )


def participation_questions(assessment: Assessment) -> list[dict]:
    """The questions of the assessment's stage that a consultation record is evidence for."""
    stage = questions.stage_questions(questions.bank_for(assessment), assessment)
    return [
        q
        for q in stage["questions"]
        if any(cite.startswith(PARTICIPATION_PARAGRAPHS) for cite in q.get("cites", []))
    ]
