import json

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import access, ids, questions, register
from ..forms import options
from ..extensions import db
from ..audits.forms import UploadForm
from ..models import Assessment, FairnessAudit, Invitation, Organisation, System
from .forms import NO_VENDOR, EditSystemForm, InviteForm, NewAssessmentForm, NewSystemForm

bp = Blueprint("systems", __name__)


def _vendors() -> list[Organisation]:
    return db.session.scalars(
        select(Organisation).where(Organisation.kind == "vendor").order_by(Organisation.name)
    ).all()


def _fill_choices(form) -> None:
    form.owner_id.choices = options((o.id, o.name) for o in access.owner_choices(current_user))
    form.vendor_id.choices = options([(NO_VENDOR, "— none yet —")] + [(o.id, o.name) for o in _vendors()])


def _apply(form, system: System) -> None:
    system.name = form.name.data.strip()
    system.purpose = (form.purpose.data or "").strip()
    system.owner_id = form.owner_id.data
    system.vendor_id = form.vendor_id.data or None
    system.sector = form.sector.data
    system.automated_decisions = form.automated_decisions.data


def _version(system: System) -> str:
    return system.updated_at.isoformat()


@bp.route("/systems/new", methods=["GET", "POST"])
@login_required
def new_system():
    access.require(access.can_create_systems(current_user))
    form = NewSystemForm()
    _fill_choices(form)
    if form.validate_on_submit():
        if form.already_submitted():
            flash("This system was already registered: the form was sent twice.", "info")
            return redirect(url_for("main.dashboard"))
        system = System(created_by_id=current_user.id)
        _apply(form, system)
        if current_user.role == "vendor":  # a system the vendor sells: it is its own vendor
            system.vendor_id = current_user.organisation_id
        db.session.add(system)
        db.session.commit()
        flash(f"Registered “{system.name}”.", "info")
        return redirect(url_for("systems.view_system", system_id=system.id))
    return render_template("systems/edit.html", form=form, system=None)


@bp.route("/systems/<int:system_id>")
@login_required
def view_system(system_id: int):
    system = access.system_or_404(current_user, system_id)
    assessments = db.session.scalars(
        access.visible_assessments(current_user)
        .where(Assessment.system_id == system.id)
        .order_by(Assessment.created_at)
    ).all()
    manage = access.can_manage_system(current_user, system)
    from flask_wtf import FlaskForm

    from .. import tracking

    entries, next_review, review_reason = tracking.timeline(current_user, system)
    return render_template(
        "systems/view.html", system=system, assessments=assessments,
        manage=manage, assessment_form=NewAssessmentForm() if manage else None,
        timeline=entries, next_review=next_review, review_reason=review_reason, button_form=FlaskForm(),
    )


@bp.route("/systems/<int:system_id>/remediation")
@login_required
def system_remediation(system_id: int):
    from datetime import date

    from .. import tracking

    system = access.system_or_404(current_user, system_id)
    if current_user.role == "vendor":
        abort(404)
    return render_template("systems/remediation.html", system=system, today=date.today(),
                           rows=tracking.actions_of_system(current_user, system))


@bp.route("/systems/<int:system_id>/operation", methods=["POST"])
@login_required
def set_operation(system_id: int):
    from flask_wtf import FlaskForm

    from .. import tracking

    system = access.system_or_404(current_user, system_id)
    access.require(access.can_manage_system(current_user, system))
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not system.in_operation:
        blocking = tracking.unaccepted_very_high_risks(system)
        if blocking:
            rights = ", ".join(sorted({r.right.replace("_", " ") for r in blocking}))
            flash(f"The system cannot go into operation: very-high risks to {rights} have no accepted treatment. "
                  f"Record the treatment in the risk register first.", "error")
            return redirect(url_for("systems.view_system", system_id=system.id)), 409
    system.in_operation = not system.in_operation
    db.session.commit()
    flash("The system is now marked as in operation." if system.in_operation else
          "The system is no longer marked as in operation.", "info")
    return redirect(url_for("systems.view_system", system_id=system.id))


