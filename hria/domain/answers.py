"""What may be stored as the answer to a question: the one rule the questionnaire form and the import share.

Answers are stored as JSON: a yes/no key or an option value (a text), a list of option values, a number or a
text. An empty answer is no answer: nothing is stored for it.
"""

from __future__ import annotations

import json
import math

# Longer texts make a report slow to lay out and hard to read; the form's text box holds this many characters.
TEXT_MAX_LENGTH = 10_000
# Number questions count people, cases or days: none is negative.
NUMBER_MIN = 0


def problem(question: dict, value, bank: dict) -> str | None:
    """Why ``value`` may not be stored as the answer to ``question`` of ``bank``, as the end of a sentence
    that names the answer first; None when it may."""
    kind = question["type"]
    if kind == "evidence":
        return "must be absent: the question takes files as evidence, not an answer."
    if value is None or value == [] or (isinstance(value, str) and not value.strip()):
        return "is empty: leave out a question that has no answer."
    if kind == "yes_no":
        return _one_of([v["key"] for v in bank["yes_no_values"]], value)
    if kind == "single":
        return _one_of([o["value"] for o in question["options"]], value)
    if kind == "multiple":
        return _some_of([o["value"] for o in question["options"]], value)
    if kind == "number":
        return (
            None
            if _is_number(value)
            else f"must be a finite number of {NUMBER_MIN} or more, not {_shown(value)}."
        )
    if kind == "text":
        if not isinstance(value, str):
            return f"must be a text, not {_shown(value)}."
        if len(value) > TEXT_MAX_LENGTH:
            return f"must be a text of at most {TEXT_MAX_LENGTH:,} characters, not {len(value):,} characters."
        return None
    return f"cannot be stored: the question is of an unknown type {kind!r}."


def _one_of(allowed: list[str], value) -> str | None:
    if isinstance(value, str) and value in allowed:
        return None
    return f"must be one of {', '.join(allowed)}, not {_shown(value)}."


def _some_of(allowed: list[str], value) -> str | None:
    if (
        isinstance(value, list)
        and all(isinstance(v, str) and v in allowed for v in value)
        and len(set(value)) == len(value)
    ):
        return None
    return f"must be a list of different options among {', '.join(allowed)}, not {_shown(value)}."


def _is_number(value) -> bool:
    """As the form takes numbers: finite also as a float, and not below the minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value)) and value >= NUMBER_MIN
    except OverflowError:  # an integer beyond a float's range
        return False


def _shown(value) -> str:
    try:
        text = str(value)
    except ValueError:  # an integer of more digits than Python converts to text
        text = "…"
    return f"{type(value).__name__} {text[:40]!r}"


NA_REASON_MAX_LENGTH = 2000


class RejectionError(ValueError):
    """A "not applicable" that cannot be rejected, with the reason."""


def not_applicable(assessment) -> list[tuple[str, str | None]]:
    """The questions answered "not applicable", with the reason given (None for an answer saved before a
    reason was required), in question order."""
    from hria.domain.models import Answer
    from hria.domain.scoring import NOT_APPLICABLE
    from hria.extensions import db

    rows = db.session.query(Answer).filter_by(assessment_id=assessment.id).order_by(Answer.question_id).all()
    return [(r.question_id, r.na_reason) for r in rows if json.loads(r.value) == NOT_APPLICABLE]


def reject_not_applicable(assessment, question_id: str, user, comment: str) -> None:
    """The oversight body does not accept that a question does not apply: the answer is removed (kept in the
    trail), the question is open again, and the reason is posted on the question's thread."""
    from hria.domain import comments, trail
    from hria.domain.models import Answer
    from hria.domain.scoring import NOT_APPLICABLE
    from hria.extensions import db

    comment = comment.strip()
    if len(comment) < 10:
        raise RejectionError("Say why the question does apply (at least 10 characters); the buyer reads it.")
    row = db.session.query(Answer).filter_by(assessment_id=assessment.id, question_id=question_id).first()
    if row is None or json.loads(row.value) != NOT_APPLICABLE:
        raise RejectionError(f"{question_id} is not answered “not applicable”: there is nothing to reject.")
    before = {"value": NOT_APPLICABLE, "na_reason": row.na_reason}
    db.session.delete(row)
    trail.record(
        db.session,
        "reject_not_applicable",
        assessment,
        before={question_id: before},
        after={question_id: None},
        comment=comment,
    )
    comments.post(assessment, user, f"question:{question_id}", f"“Not applicable” rejected: {comment}")
