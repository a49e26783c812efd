"""The question bank as HRIA uses it: the current version, and the version each assessment was answered
against."""

from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

import questionnaires
from hria import database
from hria.domain.models import Answer, Assessment, QuestionBank
from hria.domain.trail import AnySession
from hria.domain.vocabulary import LIFECYCLE_STAGES
from hria.extensions import db


@lru_cache(maxsize=1)
def current_bank() -> dict:
    return questionnaires.load_bank()


@lru_cache(maxsize=32)
def _snapshot(bank_id: int, sha256: str) -> dict:
    return json.loads(db.session.get_one(QuestionBank, bank_id).content)


def coverage_problems(bank: dict) -> list[str]:
    """Stages of the lifecycle that have no question bank, and bank stages the lifecycle does not know."""
    problems = [
        f"stage '{s}' has no question bank (stages/{s}.yaml)."
        for s in LIFECYCLE_STAGES.keys
        if s not in bank["stages"]
    ]
    problems += [
        f"stages/{s}.yaml: '{s}' is not a lifecycle stage ({', '.join(LIFECYCLE_STAGES.keys)})."
        for s in bank["stages"]
        if s not in LIFECYCLE_STAGES
    ]
    return problems


_BANK_LOCK_KEY = 7_362_012  # PostgreSQL advisory lock: two first pins of a new bank version make one snapshot


def pin(session: AnySession, assessment: Assessment, bank: dict | None = None) -> None:
    """Pin a bank version (the current one unless given) to an assessment, keeping a snapshot of it the
    first time it is used."""
    assessment.bank = snapshot_of(session, bank or current_bank())


def snapshot_of(session: AnySession, bank: dict) -> QuestionBank:
    """The stored snapshot of ``bank``, added to the session if this is its first use."""
    database.serialise(session.connection(), _BANK_LOCK_KEY)
    pending = (obj for obj in session.new if isinstance(obj, QuestionBank) and obj.sha256 == bank["sha256"])
    snapshot = next(pending, None) or session.query(QuestionBank).filter_by(sha256=bank["sha256"]).first()
    if snapshot is None:
        snapshot = QuestionBank(
            version=bank["version"], sha256=bank["sha256"], content=json.dumps(bank, ensure_ascii=False)
        )
        session.add(snapshot)
    return snapshot


@sa_event.listens_for(Session, "before_flush")
def _pin_new_assessments(session: Session, flush_context, instances) -> None:
    """Every assessment is answered against the bank version current when it was created."""
    with session.no_autoflush:
        for obj in list(session.new):
            if isinstance(obj, Assessment) and obj.bank_id is None and obj.bank is None:
                pin(session, obj)


def bank_for(assessment: Assessment) -> dict:
    """The bank version the assessment is answered against."""
    assert assessment.bank is not None, "an assessment is pinned to its bank when it is created"
    return _snapshot(assessment.bank.id, assessment.bank.sha256)


def stage_questions(bank: dict, assessment: Assessment) -> dict:
    return bank["stages"][assessment.stage]


def answers_of(assessment: Assessment) -> dict[str, object]:
    rows = db.session.query(Answer).filter_by(assessment_id=assessment.id).all()
    return {row.question_id: json.loads(row.value) for row in rows}


def text(entry: dict, lang: str) -> str:
    return entry.get(lang) or entry.get("en", "")


def term(bank: dict, group: str, key: str, lang: str) -> str:
    for entry in bank.get(group, []):
        if entry.get("key") == key:
            return text(entry, lang)
    return key


def describe_answer(bank: dict, question: dict, value, lang: str) -> str:
    if value in (None, "", []):
        return "—"
    if question["type"] == "yes_no":
        return term(bank, "yes_no_values", value, lang)
    if question["type"] in ("single", "multiple"):
        labels = {o["value"]: text(o, lang) for o in question["options"]}
        chosen = value if isinstance(value, list) else [value]
        return "; ".join(labels.get(v) or str(v) for v in chosen)
    return str(value)
