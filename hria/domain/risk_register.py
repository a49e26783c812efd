"""The risk register and the remediation plan of an assessment.

Rights are flagged by the answers (a risk present, a safeguard missing) and by findings of
the technical checks (``add_finding``). The assessor rates each flagged right; the level
follows the bank's risk matrix. Every safeguard answered no or partly gets a remediation
action; a later answer that puts the safeguard in place resolves it, never deletes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hria.domain import questions, scoring, trail
from hria.domain.models import (
    Assessment,
    Evidence,
    Finding,
    RemediationAction,
    RiskRating,
    System,
    utcnow,
)
from hria.extensions import db

OPEN_STATUSES = ("open", "in_progress")


@dataclass
class RegisterRow:
    right: str
    label: str
    sources: list[str] = field(default_factory=list)
    rating: RiskRating | None = None
    severity: int | None = None
    risk: int | None = None
    level: str | None = None
    level_label: str = "not rated"
    residual_level: str | None = None  # after the treatment, when it is rated
    residual_label: str = ""


def evidence_counts(assessment: Assessment) -> dict[str, int]:
    rows = (
        db.session.query(Evidence.question_id, db.func.count(Evidence.id))
        .filter(Evidence.assessment_id == assessment.id, Evidence.question_id.isnot(None))
        .group_by(Evidence.question_id)
        .all()
    )
    return dict(rows)


def current_impact(assessment: Assessment) -> scoring.Impact:
    bank = questions.bank_for(assessment)
    stage = questions.stage_questions(bank, assessment)
    return scoring.impact(
        bank, stage, questions.answers_of(assessment), evidence_counts(assessment), assessment.system.sector
    )


def recompute(assessment: Assessment) -> scoring.Impact:
    """After answers change: the stage's impact level (once every impact question shown is answered), the
    system's level (a graver stage raises it, never lowers it) and the remediation plan follow."""
    bank = questions.bank_for(assessment)
    stage = questions.stage_questions(bank, assessment)
    answers = questions.answers_of(assessment)
    result = scoring.impact(bank, stage, answers, evidence_counts(assessment), assessment.system.sector)
    level = result.level or None
    if assessment.impact_level != level:
        assessment.impact_level = level
    system = assessment.system
    graver = scoring.higher_level(bank["scoring"]["levels"], system.impact_level, level)
    if graver != system.impact_level:
        system.impact_level, system.impact_level_from = graver, assessment
    _sync_remediation(assessment, stage, answers)
    return result


class LevelError(ValueError):
    """A change of a system's impact level that is refused, with the reason."""


def system_level(assessment: Assessment) -> str | None:
    """The level whose obligations apply: the system's, which no single later stage lowers."""
    return assessment.system.impact_level or assessment.impact_level


def lower_level(system: System, level: str, reason: str, levels: list[dict]) -> None:
    """Lower a system's impact level after a re-assessment of its impact questions. The reason is kept in
    the event trail beside the change; the level cannot go below what a current stage's answers give."""
    order = [row["level"] for row in levels]
    if level not in order:
        raise LevelError(f"{level!r} is not an impact level; choose one of {', '.join(order)}.")
    if system.impact_level is None or order.index(level) >= order.index(system.impact_level):
        raise LevelError(
            f"Level {level} is not lower than the system's level {system.impact_level or '(none)'}."
        )
    reason = reason.strip()
    if len(reason) < 20:
        raise LevelError(
            "Say why the level may be lowered (at least 20 characters): which impact answers were "
            "re-assessed, and what changed."
        )
    floor = max(
        (a.impact_level for a in system.assessments if a.impact_level in order),
        key=order.index,
        default=None,
    )
    if floor is not None and order.index(level) < order.index(floor):
        raise LevelError(
            f"An assessment of this system still gives level {floor}; re-assess its impact questions first."
        )
    before = system.impact_level
    system.impact_level, system.impact_level_from = level, None
    trail.record(
        db.session,
        "lower_impact_level",
        system,
        before={"impact_level": before},
        after={"impact_level": level},
        comment=reason,
    )


