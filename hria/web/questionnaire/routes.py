"""The questionnaire: sections of questions, answered by the parties whose part they are, and files attached
to them."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from hria import database
from hria.domain import access, evidence, questions, risk_register, scoring, workflow
from hria.domain.models import Answer, Event, Evidence, utcnow
from hria.domain.scoring import NOT_APPLICABLE
from hria.domain.vocabulary import AssessmentStatus, EvidencePurpose
from hria.extensions import db
from hria.web.context import assessment_context, store_attachment
from hria.web.forms import EvidenceForm
from hria.web.questionnaire.forms import field_value, section_form, why

bp = Blueprint("questionnaire", __name__)


TASK_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "completed": "Completed",
    "needs_review": "Needs review",
}


def _changes_requested_at(assessment):
    """When the oversight body last asked for changes, while the assessment waits for them; else None."""
    if assessment.status != AssessmentStatus.CHANGES_REQUESTED:
        return None
    return db.session.scalar(
        select(Event.at)
        .where(
            Event.action == "transition:request_changes",
            Event.object_type == "assessment",
            Event.object_id == assessment.id,
        )
        .order_by(Event.seq.desc())
        .limit(1)
    )


def _task_state(section: dict, saved_at: dict, requested_at) -> str:
    """GOV.UK's task list: a section is not started, in progress or completed; after changes are requested, a
    section nobody has saved since is to be looked at again."""
    if requested_at and not any(
        saved_at.get(q["id"], "") > requested_at for q in section["questions"] if q["id"] in saved_at
    ):
        return "needs_review"
    if section["answered"] == 0:
        return "not_started"
    return "completed" if section["answered"] >= section["total"] else "in_progress"


def sections_for(user, assessment, stage: dict, answers: dict) -> list[dict]:
    """The sections this user may read, each with its shown questions, progress and task state."""
    readable = access.answerers_readable(user, assessment)
    shown = [
        q
        for q in scoring.visible_questions(stage, answers, assessment.system.sector)
        if q["answered_by"] in readable
    ]
    out = []
    for section in stage["sections"]:
        members = [q for q in shown if q["section"] == section["key"]]
        if not members:
            continue
        answerable = [q for q in members if q["type"] != "evidence"]
        done = sum(1 for q in answerable if scoring.is_answered(answers.get(q["id"])))
        out.append({**section, "questions": members, "answered": done, "total": len(answerable)})
    requested_at = _changes_requested_at(assessment)
    saved_at = (
        {row.question_id: row.answered_at.isoformat() for row in _answer_rows(assessment).values()}
        if requested_at
        else {}
    )
    for entry in out:
        entry["state"] = _task_state(entry, saved_at, requested_at)
    return out


def _version(section_questions: list[dict], rows: dict[str, Answer]) -> str:
    """A fingerprint of the section's saved answers, to notice a save made since the form was loaded."""
    state = sorted(
        (q["id"], rows[q["id"]].value, rows[q["id"]].answered_at.isoformat())
        for q in section_questions
        if q["id"] in rows
    )
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:32]


def _answer_rows(assessment) -> dict[str, Answer]:
    return {row.question_id: row for row in db.session.query(Answer).filter_by(assessment_id=assessment.id)}


@bp.route("/assessments/<int:assessment_id>/sections/<section_key>", methods=["GET", "POST"])
@login_required
def section(assessment_id: int, section_key: str):
    assessment, bank, stage = assessment_context(assessment_id)
    if request.method == "POST":
        # The version check below and the write after it must be one step: hold the assessment
        # until commit, so a save made at the same moment waits and then sees this one.
        database.lock_for_write(db.session, assessment)
    lang = assessment.language
    rows = _answer_rows(assessment)
    answers = {qid: json.loads(row.value) for qid, row in rows.items()}
    sections = sections_for(current_user, assessment, stage, answers)
    current = next((s for s in sections if s["key"] == section_key), None)
    if current is None:
        abort(404)
    writable = access.answerers_writable(current_user, assessment)
    editable = [q for q in current["questions"] if q["answered_by"] in writable and q["type"] != "evidence"]
    form = section_form(editable, bank, lang, formdata=request.form if request.method == "POST" else None)
    version = _version(current["questions"], rows)

    if request.method == "POST":
        attach_to = request.form.get("attach")
        attachable = {q["id"] for q in current["questions"] if q["answered_by"] in writable}
        if attach_to is not None and attach_to not in attachable:
            abort(404)
        if not editable and attach_to is None:
            abort(403)
        if editable and not form.validate():
            return _render(assessment, bank, sections, current, form, answers, rows, editable), 400
        if editable and form.version.data != version:
            flash(
                "Someone saved answers in this section after you opened it. Nothing of yours was saved: your "
                "answers are shown below beside the saved ones. Check them, then save again.",
                "error",
            )
            form.version.data = version
            return _render(
                assessment, bank, sections, current, form, answers, rows, editable, stale=True
            ), 409
        changed = _save(assessment, editable, form, rows) if editable else 0
        attached = _attach(assessment, attach_to) if attach_to else None
        if changed or attached:
            workflow.mark_started(assessment)
        risk_register.recompute(assessment)
        db.session.commit()
        if attach_to:
            return _after_attach(assessment, current, attach_to, changed, attached)
        return _after_save(assessment, stage, current, changed)

    for q in editable:
        if q["id"] in answers:
            form[q["id"]].data = answers[q["id"]]
            if q["type"] == "yes_no":
                form[why(q["id"])].data = rows[q["id"]].na_reason
    form.version.data = version
    return _render(assessment, bank, sections, current, form, answers, rows, editable)


