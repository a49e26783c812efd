"""One assessment: its page, the moves of its review workflow, inviting vendors, sharing a self-certification
and importing one, and the signed export."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hria.domain import (
    access,
    answers,
    bank_moves,
    conditions,
    crosswalk,
    fria,
    questions,
    reporting,
    risk_register,
    sharing,
    transfer,
    workflow,
)
from hria.domain.models import (
    ApprovalCondition,
    Assessment,
    FairnessAudit,
    Invitation,
    Organisation,
    Report,
    Share,
)
from hria.domain.vocabulary import EDITABLE_STATUSES, AssessmentStatus, OrganisationKind, ReportKind, Role
from hria.extensions import db
from hria.web import ids
from hria.web.assessments.forms import ConditionForm, InviteForm, MoveBankForm, RejectNotApplicableForm
from hria.web.audits.forms import UploadForm
from hria.web.errors import refused
from hria.web.forms import ButtonForm, options, refused_or_repeated
from hria.web.questionnaire.routes import TASK_LABELS, sections_for
from hria.web.reports.routes import can_countersign, kind_for
from reports import SigningKeyError

bp = Blueprint("assessments", __name__)


@bp.route("/assessments/<int:assessment_id>")
@login_required
def view_assessment(assessment_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    manage = access.can_manage_system(current_user, assessment.system)
    self_certification = access.is_self_certification(assessment)
    invite_form = None
    if manage and not self_certification:  # a vendor certifying its own product has no vendor to invite
        invite_form = InviteForm()
        invite_form.organisation_id.choices = _invitable(assessment)
    contribute = access.can_contribute(current_user, assessment)
    audits = db.session.scalars(
        select(FairnessAudit)
        .where(FairnessAudit.assessment_id == assessment.id)
        .options(selectinload(FairnessAudit.evidence))  # one query for the files of all audits
        .order_by(FairnessAudit.created_at.desc())
    ).all()

    bank = questions.bank_for(assessment)
    answers = questions.answers_of(assessment)
    sections = sections_for(current_user, assessment, questions.stage_questions(bank, assessment), answers)
    return render_template(
        "assessments/view.html",
        assessment=assessment,
        self_certification=self_certification,
        manage=manage,
        invite_form=invite_form,
        audits=audits,
        upload_form=UploadForm() if contribute else None,
        bank=bank,
        sections=sections,
        task_labels=TASK_LABELS,
        gaps=workflow.completeness(assessment),
        conditions=conditions.of_assessment(assessment)
        if access.reads_buyer_side(current_user, assessment)
        else [],
        is_overdue=conditions.is_overdue,
        impact=risk_register.current_impact(assessment),
        obligations=risk_register.obligations(assessment),
        coverage=crosswalk.for_reader(current_user, assessment, assessment.language),
        **_reports_context(assessment),
        **_sharing_context(assessment),
        **_bank_move_context(assessment, manage),
        **_not_applicable_context(assessment),
    )


def _may_reject_not_applicable(assessment: Assessment) -> bool:
    """The oversight body reviewing the assessment may refuse a "not applicable" it does not accept."""
    return (
        current_user.role == Role.OVERSIGHT
        and access.reads_buyer_side(current_user, assessment)
        and assessment.status in (AssessmentStatus.SUBMITTED, AssessmentStatus.UNDER_REVIEW)
    )


def _not_applicable_context(assessment: Assessment) -> dict:
    if not access.reads_buyer_side(current_user, assessment):
        return {"not_applicable": [], "reject_form": None}
    return {
        "not_applicable": answers.not_applicable(assessment),
        "reject_form": RejectNotApplicableForm() if _may_reject_not_applicable(assessment) else None,
    }


@bp.route("/assessments/<int:assessment_id>/not-applicable/<question_id>/reject", methods=["POST"])
@login_required
def reject_not_applicable(assessment_id: int, question_id: str):
    assessment = access.assessment_or_404(current_user, assessment_id)
    if not access.reads_buyer_side(current_user, assessment):
        abort(404)
    access.require(_may_reject_not_applicable(assessment))
    back = url_for("assessments.view_assessment", assessment_id=assessment.id) + "#not-applicable"
    form = RejectNotApplicableForm()
    early = refused_or_repeated(form, back)
    if early is not None:
        return early
    try:
        answers.reject_not_applicable(assessment, question_id, current_user, form.comment.data or "")
    except answers.RejectionError as error:
        db.session.rollback()
        return refused(409, str(error), back, "Back to the assessment")
    risk_register.recompute(assessment)
    db.session.commit()
    flash(f"“Not applicable” for {question_id} rejected: the question is open again.", "info")
    return redirect(back)


def _bank_move_context(assessment: Assessment, manage: bool) -> dict:
    """The offer to move to the current question bank, made to the owner while the answers can change."""
    plan = bank_moves.preview(assessment) if manage and assessment.status in EDITABLE_STATUSES else None
    return {"bank_move": plan, "move_bank_form": MoveBankForm() if plan else None}


def _sharing_context(assessment: Assessment) -> dict:
    shares = db.session.query(Share).filter_by(assessment_id=assessment.id).all()
    can_share = access.self_certifies(current_user, assessment)
    buyers = []
    if can_share:
        shared = {s.organisation_id for s in shares}
        buyers = [
            o
            for o in db.session.scalars(
                select(Organisation)
                .where(Organisation.kind == OrganisationKind.BUYER)
                .order_by(Organisation.name)
            )
            if o.id not in shared
        ]
    shared_with_me = access.is_procurer(current_user) and any(
        s.organisation_id == current_user.organisation_id for s in shares
    )
    return {"shares": shares, "can_share": can_share, "buyers": buyers, "can_import": shared_with_me}


def _reports_context(assessment: Assessment) -> dict:
    reports = db.session.query(Report).filter_by(assessment_id=assessment.id).order_by(Report.id.desc()).all()
    if access.is_vendor(current_user) and not access.self_certifies(current_user, assessment):
        reports = [
            r
            for r in reports
            if r.kind == ReportKind.SELF_CERTIFICATION
            and reporting.issuer_name(r) == current_user.organisation.name
        ]

    report_kind = kind_for(current_user, assessment)
    return {
        "reports": reports,
        "report_kind": report_kind,
        "report_gaps": workflow.completeness(assessment, reporting.answerers_of(report_kind))
        if report_kind
        else None,
        "button_form": ButtonForm(),
        "transitions": workflow.available(current_user, assessment),
        "countersignable": {r.id for r in reports if can_countersign(current_user, r)},
        "signers_of": reporting.signers_described,
        "awaited_of": reporting.awaited,
    }


def _invitable(assessment: Assessment):
    invited = {i.organisation_id for i in assessment.invitations}
    return options((o.id, o.name) for o in access.vendor_organisations() if o.id not in invited)


@bp.route("/assessments/<int:assessment_id>/check")
@login_required
def check_answers(assessment_id: int):
    """Check your answers: what is still open, section by section with a link to each question, before the
    assessment can be submitted for review."""
    assessment = access.assessment_or_404(current_user, assessment_id)
    gaps = workflow.completeness(assessment)
    stage = questions.stage_questions(questions.bank_for(assessment), assessment)
    readable = access.answerers_readable(current_user, assessment)
    shown = [q for q in gaps.missing if q["answered_by"] in readable]
    open_by_section = [
        (section, [q for q in shown if q["section"] == section["key"]])
        for section in stage["sections"]
        if any(q["section"] == section["key"] for q in shown)
    ]
    can_submit = any(t.key == "submit" for t in workflow.available(current_user, assessment))
    return render_template(
        "assessments/check.html",
        assessment=assessment,
        gaps=gaps,
        others_open=len(gaps.missing) - len(shown),
        open_by_section=open_by_section,
        can_submit=can_submit,
        button_form=ButtonForm(),
    )


@bp.route("/assessments/<int:assessment_id>/transitions/<key>", methods=["POST"])
@login_required
def transition(assessment_id: int, key: str):
    assessment = access.assessment_or_404(current_user, assessment_id)
    if not ButtonForm().validate_on_submit():
        flash("The form has expired; reload the page and try again.", "error")
        return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id))
    try:
        workflow.apply(
            current_user,
            assessment,
            key,
            request.form.get("comment", "")[:5000],
            condition_texts=conditions.parse(request.form.get("conditions", "")),
        )
        db.session.commit()
        flash(f"The assessment is now {assessment.status.replace('_', ' ')}.", "info")
    except workflow.TransitionError as error:
        db.session.rollback()
        return refused(
            403,
            str(error),
            url_for("assessments.view_assessment", assessment_id=assessment.id),
            "Back to the assessment",
        )
    return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id))


@bp.route("/assessments/<int:assessment_id>/export.json", methods=["POST"])
@login_required
def export_assessment(assessment_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    access.require(access.can_manage_system(current_user, assessment.system))
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        document = transfer.export(assessment)
    except SigningKeyError as error:
        flash(f"The export could not be signed: {error}", "error")
        return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id))
    db.session.commit()
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=assessment-{assessment.id}.json"},
    )


def _fria_readable(assessment_id: int) -> Assessment:
    """The Art. 27(3) notification is the deployer's: the buyer's side of the assessment, which an invited
    vendor does not read (404, as for anything it may not see)."""
    assessment = access.assessment_or_404(current_user, assessment_id)
    if not access.reads_buyer_side(current_user, assessment):
        abort(404)
    return assessment


@bp.route("/assessments/<int:assessment_id>/fria.json")
@login_required
def fria_json(assessment_id: int):
    assessment = _fria_readable(assessment_id)
    return Response(
        json.dumps(fria.notification(assessment), indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=fria-{assessment.id}.json"},
    )


@bp.route("/assessments/<int:assessment_id>/fria.pdf")
@login_required
def fria_pdf(assessment_id: int):
    assessment = _fria_readable(assessment_id)
    back = url_for("assessments.view_assessment", assessment_id=assessment.id) + "#frameworks"
    try:
        pdf = fria.signed_pdf(assessment, current_user)
        db.session.commit()  # the deployer's certificate, recorded when its key is first used
    except (reporting.ReportError, SigningKeyError) as error:
        db.session.rollback()
        return refused(409, f"The notification could not be signed: {error}", back, "Back to the assessment")
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename=fria-{assessment.id}.pdf"},
    )


@bp.route("/assessments/<int:assessment_id>/shares", methods=["POST"])
@login_required
def share(assessment_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    access.require(access.self_certifies(current_user, assessment))
    buyer_id = ids.parse(request.form.get("organisation_id") or "")
    buyer = db.session.get(Organisation, buyer_id) if buyer_id is not None else None
    if not ButtonForm().validate_on_submit() or buyer is None or buyer.kind != OrganisationKind.BUYER:
        flash("Choose a buying organisation to share with.", "error")
    elif db.session.query(Share).filter_by(assessment_id=assessment.id, organisation_id=buyer.id).first():
        flash(f"Already shared with {buyer.name}.", "info")
    else:
        db.session.add(
            Share(assessment_id=assessment.id, organisation_id=buyer.id, shared_by_id=current_user.id)
        )
        db.session.commit()
        flash(f"Shared with {buyer.name}: its procurement officers can read it and import it.", "info")
    return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id))


@bp.route("/assessments/<int:assessment_id>/import", methods=["POST"])
@login_required
def import_shared(assessment_id: int):
    source = access.assessment_or_404(current_user, assessment_id)
    shared = (
        db.session.query(Share)
        .filter_by(assessment_id=source.id, organisation_id=current_user.organisation_id)
        .first()
    )
    access.require(access.is_procurer(current_user) and shared is not None)
    if not ButtonForm().validate_on_submit():
        abort(400)
    assessment, carried = sharing.import_self_certification(source, current_user)
    db.session.commit()
    flash(
        f"Imported: {carried} answers carried over from {source.system.owner.name}'s self-certification. "
        f"They are marked until you confirm them by saving their section.",
        "info",
    )
    return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id))


@bp.route("/assessments/<int:assessment_id>/invitations", methods=["POST"])
@login_required
def invite(assessment_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    access.require(
        access.can_manage_system(current_user, assessment.system)
        and not access.is_self_certification(assessment)
    )
    form = InviteForm()
    form.organisation_id.choices = _invitable(assessment)
    if form.validate_on_submit() and not form.already_submitted():
        invitation = Invitation(
            assessment=assessment, organisation_id=form.organisation_id.data, invited_by_id=current_user.id
        )
        db.session.add(invitation)
        db.session.commit()
        flash(f"{invitation.organisation.name} is invited to this assessment.", "info")
    elif form.errors:
        flash("Choose a vendor organisation that is not invited yet.", "error")
    return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id))


@bp.route("/assessments/<int:assessment_id>/bank", methods=["POST"])
@login_required
def move_bank(assessment_id: int):
    """Move the assessment to the current question bank: the owner's choice, never automatic."""
    assessment = access.assessment_or_404(current_user, assessment_id)
    access.require(access.can_manage_system(current_user, assessment.system))
    back = url_for("assessments.view_assessment", assessment_id=assessment.id)
    form = MoveBankForm()
    if not form.validate_on_submit():
        flash("The form has expired; reload the page and try again.", "error")
        return redirect(back)
    if form.already_submitted():
        return redirect(back)
    try:
        plan = bank_moves.move(current_user, assessment)
    except bank_moves.MoveError as error:
        db.session.rollback()
        return refused(409, str(error), back, "Back to the assessment")
    db.session.commit()
    flash(_moved_message(plan), "info")
    return redirect(back)


