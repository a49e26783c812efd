"""One assessment: its page, the moves of its review workflow, inviting vendors, sharing a self-certification
and importing one, and the signed export."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hria.domain import access, questions, reporting, risk_register, sharing, transfer, workflow
from hria.domain.models import Assessment, FairnessAudit, Invitation, Organisation, Report, Share
from hria.domain.vocabulary import OrganisationKind, ReportKind
from hria.extensions import db
from hria.web import ids
from hria.web.assessments.forms import InviteForm
from hria.web.audits.forms import UploadForm
from hria.web.errors import refused
from hria.web.forms import ButtonForm, options
from hria.web.questionnaire.routes import sections_for
from hria.web.reports.routes import can_countersign, kind_for
from reports import SigningKeyError

bp = Blueprint("assessments", __name__)


@bp.route("/assessments/<int:assessment_id>")
@login_required
def view_assessment(assessment_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    manage = access.can_manage_system(current_user, assessment.system)
    invite_form = None
    if manage:
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
        manage=manage,
        invite_form=invite_form,
        audits=audits,
        upload_form=UploadForm() if contribute else None,
        bank=bank,
        sections=sections,
        impact=risk_register.current_impact(assessment),
        obligations=risk_register.obligations(assessment),
        **_reports_context(assessment),
        **_sharing_context(assessment),
    )


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

    return {
        "reports": reports,
        "report_kind": kind_for(current_user, assessment),
        "button_form": ButtonForm(),
        "transitions": workflow.available(current_user, assessment),
        "countersignable": {r.id for r in reports if can_countersign(current_user, r)},
        "signers_of": reporting.signers_described,
    }


def _invitable(assessment: Assessment):
    invited = {i.organisation_id for i in assessment.invitations}
    return options((o.id, o.name) for o in access.vendor_organisations() if o.id not in invited)


@bp.route("/assessments/<int:assessment_id>/transitions/<key>", methods=["POST"])
@login_required
def transition(assessment_id: int, key: str):
    assessment = access.assessment_or_404(current_user, assessment_id)
    if not ButtonForm().validate_on_submit():
        flash("The form has expired; reload the page and try again.", "error")
        return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id))
    try:
        workflow.apply(current_user, assessment, key, request.form.get("comment", "")[:5000])
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
    access.require(access.can_manage_system(current_user, assessment.system))
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
