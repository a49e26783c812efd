"""The due-diligence wizard: sections of questions, evidence, the risk register and the remediation plan."""
from __future__ import annotations

import hashlib
import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access, database, evidence, questions, register, scoring
from ..extensions import db
from ..models import Answer, Assessment, Evidence, RemediationAction, RiskRating, utcnow
from .forms import ActionForm, EvidenceForm, RatingForm, field_value, section_form

bp = Blueprint("wizard", __name__)

QUESTION_EVIDENCE = evidence.QUESTION
ACTION_EVIDENCE = evidence.ACTION


def _context(assessment_id: int, buyer_side: bool = False):
    """The assessment and its bank; ``buyer_side`` pages (register, plan) are not the vendor's to see."""
    assessment = access.assessment_or_404(current_user, assessment_id)
    if buyer_side and not access.reads_buyer_side(current_user, assessment):
        abort(404)
    pinned = assessment.bank_id is not None
    bank = questions.bank_for(assessment)
    if not pinned:
        db.session.commit()
    stage = questions.stage_questions(bank, assessment)
    return assessment, bank, stage


def sections_for(user, assessment, stage: dict, answers: dict) -> list[dict]:
    """The sections this user may read, each with its shown questions and progress."""
    readable = access.answerers_readable(user, assessment)
    shown = [q for q in scoring.visible_questions(stage, answers) if q["answered_by"] in readable]
    out = []
    for section in stage["sections"]:
        members = [q for q in shown if q["section"] == section["key"]]
        if not members:
            continue
        answerable = [q for q in members if q["type"] != "evidence"]
        done = sum(1 for q in answerable if answers.get(q["id"]) not in (None, "", []))
        out.append({**section, "questions": members, "answered": done, "total": len(answerable)})
    return out


def _version(section_questions: list[dict], rows: dict[str, Answer]) -> str:
    """A fingerprint of the section's saved answers, to notice a save made since the form was loaded."""
    state = sorted((q["id"], rows[q["id"]].value, rows[q["id"]].answered_at.isoformat())
                   for q in section_questions if q["id"] in rows)
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:32]


def _answer_rows(assessment) -> dict[str, Answer]:
    return {row.question_id: row for row in db.session.query(Answer).filter_by(assessment_id=assessment.id)}


@bp.route("/assessments/<int:assessment_id>/sections/<section_key>", methods=["GET", "POST"])
@login_required
def section(assessment_id: int, section_key: str):
    assessment, bank, stage = _context(assessment_id)
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
        if not editable:
            abort(403)
        if not form.validate():
            return _render(assessment, bank, sections, current, form, answers, rows, editable), 400
        if form.version.data != version:
            flash("Someone saved answers in this section after you opened it. Nothing of yours was saved: your "
                  "answers are shown below beside the saved ones. Check them, then save again.", "error")
            form.version.data = version
            return _render(assessment, bank, sections, current, form, answers, rows, editable, stale=True), 409
        changed = _save(assessment, editable, form, rows)
        if assessment.status == "draft" and changed:
            assessment.status = "in_progress"
        register.recompute(assessment)
        db.session.commit()
        return _after_save(assessment, stage, current, changed)

    for q in editable:
        if q["id"] in answers:
            form[q["id"]].data = answers[q["id"]]
    form.version.data = version
    return _render(assessment, bank, sections, current, form, answers, rows, editable)


def _save(assessment, editable: list[dict], form, rows: dict[str, Answer]) -> int:
    changed = 0
    for q in editable:
        value = field_value(form[q["id"]])
        row = rows.get(q["id"])
        if value is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
            continue
        encoded = json.dumps(value, ensure_ascii=False)
        if row is None:
            db.session.add(Answer(assessment_id=assessment.id, question_id=q["id"], value=encoded,
                                  answered_by_id=current_user.id, answered_at=utcnow()))
            changed += 1
        elif row.value != encoded or row.carried_from:
            row.value, row.answered_by_id, row.answered_at = encoded, current_user.id, utcnow()
            row.carried_from = None  # saved by this party: confirmed
            changed += 1
    return changed


def _after_save(assessment, stage: dict, current: dict, changed: int):
    answers = questions.answers_of(assessment)
    sections = sections_for(current_user, assessment, stage, answers)
    now_here = next((s for s in sections if s["key"] == current["key"]), None)
    appeared = [q for q in (now_here or {}).get("questions", []) if q["id"] not in {x["id"] for x in current["questions"]}]
    here = url_for("wizard.section", assessment_id=assessment.id, section_key=current["key"])
    if appeared:
        flash(f"{len(appeared)} more question(s) appeared because of your answers.", "info")
        return redirect(here + f"#q-{appeared[0]['id']}")
    flash(f"Saved {changed} answer(s)." if changed else "Nothing changed.", "info")
    if "save_next" in request.form:
        keys = [s["key"] for s in sections]
        position = keys.index(current["key"]) if current["key"] in keys else -1
        if 0 <= position < len(keys) - 1:
            return redirect(url_for("wizard.section", assessment_id=assessment.id, section_key=keys[position + 1]))
        return redirect(url_for("systems.view_assessment", assessment_id=assessment.id))
    return redirect(here)