def _moved_message(plan: bank_moves.Move) -> str:
    def listed(ids: list[str]) -> str:
        return ", ".join(ids) if ids else "none"

    message = (
        f"Moved from question bank {plan.from_version} to {plan.to_version}: {len(plan.carried)} answers "
        f"carried over. New questions to answer: {listed(plan.new)}. "
        f"Questions no longer asked: {listed(plan.removed)}."
    )
    if plan.to_answer_again:
        message += f" Answer again (the old answer no longer fits): {listed(plan.to_answer_again)}."
    return message + " Answers not carried over stay readable in the event trail."


def _condition_forms(assessment: Assessment, items: list[ApprovalCondition]) -> dict[int, ConditionForm]:
    if not workflow.may_track_conditions(current_user, assessment):
        return {}
    return {c.id: ConditionForm(obj=c, formdata=None, prefix=f"condition-{c.id}-") for c in items}


@bp.route("/assessments/<int:assessment_id>/conditions")
@login_required
def conditions_page(assessment_id: int):
    """The conditions of the approval, each tracked until it is fulfilled."""
    assessment = access.assessment_or_404(current_user, assessment_id)
    if not access.reads_buyer_side(current_user, assessment):
        abort(404)
    items = conditions.of_assessment(assessment)
    return render_template(
        "assessments/conditions.html",
        assessment=assessment,
        conditions=items,
        forms=_condition_forms(assessment, items),
        is_overdue=conditions.is_overdue,
    )


@bp.route("/assessments/<int:assessment_id>/conditions/<int:condition_id>", methods=["POST"])
@login_required
def edit_condition(assessment_id: int, condition_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    condition = db.session.get(ApprovalCondition, condition_id)
    if (
        condition is None
        or condition.assessment_id != assessment.id
        or not access.reads_buyer_side(current_user, assessment)
    ):
        abort(404)
    access.require(workflow.may_track_conditions(current_user, assessment))
    form = ConditionForm(prefix=f"condition-{condition.id}-")
    if form.validate_on_submit():
        conditions.update(
            condition, form.owner.data or "", form.due_date.data, form.status.data, form.fulfilment.data or ""
        )
        db.session.commit()
        flash("Condition saved.", "info")
        return redirect(
            url_for("assessments.conditions_page", assessment_id=assessment.id) + f"#condition-{condition.id}"
        )
    items = conditions.of_assessment(assessment)
    forms = _condition_forms(assessment, items)
    forms[condition.id] = form
    return render_template(
        "assessments/conditions.html",
        assessment=assessment,
        conditions=items,
        forms=forms,
        is_overdue=conditions.is_overdue,
        failed=condition.id,
    ), 400
