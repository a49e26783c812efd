"""Moving an assessment to the current question bank.

An assessment is answered against the bank version it started with until its owner chooses to move it.
Moving carries over every answer whose question is still asked and still accepts it; it names the new
questions to answer and the questions no longer asked. Answers that do not carry over are removed from the
assessment, and the trail keeps them: the move event lists them with their values, and each removal is its
own event with the answer as it was.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from hria.domain import answers as answer_rules
from hria.domain import questions, trail
from hria.domain.models import Answer, Assessment, User
from hria.domain.vocabulary import EDITABLE_STATUSES
from hria.extensions import db


class MoveError(ValueError):
    """The assessment cannot be moved now; the message says why and what to do."""


@dataclass
class Move:
    """What moving an assessment from one bank version to another does to its stage's questions."""

    from_version: str
    to_version: str
    carried: list[str] = field(default_factory=list)  # answered, and the answer still fits the question
    to_answer_again: list[str] = field(default_factory=list)  # still asked, but the answer no longer fits
    new: list[str] = field(default_factory=list)  # asked only in the new version
    removed: list[str] = field(default_factory=list)  # asked only in the old version


def preview(assessment: Assessment) -> Move | None:
    """What moving ``assessment`` to the current bank would do; None when it is on the current bank."""
    old, new = questions.bank_for(assessment), questions.current_bank()
    if old["sha256"] == new["sha256"]:
        return None
    return _plan(assessment, old, new, questions.answers_of(assessment))


def _plan(assessment: Assessment, old: dict, new: dict, given: dict[str, object]) -> Move:
    old_ids = [q["id"] for q in old["stages"].get(assessment.stage, {"questions": []})["questions"]]
    new_questions = {q["id"]: q for q in new["stages"].get(assessment.stage, {"questions": []})["questions"]}
    move = Move(from_version=old["version"], to_version=new["version"])
    move.new = [qid for qid in new_questions if qid not in old_ids]
    move.removed = [qid for qid in old_ids if qid not in new_questions]
    for qid, value in given.items():
        if qid not in new_questions:
            continue
        fits = answer_rules.problem(new_questions[qid], value, new) is None
        (move.carried if fits else move.to_answer_again).append(qid)
    return move


def move(user: User, assessment: Assessment) -> Move:
    """Move ``assessment`` to the current bank for ``user`` (whose right to do so the caller has checked).

    Raises ``MoveError`` when it is already on the current bank or its answers can no longer change.
    """
    if assessment.status not in EDITABLE_STATUSES:
        raise MoveError(
            f"The assessment is {assessment.status.replace('_', ' ')}: its answers can no longer change, so "
            "it stays on its question bank. Start a new assessment to use the current bank."
        )
    plan = preview(assessment)
    old_bank = assessment.bank
    assert old_bank is not None, "an assessment is pinned to its bank when it is created"
    if plan is None:
        raise MoveError(f"The assessment already uses the current question bank {old_bank.version}.")
    rows = db.session.query(Answer).filter_by(assessment_id=assessment.id).all()
    dropped = {r.question_id: json.loads(r.value) for r in rows if r.question_id not in plan.carried}
    for row in rows:
        if row.question_id not in plan.carried:
            db.session.delete(row)  # recorded in the trail as it was
    questions.pin(db.session, assessment)
    new_bank = assessment.bank
    assert new_bank is not None
    trail.record(
        db.session,
        "move_bank",
        assessment,
        before={
            "bank_version": old_bank.version,
            "bank_sha256": old_bank.sha256,
            "answers_not_carried": dropped,
        },
        after={
            "bank_version": new_bank.version,
            "bank_sha256": new_bank.sha256,
            **asdict(plan),
        },
        comment=f"moved from question bank {plan.from_version} to {plan.to_version} by {user.email}",
    )
    return plan