def _render(assessment, bank, sections, current, form, answers, rows, editable, stale=False):
    evidence_by_question: dict[str, list[Evidence]] = {}
    for item in access.readable_evidence(current_user, db.session.query(Evidence).filter_by(
            assessment_id=assessment.id, purpose=QUESTION_EVIDENCE).order_by(Evidence.uploaded_at)):
        evidence_by_question.setdefault(item.question_id, []).append(item)
    writable = access.answerers_writable(current_user, assessment)
    return render_template(
        "wizard/section.html", assessment=assessment, bank=bank, sections=sections, current=current, form=form,
        answers=answers, rows=rows, editable_ids={q["id"] for q in editable}, stale=stale,
        evidence_by_question=evidence_by_question, evidence_form=EvidenceForm(formdata=None),
        can_attach={q["id"] for q in current["questions"] if q["answered_by"] in writable},
        lang=assessment.language, describe=lambda q, v: questions.describe_answer(bank, q, v, assessment.language),
    )


@bp.route("/assessments/<int:assessment_id>/questions/<question_id>/evidence", methods=["POST"])
@login_required
def attach(assessment_id: int, question_id: str):
    assessment, bank, stage = _context(assessment_id)
    question = next((q for q in stage["questions"] if q["id"] == question_id), None)
    if question is None or question["answered_by"] not in access.answerers_readable(current_user, assessment):
        abort(404)
    if question["answered_by"] not in access.answerers_writable(current_user, assessment):
        abort(403)
    back = url_for("wizard.section", assessment_id=assessment.id, section_key=question["section"]) + f"#q-{question_id}"
    item = _store_attachment(assessment, QUESTION_EVIDENCE, question_id)
    if item is not None:
        if assessment.status == "draft":
            assessment.status = "in_progress"
        register.recompute(assessment)
        db.session.commit()
        flash(f"Attached {item.filename} (SHA-256 {item.sha256[:12]}…).", "info")
    return redirect(back)


def _store_attachment(assessment, purpose: str, key: str) -> Evidence | None:
    """The uploaded file of an EvidenceForm kept as evidence under ``key``; None (with a message) when refused."""
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


@bp.route("/assessments/<int:assessment_id>/risks", methods=["GET", "POST"])
@login_required
def risks(assessment_id: int):
    assessment, bank, stage = _context(assessment_id, buyer_side=True)
    lang = assessment.language
    can_rate = access.can_manage_system(current_user, assessment.system) and \
        assessment.status in access.EDITABLE_STATUSES
    labels = [(row["value"], questions.text(row, lang)) for row in bank["risk_matrix"]["scale_labels"]]
    rows = register.register(assessment)
    if request.method == "POST":
        access.require(can_rate)
        form = RatingForm()
        form.set_scale(labels)
        if form.validate_on_submit() and form.right.data in {r.right for r in rows}:
            database.lock_for_write(db.session, assessment)  # two first ratings of a right make one row
            rating = db.session.query(RiskRating).filter_by(assessment_id=assessment.id, right=form.right.data).first()
            if rating is None:
                rating = RiskRating(assessment_id=assessment.id, right=form.right.data)
                db.session.add(rating)
            for name in ("scale", "scope", "reversibility", "likelihood"):
                setattr(rating, name, form[name].data)
            rating.treatment = (form.treatment.data or "").strip()
            rating.rated_by_id = current_user.id
            db.session.commit()
            flash("Rating saved.", "info")
        else:
            flash("The rating could not be saved: choose a value from 1 to 4 for each dimension.", "error")
        return redirect(url_for("wizard.risks", assessment_id=assessment.id))
    forms = {}
    for row in rows:
        form = RatingForm(formdata=None, obj=row.rating)
        form.set_scale(labels)
        form.right.data = row.right
        forms[row.right] = form
    return render_template("wizard/risks.html", assessment=assessment, bank=bank, rows=rows, forms=forms,
                           can_rate=can_rate, lang=lang, matrix=bank["risk_matrix"],
                           impact=register.current_impact(assessment), obligations=register.obligations(assessment))


def _action_version(action: RemediationAction) -> str:
    return action.updated_at.isoformat()