@bp.route("/systems/<int:system_id>/edit", methods=["GET", "POST"])
@login_required
def edit_system(system_id: int):
    system = access.system_or_404(current_user, system_id)
    access.require(access.can_manage_system(current_user, system))
    form = EditSystemForm(obj=system)
    _fill_choices(form)
    if not form.is_submitted():
        form.vendor_id.data = system.vendor_id or NO_VENDOR
        form.loaded_version.data = _version(system)
    elif form.validate():
        if form.is_stale(_version(system)):
            flash("Someone else changed this system while you were editing it. Your input is shown below; "
                  "compare it with the current values, then save again.", "error")
            form.loaded_version.data = _version(system)
            return render_template("systems/edit.html", form=form, system=system, current=system), 409
        _apply(form, system)
        db.session.commit()
        flash("Changes saved.", "info")
        return redirect(url_for("systems.view_system", system_id=system.id))
    return render_template("systems/edit.html", form=form, system=system)


@bp.route("/systems/<int:system_id>/assessments", methods=["POST"])
@login_required
def new_assessment(system_id: int):
    system = access.system_or_404(current_user, system_id)
    access.require(access.can_manage_system(current_user, system))
    form = NewAssessmentForm()
    if form.validate_on_submit():
        if form.already_submitted():
            flash("This assessment was already started: the form was sent twice.", "info")
            return redirect(url_for("systems.view_system", system_id=system.id))
        assessment = Assessment(
            system=system, stage=form.stage.data, language=form.language.data,
            status="draft", created_by_id=current_user.id,
        )
        db.session.add(assessment)
        db.session.flush()
        from .. import sharing

        carried = sharing.carry_over_previous(assessment)
        db.session.commit()
        if carried:
            flash(f"{carried} answers were carried over from earlier assessments of this system; they are marked "
                  f"until you confirm them.", "info")
        return redirect(url_for("systems.view_assessment", assessment_id=assessment.id))
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")
    return redirect(url_for("systems.view_system", system_id=system.id))


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
        select(FairnessAudit).where(FairnessAudit.assessment_id == assessment.id).order_by(FairnessAudit.created_at.desc())
    ).all()
    from ..wizard.routes import sections_for

    pinned = assessment.bank_id is not None
    bank = questions.bank_for(assessment)
    if not pinned:
        db.session.commit()
    answers = questions.answers_of(assessment)
    sections = sections_for(current_user, assessment, questions.stage_questions(bank, assessment), answers)
    return render_template("systems/assessment.html", assessment=assessment, manage=manage, invite_form=invite_form,
                           audits=audits, upload_form=UploadForm() if contribute else None, bank=bank,
                           sections=sections, impact=register.current_impact(assessment),
                           obligations=register.obligations(assessment),
                           show_scores=current_user.role != "vendor" or access.self_certifies(current_user, assessment),
                           **_reports_context(assessment), **_sharing_context(assessment))


def _sharing_context(assessment: Assessment) -> dict:
    from ..models import Share

    shares = db.session.query(Share).filter_by(assessment_id=assessment.id).all()
    can_share = access.self_certifies(current_user, assessment)
    buyers = []
    if can_share:
        shared = {s.organisation_id for s in shares}
        buyers = [o for o in db.session.scalars(select(Organisation).where(Organisation.kind == "buyer")
                                                .order_by(Organisation.name)) if o.id not in shared]
    shared_with_me = current_user.role == "procurer" and any(s.organisation_id == current_user.organisation_id
                                                             for s in shares)
    return {"shares": shares, "can_share": can_share, "buyers": buyers, "can_import": shared_with_me}


def _reports_context(assessment: Assessment) -> dict:
    from flask_wtf import FlaskForm

    from ..issued.routes import can_countersign, kind_for
    from ..models import Report

    reports = db.session.query(Report).filter_by(assessment_id=assessment.id).order_by(Report.id.desc()).all()
    if current_user.role == "vendor":
        reports = [r for r in reports if r.kind == "self-certification"]
    from .. import reporting, workflow

    return {"reports": reports, "report_kind": kind_for(current_user, assessment), "button_form": FlaskForm(),
            "transitions": workflow.available(current_user, assessment),
            "countersignable": {r.id for r in reports if can_countersign(current_user, r)},
            "signers_of": reporting.signers_described}


