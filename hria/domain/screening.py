"""The scoping stage's screening for prohibited practices: the EU AI Act's Art. 5 list, asked as a question
whose options carry ``prohibited: true`` in the bank. A system for which any is chosen stops at scoping —
no later stage is started or submitted — until an administrator records the legal basis for going on
(an exception the law itself makes, with its reference); the decision and its reason go to the trail."""

from __future__ import annotations

import json

from sqlalchemy import select

from hria.domain import questions, trail
from hria.domain.models import Answer, Assessment, System, User, utcnow
from hria.domain.vocabulary import Role
from hria.extensions import db

LEGAL_BASIS_MIN_LENGTH = 40


class ScreeningError(ValueError):
    """A legal basis that cannot be recorded, with the reason."""


def prohibited_options(bank: dict) -> dict[str, dict[str, dict]]:
    """Per screening question of the scoping stage, its prohibited options by value."""
    found: dict[str, dict[str, dict]] = {}
    for question in bank["stages"].get("scoping", {}).get("questions", []):
        flagged = {o["value"]: o for o in question.get("options", []) if o.get("prohibited")}
        if flagged:
            found[question["id"]] = flagged
    return found


def prohibited_uses(system: System) -> list[str]:
    """The prohibited practices chosen in the system's latest scoping assessment that answered the screening,
    in its language; empty when none was chosen (or the screening is not answered yet)."""
    scoping = db.session.scalars(
        select(Assessment)
        .where(Assessment.system_id == system.id, Assessment.stage == "scoping")
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())
    ).all()
    for assessment in scoping:
        bank = questions.bank_for(assessment)
        for question_id, flagged in prohibited_options(bank).items():
            row = db.session.scalars(
                select(Answer).where(Answer.assessment_id == assessment.id, Answer.question_id == question_id)
            ).first()
            if row is None:
                continue
            value = json.loads(row.value)
            chosen = value if isinstance(value, list) else [value]
            return [questions.text(flagged[v], assessment.language) for v in chosen if v in flagged]
    return []


def stop_reason(system: System) -> str | None:
    """Why the system may go no further than scoping, or None when it may."""
    uses = prohibited_uses(system)
    if not uses or system.legal_basis:
        return None
    return (
        "Stop: do not proceed. The scoping screening found a practice the EU AI Act prohibits "
        f"(Art. 5): {'; '.join(uses)}. No later stage can be started or submitted until an administrator "
        "records the legal basis for going on, or the scoping answer is corrected."
    )


def record_legal_basis(system: System, basis: str, user: User) -> None:
    """An administrator's record of the legal basis for going on despite a prohibited practice."""
    if user.role != Role.ADMIN:
        raise ScreeningError("Only an administrator may record the legal basis for going on.")
    basis = basis.strip()
    if len(basis) < LEGAL_BASIS_MIN_LENGTH:
        raise ScreeningError(
            f"Give the legal basis in at least {LEGAL_BASIS_MIN_LENGTH} characters: the provision that "
            "allows the practice here (for instance an exception of Art. 5 and the authorisation given), and "
            "who granted it."
        )
    if not prohibited_uses(system):
        raise ScreeningError("The scoping screening found no prohibited practice: there is nothing to lift.")
    system.legal_basis, system.legal_basis_at, system.legal_basis_by_id = basis, utcnow(), user.id
    trail.record(db.session, "record_legal_basis", system, after={"legal_basis": basis}, comment=basis)