@bp.route("/assessments/<int:assessment_id>/remediation", methods=["GET"])
@login_required
def remediation(assessment_id: int):
    assessment, bank, stage = _context(assessment_id, buyer_side=True)
    actions = (db.session.query(RemediationAction).filter_by(assessment_id=assessment.id)
               .order_by(RemediationAction.created_at, RemediationAction.id).all())
    can_edit = access.can_manage_system(current_user, assessment.system)
    forms = {}
    if can_edit:
        for action in actions:
            form = ActionForm(formdata=None, obj=action)
            form.loaded_version.data = _action_version(action)
            forms[action.id] = form
    files: dict[str, list[Evidence]] = {}
    for item in access.readable_evidence(current_user, db.session.query(Evidence).filter_by(
            assessment_id=assessment.id, purpose=ACTION_EVIDENCE)):
        files.setdefault(item.question_id, []).append(item)
    return render_template("wizard/remediation.html", assessment=assessment, bank=bank, actions=actions,
                           forms=forms, lang=assessment.language, files=files, evidence_form=EvidenceForm(formdata=None))


def _managed_action(assessment_id: int, action_id: int) -> tuple[Assessment, RemediationAction]:
    """A remediation action of a visible assessment that the current user's organisation manages."""
    assessment, _, _ = _context(assessment_id, buyer_side=True)
    action = db.session.get(RemediationAction, action_id)
    if action is None or action.assessment_id != assessment.id:
        abort(404)
    access.require(access.can_manage_system(current_user, assessment.system))
    return assessment, action


@bp.route("/assessments/<int:assessment_id>/remediation/<int:action_id>/evidence", methods=["POST"])
@login_required
def action_evidence(assessment_id: int, action_id: int):
    assessment, action = _managed_action(assessment_id, action_id)
    item = _store_attachment(assessment, ACTION_EVIDENCE, f"action:{action.id}")
    if item is not None:
        db.session.commit()
        flash(f"Attached {item.filename} as evidence of completion.", "info")
    return redirect(url_for("wizard.remediation", assessment_id=assessment.id) + f"#action-{action.id}")


@bp.route("/assessments/<int:assessment_id>/remediation/<int:action_id>", methods=["POST"])
@login_required
def edit_action(assessment_id: int, action_id: int):
    assessment, action = _managed_action(assessment_id, action_id)
    database.lock_for_write(db.session, action)  # the version check and the write as one step
    form = ActionForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("wizard.remediation", assessment_id=assessment.id) + f"#action-{action.id}")
    if form.loaded_version.data != _action_version(action):
        flash("Someone changed this action after you opened the page; nothing was saved. Reload and try again.", "error")
        return redirect(url_for("wizard.remediation", assessment_id=assessment.id) + f"#action-{action.id}")
    action.text = form.text.data.strip()
    action.owner = (form.owner.data or "").strip()
    action.due_date = form.due_date.data
    if form.status.data != action.status:
        action.resolved_at = utcnow() if form.status.data in ("done", "resolved") else None
    action.status = form.status.data
    action.justification = (form.justification.data or "").strip()
    db.session.commit()
    flash("Action saved.", "info")
    return redirect(url_for("wizard.remediation", assessment_id=assessment.id) + f"#action-{action.id}")


@bp.route("/assessments/<int:assessment_id>/comments", methods=["GET", "POST"])
@login_required
def comments(assessment_id: int):
    """The comment threads a party reads; posting to a thread it may not read answers 404, like reading it."""
    from flask_wtf import FlaskForm

    from .. import comments as threads_
    from .. import ids
    from ..models import Comment

    assessment, _, _ = _context(assessment_id)
    if not access.takes_part(current_user, assessment):
        abort(404)
    targets = threads_.targets(current_user, assessment)
    labels = dict(targets)
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        parent_id = ids.from_form(request.form.get("parent_id"))
        parent = None
        if parent_id is not None:
            parent = db.session.get(Comment, parent_id)
            if parent is None or parent.assessment_id != assessment.id or \
                    not access.comment_readable(current_user, parent):
                abort(404)
            parent = threads_.thread_root(parent)
        target = parent.target if parent else request.form.get("target", "")
        if parent is None and target not in labels:  # a new thread only where one is offered: a readable object
            abort(404)
        body = (request.form.get("body") or "").strip()
        if not body:
            flash("Write something before posting.", "error")
        elif len(body) > threads_.MAX_BODY:
            flash(f"A comment may be at most {threads_.MAX_BODY:,} characters.", "error")
        else:
            threads_.post(assessment, current_user, target, body, parent)
            db.session.commit()
            flash("Comment posted; the other parties who may read it are notified.", "info")
        return redirect(url_for("wizard.comments", assessment_id=assessment.id))
    threads_.mark_read(current_user, assessment)
    db.session.commit()
    return render_template("wizard/comments.html", assessment=assessment, targets=targets, labels=labels,
                           threads=threads_.threads(assessment, current_user), form=FlaskForm())
