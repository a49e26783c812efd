"""A vendor's self-certification imported by a buyer as the start of its own procurement-stage assessment."""

from __future__ import annotations

from hria.domain import questions, risk_register, trail
from hria.domain.models import Answer, Assessment, Evidence, Report, System, User
from hria.domain.vocabulary import AssessmentStatus, EvidencePurpose, ReportKind
from hria.extensions import db


def import_self_certification(
    source: Assessment, buyer: User, stage: str = "procurement"
) -> tuple[Assessment, int]:
    """A new system of the buyer's and an assessment whose answers (and their evidence) are carried over,
    each marked with where it came from until the buyer confirms it."""
    vendor = source.system.owner
    system = System(
        name=source.system.name,
        purpose=source.system.purpose,
        owner_id=buyer.organisation_id,
        vendor_id=vendor.id,
        sector=source.system.sector,
        automated_decisions=source.system.automated_decisions,
        created_by_id=buyer.id,
    )
    assessment = Assessment(
        system=system,
        stage=stage,
        status=AssessmentStatus.IN_PROGRESS,
        language=source.language,
        imported_from_id=source.id,
        created_by_id=buyer.id,
    )
    db.session.add_all([system, assessment])
    db.session.flush()
    bank = questions.bank_for(assessment)
    wanted = {q["id"] for q in bank["stages"][stage]["questions"]}
    report = (
        db.session.query(Report)
        .filter_by(assessment_id=source.id, kind=ReportKind.SELF_CERTIFICATION, superseded_by_id=None)
        .first()
    )
    # in words a person reads: the report it was signed as, or when it was started (the trail keeps its id)
    origin = f"{vendor.name}'s self-certification" + (
        f" {report.label}" if report else f" of {source.created_at:%Y-%m-%d %H:%M} UTC"
    )
    carried = 0
    for row in db.session.query(Answer).filter_by(assessment_id=source.id):
        if row.question_id in wanted:
            db.session.add(
                Answer(
                    assessment_id=assessment.id,
                    question_id=row.question_id,
                    value=row.value,
                    answered_by_id=row.answered_by_id,
                    answered_at=row.answered_at,
                    carried_from=origin,
                )
            )
            carried += 1
    for item in db.session.query(Evidence).filter_by(
        assessment_id=source.id, purpose=EvidencePurpose.QUESTION
    ):
        if item.question_id in wanted:
            db.session.add(
                Evidence(
                    assessment_id=assessment.id,
                    purpose=EvidencePurpose.QUESTION,
                    question_id=item.question_id,
                    filename=item.filename,
                    sha256=item.sha256,
                    size=item.size,
                    uploaded_by_id=item.uploaded_by_id,
                    uploaded_at=item.uploaded_at,
                )
            )
    db.session.flush()
    trail.record(
        db.session,
        "import",
        assessment,
        after={"imported_from": source.id, "origin": origin, "answers": carried},
    )
    risk_register.recompute(assessment)
    return assessment, carried


def carry_over_previous(assessment: Assessment) -> int:
    """A re-assessment (or the next stage) starts from the latest earlier answers to the same questions,
    marked as carried over until confirmed."""
    bank = questions.bank_for(assessment)
    wanted = {q["id"] for q in bank["stages"][assessment.stage]["questions"]}
    earlier = (
        db.session.query(Assessment)
        .filter(Assessment.system_id == assessment.system_id, Assessment.id != assessment.id)
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())
        .all()
    )
    carried: dict[str, Answer] = {}
    for previous in earlier:
        for row in db.session.query(Answer).filter_by(assessment_id=previous.id):
            if row.question_id in wanted and row.question_id not in carried:
                carried[row.question_id] = row
    for question_id, row in carried.items():
        source = db.session.get_one(Assessment, row.assessment_id)
        db.session.add(
            Answer(
                assessment_id=assessment.id,
                question_id=question_id,
                value=row.value,
                answered_by_id=row.answered_by_id,
                answered_at=row.answered_at,
                carried_from=f"the {source.stage} assessment of {source.created_at:%Y-%m-%d %H:%M} UTC",
            )
        )
    if carried:
        db.session.flush()
        risk_register.recompute(assessment)
    return len(carried)