def _sync_remediation(assessment: Assessment, stage: dict, answers: dict) -> None:
    actions = db.session.query(RemediationAction).filter_by(assessment_id=assessment.id).all()
    by_question: dict[str, list[RemediationAction]] = {}
    for action in actions:
        if action.question_id:
            by_question.setdefault(action.question_id, []).append(action)
    lang = assessment.language
    for question in scoring.visible_questions(stage, answers, assessment.system.sector):
        answer = answers.get(question["id"])
        existing = by_question.get(question["id"], [])
        if scoring.missing_safeguard(question, answer):
            if not any(a.status in (*OPEN_STATUSES, "accepted_risk") for a in existing):
                db.session.add(
                    RemediationAction(
                        assessment_id=assessment.id,
                        question_id=question["id"],
                        right=question["rights"][0],
                        paragraph=", ".join(question["cites"]),
                        text=questions.text(question["remediation"], lang),
                        status="open",
                    )
                )
        elif scoring.safeguard_in_place(question, answer):
            for action in existing:
                if action.status in OPEN_STATUSES:
                    action.status = "resolved"
                    action.resolved_at = utcnow()


def add_finding(
    assessment: Assessment,
    right: str,
    source: str,
    source_id: int | None,
    text: str,
    remediation: str,
    paragraph: str,
) -> Finding:
    """Record a finding of a technical check against a right, with a suggested remediation action."""
    finding = Finding(assessment_id=assessment.id, right=right, source=source, source_id=source_id, text=text)
    db.session.add(finding)
    db.session.flush()
    db.session.add(
        RemediationAction(
            assessment_id=assessment.id,
            finding_id=finding.id,
            right=right,
            paragraph=paragraph,
            text=remediation,
            status="open",
        )
    )
    return finding


def register(assessment: Assessment) -> list[RegisterRow]:
    bank = questions.bank_for(assessment)
    stage = questions.stage_questions(bank, assessment)
    answers = questions.answers_of(assessment)
    lang = assessment.language
    rows: dict[str, RegisterRow] = {}

    def row(right: str) -> RegisterRow:
        if right not in rows:
            rows[right] = RegisterRow(right=right, label=questions.term(bank, "rights", right, lang))
        return rows[right]

    for question in scoring.visible_questions(stage, answers, assessment.system.sector):
        answer = answers.get(question["id"])
        if answer in (None, "", scoring.NOT_APPLICABLE):
            continue
        if question["kind"] == "risk" and scoring.points(question, answer) > 0:
            for right in question["rights"]:
                row(right).sources.append(f"{question['id']}: {questions.text(question['text'], lang)}")
        elif scoring.missing_safeguard(question, answer):
            for right in question["rights"]:
                row(right).sources.append(
                    f"{question['id']} (safeguard missing): {questions.text(question['text'], lang)}"
                )
    for finding in db.session.query(Finding).filter_by(assessment_id=assessment.id).order_by(Finding.id):
        row(finding.right).sources.append(finding.text)

    matrix = bank["risk_matrix"]
    for rating in db.session.query(RiskRating).filter_by(assessment_id=assessment.id):
        entry = row(rating.right)
        entry.rating = rating
        entry.severity, entry.risk, entry.level = scoring.risk_level(
            matrix, rating.scale, rating.scope, rating.reversibility, rating.likelihood
        )
        entry.level_label = _label(matrix, entry.level, lang)
        residual = _residual(rating)
        if residual is not None:
            entry.residual_level = scoring.risk_level(matrix, *residual)[2]
            entry.residual_label = _label(matrix, entry.residual_level, lang)
    order = [r["key"] for r in bank["rights"]]
    return sorted(rows.values(), key=lambda r: order.index(r.right) if r.right in order else len(order))


def _residual(rating: RiskRating) -> tuple[int, int, int, int] | None:
    """The rating after treatment, when all four dimensions of it are given."""
    scale, scope, rev, likelihood = (
        rating.residual_scale,
        rating.residual_scope,
        rating.residual_reversibility,
        rating.residual_likelihood,
    )
    if scale is None or scope is None or rev is None or likelihood is None:
        return None
    return scale, scope, rev, likelihood


def _label(matrix: dict, level: str, lang: str) -> str:
    return next((questions.text(row, lang) for row in matrix["levels"] if row["level"] == level), level)


def obligations(assessment: Assessment) -> list[str]:
    level = system_level(assessment)
    if not level:
        return []
    bank = questions.bank_for(assessment)
    return [questions.text(item, assessment.language) for item in bank["obligations"].get(level, [])]