def _invitable(assessment: Assessment):
    invited = {i.organisation_id for i in assessment.invitations}
    return options((o.id, o.name) for o in _vendors() if o.id not in invited)


@bp.route("/assessments/<int:assessment_id>/transitions/<key>", methods=["POST"])
@login_required
def transition(assessment_id: int, key: str):
    from flask import request
    from flask_wtf import FlaskForm

    from .. import workflow

    assessment = access.assessment_or_404(current_user, assessment_id)
    if not FlaskForm().validate_on_submit():
        flash("The form has expired; reload the page and try again.", "error")
        return redirect(url_for("systems.view_assessment", assessment_id=assessment.id))
    try:
        workflow.apply(current_user, assessment, key, request.form.get("comment", "")[:5000])
        db.session.commit()
        flash(f"The assessment is now {assessment.status.replace('_', ' ')}.", "info")
    except workflow.TransitionError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("systems.view_assessment", assessment_id=assessment.id)), 403
    return redirect(url_for("systems.view_assessment", assessment_id=assessment.id))


@bp.route("/assessments/<int:assessment_id>/export.json")
@login_required
def export_assessment(assessment_id: int):
    from flask import Response

    from .. import transfer
    from reports import SigningKeyError

    assessment = access.assessment_or_404(current_user, assessment_id)
    access.require(access.can_manage_system(current_user, assessment.system))
    try:
        document = transfer.export(assessment)
    except SigningKeyError as error:
        flash(f"The export could not be signed: {error}", "error")
        return redirect(url_for("systems.view_assessment", assessment_id=assessment.id))
    db.session.commit()
    return Response(json.dumps(document, indent=2, ensure_ascii=False), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=assessment-{assessment.id}.json"})


@bp.route("/assessments/<int:assessment_id>/shares", methods=["POST"])
@login_required
def share(assessment_id: int):
    from flask import request
    from flask_wtf import FlaskForm

    from ..models import Share

    assessment = access.assessment_or_404(current_user, assessment_id)
    access.require(access.self_certifies(current_user, assessment))
    buyer_id = ids.parse(request.form.get("organisation_id") or "")
    buyer = db.session.get(Organisation, buyer_id) if buyer_id is not None else None
    if not FlaskForm().validate_on_submit() or buyer is None or buyer.kind != "buyer":
        flash("Choose a buying organisation to share with.", "error")
    elif db.session.query(Share).filter_by(assessment_id=assessment.id, organisation_id=buyer.id).first():
        flash(f"Already shared with {buyer.name}.", "info")
    else:
        db.session.add(Share(assessment_id=assessment.id, organisation_id=buyer.id, shared_by_id=current_user.id))
        db.session.commit()
        flash(f"Shared with {buyer.name}: its procurement officers can read it and import it.", "info")
    return redirect(url_for("systems.view_assessment", assessment_id=assessment.id))


@bp.route("/assessments/<int:assessment_id>/import", methods=["POST"])
@login_required
def import_shared(assessment_id: int):
    from flask_wtf import FlaskForm

    from .. import sharing
    from ..models import Share

    source = access.assessment_or_404(current_user, assessment_id)
    shared = db.session.query(Share).filter_by(assessment_id=source.id,
                                               organisation_id=current_user.organisation_id).first()
    access.require(current_user.role == "procurer" and shared is not None)
    if not FlaskForm().validate_on_submit():
        abort(400)
    assessment, carried = sharing.import_self_certification(source, current_user)
    db.session.commit()
    flash(f"Imported: {carried} answers carried over from {source.system.owner.name}'s self-certification. "
          f"They are marked until you confirm them by saving their section.", "info")
    return redirect(url_for("systems.view_assessment", assessment_id=assessment.id))


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
    return redirect(url_for("systems.view_assessment", assessment_id=assessment.id))
