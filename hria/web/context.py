"""What every page about one assessment starts from, and the file a user attaches to one of its items."""

from __future__ import annotations

from flask import abort, flash
from flask_login import current_user

from hria.domain import access, evidence, questions
from hria.domain.models import Assessment, Evidence
from hria.extensions import db
from hria.web.forms import EvidenceForm


def assessment_context(assessment_id: int, buyer_side: bool = False) -> tuple[Assessment, dict, dict]:
    """The assessment, its question bank and its stage; ``buyer_side`` pages (register, plan) are not the
    vendor's to see."""
    assessment = access.assessment_or_404(current_user, assessment_id)
    if buyer_side and not access.reads_buyer_side(current_user, assessment):
        abort(404)
    bank = questions.bank_for(assessment)
    return assessment, bank, questions.stage_questions(bank, assessment)


def store_attachment(assessment: Assessment, purpose: str, key: str) -> Evidence | None:
    """The EvidenceForm's uploaded file kept as evidence under ``key``; None (with a message) when refused."""
    form = EvidenceForm()
    if not form.validate_on_submit():
        flash("Choose a file to attach.", "error")
        return None
    try:
        item = evidence.store(form.file.data, assessment, purpose, current_user.id)
    except evidence.UploadError as error:
        db.session.rollback()
        flash(str(error), "error")
        return None
    item.question_id = key
    return item