def _save(assessment, editable: list[dict], form, rows: dict[str, Answer]) -> int:
    changed = 0
    for q in editable:
        value = field_value(form[q["id"]])
        row = rows.get(q["id"])
        reason = (form[why(q["id"])].data or "").strip() if value == NOT_APPLICABLE else None
        if value is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
            continue
        encoded = json.dumps(value, ensure_ascii=False)
        if row is None:
            db.session.add(
                Answer(
                    assessment_id=assessment.id,
                    question_id=q["id"],
                    value=encoded,
                    answered_by_id=current_user.id,
                    answered_at=utcnow(),
                    na_reason=reason,
                )
            )
            changed += 1
        elif row.value != encoded or row.carried_from or row.na_reason != reason:
            row.value, row.answered_by_id, row.answered_at = encoded, current_user.id, utcnow()
            row.carried_from = None  # saved by this party: confirmed
            row.na_reason = reason
            changed += 1
    return changed


def _attach(assessment, question_id: str) -> Evidence | None:
    """The file chosen beside a question, kept as its evidence; None (with a message) when there is none or it
    is refused. The answers typed in the same form are saved either way."""
    upload = request.files.get(f"file-{question_id}")
    if upload is None or not upload.filename:
        flash(f"Choose a file to attach to {question_id}; your answers were saved.", "error")
        return None
    try:
        item = evidence.store(upload, assessment, EvidencePurpose.QUESTION, current_user.id)
    except evidence.UploadError as error:
        flash(f"{error} Your answers were saved.", "error")
        return None
    item.question_id = question_id
    return item


def _after_attach(assessment, current: dict, question_id: str, changed: int, item: Evidence | None):
    if item is not None:
        saved = f" and saved {_answers_count(changed)}" if changed else ""
        flash(f"Attached {item.filename} (SHA-256 {item.sha256[:12]}…){saved}.", "info")
    here = url_for("questionnaire.section", assessment_id=assessment.id, section_key=current["key"])
    return redirect(here + f"#q-{question_id}")


def _answers_count(n: int) -> str:
    return f"{n} answer" if n == 1 else f"{n} answers"


def _after_save(assessment, stage: dict, current: dict, changed: int):
    answers = questions.answers_of(assessment)
    sections = sections_for(current_user, assessment, stage, answers)
    now_here = next((s for s in sections if s["key"] == current["key"]), None)
    appeared = [
        q
        for q in (now_here or {}).get("questions", [])
        if q["id"] not in {x["id"] for x in current["questions"]}
    ]
    here = url_for("questionnaire.section", assessment_id=assessment.id, section_key=current["key"])
    if appeared:
        more = "1 more question" if len(appeared) == 1 else f"{len(appeared)} more questions"
        flash(f"Saved. {more} appeared because of your answers.", "info")
        return redirect(here + f"#q-{appeared[0]['id']}")
    flash(f"Saved {_answers_count(changed)}." if changed else "Nothing changed.", "info")
    if "save_next" in request.form:
        keys = [s["key"] for s in sections]
        position = keys.index(current["key"]) if current["key"] in keys else -1
        if 0 <= position < len(keys) - 1:
            return redirect(
                url_for("questionnaire.section", assessment_id=assessment.id, section_key=keys[position + 1])
            )
        return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id))
    return redirect(here)


def _render(assessment, bank, sections, current, form, answers, rows, editable, stale=False):
    evidence_by_question: dict[str | None, list[Evidence]] = {}
    for item in access.readable_evidence(
        current_user,
        db.session.query(Evidence)
        .filter_by(assessment_id=assessment.id, purpose=EvidencePurpose.QUESTION)
        .order_by(Evidence.uploaded_at),
    ):
        evidence_by_question.setdefault(item.question_id, []).append(item)
    writable = access.answerers_writable(current_user, assessment)
    return render_template(
        "questionnaire/section.html",
        assessment=assessment,
        bank=bank,
        sections=sections,
        current=current,
        form=form,
        answers=answers,
        rows=rows,
        editable_ids={q["id"] for q in editable},
        stale=stale,
        evidence_by_question=evidence_by_question,
        evidence_form=EvidenceForm(formdata=None),
        can_attach={q["id"] for q in current["questions"] if q["answered_by"] in writable},
        lang=assessment.language,
        task_labels=TASK_LABELS,
        describe=lambda q, v: questions.describe_answer(bank, q, v, assessment.language),
    )


@bp.route("/assessments/<int:assessment_id>/questions/<question_id>/evidence", methods=["POST"])
@login_required
def attach(assessment_id: int, question_id: str):
    assessment, _bank, stage = assessment_context(assessment_id)
    question = next((q for q in stage["questions"] if q["id"] == question_id), None)
    if question is None or question["answered_by"] not in access.answerers_readable(current_user, assessment):
        abort(404)
    if question["answered_by"] not in access.answerers_writable(current_user, assessment):
        abort(403)
    back = (
        url_for("questionnaire.section", assessment_id=assessment.id, section_key=question["section"])
        + f"#q-{question_id}"
    )
    item = store_attachment(assessment, EvidencePurpose.QUESTION, question_id)
    if item is not None:
        workflow.mark_started(assessment)
        risk_register.recompute(assessment)
        db.session.commit()
        flash(f"Attached {item.filename} (SHA-256 {item.sha256[:12]}…).", "info")
    return redirect(back)
