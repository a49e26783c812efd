"""The risk register (each right's rating and treatment) and the remediation plan of an assessment."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from hria import database
from hria.domain import access, risk_register, tracking
from hria.domain.models import Assessment, Evidence, RemediationAction, RiskRating, utcnow
from hria.domain.vocabulary import EDITABLE_STATUSES, RISK_DIMENSIONS, EvidencePurpose
from hria.extensions import db
from hria.web.context import assessment_context, store_attachment
from hria.web.forms import EvidenceForm, flash_errors
from hria.web.risks.forms import DIMENSIONS, RESIDUAL, ActionForm, RatingForm

bp = Blueprint("risks", __name__)


@bp.route("/assessments/<int:assessment_id>/risks", methods=["GET", "POST"])
@login_required
def risks(assessment_id: int):
    assessment, bank, _stage = assessment_context(assessment_id, buyer_side=True)
    lang = assessment.language
    can_rate = (
        access.can_manage_system(current_user, assessment.system) and assessment.status in EDITABLE_STATUSES
    )
    labels = {name: RISK_DIMENSIONS[name].choices(lang) for name in DIMENSIONS}
    rows = risk_register.register(assessment)
    if request.method == "POST":
        access.require(can_rate)
        form = RatingForm()
        form.set_labels(labels)
        if form.validate_on_submit() and form.right.data in {r.right for r in rows}:
            database.lock_for_write(db.session, assessment)  # two first ratings of a right make one row
            rating = (
                db.session.query(RiskRating)
                .filter_by(assessment_id=assessment.id, right=form.right.data)
                .first()
            )
            if rating is None:
                rating = RiskRating(assessment_id=assessment.id, right=form.right.data)
                db.session.add(rating)
            for name in (*DIMENSIONS, *RESIDUAL):
                setattr(rating, name, form[name].data)
            rating.treatment = (form.treatment.data or "").strip()
            rating.rated_by_id = current_user.id
            db.session.commit()
            flash("Rating saved.", "info")
        else:
            flash_errors(form)
        return redirect(url_for("risks.risks", assessment_id=assessment.id) + f"#right-{form.right.data}")
    forms = {}
    for row in rows:
        form = RatingForm(formdata=None, obj=row.rating)
        form.set_labels(labels)
        form.right.data = row.right
        forms[row.right] = form
    return render_template(
        "risks/register.html",
        assessment=assessment,
        bank=bank,
        rows=rows,
        forms=forms,
        can_rate=can_rate,
        lang=lang,
        matrix=bank["risk_matrix"],
        impact=risk_register.current_impact(assessment),
        obligations=risk_register.obligations(assessment),
    )


def _action_version(action: RemediationAction) -> str:
    return action.updated_at.isoformat()


@bp.route("/assessments/<int:assessment_id>/remediation", methods=["GET"])
@login_required
def remediation(assessment_id: int):
    assessment, bank, _stage = assessment_context(assessment_id, buyer_side=True)
    actions = (
        db.session.query(RemediationAction)
        .filter_by(assessment_id=assessment.id)
        .order_by(RemediationAction.created_at, RemediationAction.id)
        .all()
    )
    can_edit = access.can_manage_system(current_user, assessment.system)
    forms = {}
    if can_edit:
        for action in actions:
            # each action's form has its own field ids, so every label points at its own action's field
            form = ActionForm(formdata=None, obj=action, prefix=f"action-{action.id}")
            form.loaded_version.data = _action_version(action)
            forms[action.id] = form
    files: dict[str | None, list[Evidence]] = {}
    for item in access.readable_evidence(
        current_user,
        db.session.query(Evidence).filter_by(assessment_id=assessment.id, purpose=EvidencePurpose.ACTION),
    ):
        files.setdefault(item.question_id, []).append(item)
    return render_template(
        "risks/remediation.html",
        assessment=assessment,
        bank=bank,
        actions=actions,
        forms=forms,
        lang=assessment.language,
        files=files,
        evidence_form=EvidenceForm(formdata=None),
        is_overdue=tracking.is_overdue,
    )


def _managed_action(assessment_id: int, action_id: int) -> tuple[Assessment, RemediationAction]:
    """A remediation action of a visible assessment that the current user's organisation manages."""
    assessment, _, _ = assessment_context(assessment_id, buyer_side=True)
    action = db.session.get(RemediationAction, action_id)
    if action is None or action.assessment_id != assessment.id:
        abort(404)
    access.require(access.can_manage_system(current_user, assessment.system))
    return assessment, action


@bp.route("/assessments/<int:assessment_id>/remediation/<int:action_id>/evidence", methods=["POST"])
@login_required
def action_evidence(assessment_id: int, action_id: int):
    assessment, action = _managed_action(assessment_id, action_id)
    item = store_attachment(assessment, EvidencePurpose.ACTION, f"action:{action.id}")
    if item is not None:
        db.session.commit()
        flash(f"Attached {item.filename} as evidence of completion.", "info")
    return redirect(url_for("risks.remediation", assessment_id=assessment.id) + f"#action-{action.id}")


@bp.route("/assessments/<int:assessment_id>/remediation/<int:action_id>", methods=["POST"])
@login_required
def edit_action(assessment_id: int, action_id: int):
    assessment, action = _managed_action(assessment_id, action_id)
    database.lock_for_write(db.session, action)  # the version check and the write as one step
    form = ActionForm(prefix=f"action-{action.id}")
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for("risks.remediation", assessment_id=assessment.id) + f"#action-{action.id}")
    if form.loaded_version.data != _action_version(action):
        flash(
            "Someone changed this action after you opened the page; nothing was saved. Reload and try again.",
            "error",
        )
        return redirect(url_for("risks.remediation", assessment_id=assessment.id) + f"#action-{action.id}")
    action.text = (form.text.data or "").strip()
    action.owner = (form.owner.data or "").strip()
    action.due_date = form.due_date.data
    if form.status.data != action.status:
        action.resolved_at = utcnow() if form.status.data in ("done", "resolved") else None
    action.status = form.status.data
    action.justification = (form.justification.data or "").strip()
    db.session.commit()
    flash("Action saved.", "info")
    return redirect(url_for("risks.remediation", assessment_id=assessment.id) + f"#action-{action.id}")
