"""The buyer's side of public accountability: publishing a system, handling the grievances the public
sends, and recording consultations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from hria.domain import access, consultations, grievances, publication, questions
from hria.domain.models import Assessment, Grievance, System
from hria.extensions import db
from hria.web.accountability.forms import AnswerForm, ConsultationForm, TriageForm
from hria.web.errors import refused
from hria.web.forms import ButtonForm, flash_errors, options

bp = Blueprint("accountability", __name__)


def _back(system: System):
    return redirect(url_for("systems.view_system", system_id=system.id))


@bp.route("/systems/<int:system_id>/publish", methods=["POST"])
@login_required
def publish(system_id: int):
    return _set_published(system_id, True)


@bp.route("/systems/<int:system_id>/unpublish", methods=["POST"])
@login_required
def unpublish(system_id: int):
    return _set_published(system_id, False)


def _set_published(system_id: int, published: bool):
    system = access.system_or_404(current_user, system_id)
    access.require(publication.can_publish(current_user, system))
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        (publication.publish if published else publication.unpublish)(system)
    except publication.PublicationError as error:
        return refused(409, str(error), url_for("systems.view_system", system_id=system.id), system.name)
    db.session.commit()
    flash(
        "The system's transparency page is now public."
        if published
        else "The system's transparency page is no longer public.",
        "info",
    )
    return _back(system)


def _reads_grievances(system: System) -> bool:
    """The buyer's side and its oversight body: vendors do not read what the public wrote to the city."""
    return not access.is_vendor(current_user)


def _grievance_or_404(grievance_id: int) -> Grievance:
    grievance = db.session.get(Grievance, grievance_id)
    if grievance is None:
        abort(404)
    system = access.system_or_404(current_user, grievance.system_id)
    if not _reads_grievances(system):
        abort(404)
    return grievance


def _triage_form(system: System) -> TriageForm:
    form = TriageForm()
    assessments = db.session.scalars(
        select(Assessment).where(Assessment.system_id == system.id).order_by(Assessment.created_at)
    ).all()
    form.assessment_id.choices = options((a.id, f"{a.stage} (#{a.id})") for a in assessments)
    bank = questions.current_bank()
    form.right.choices = options((r["key"], questions.text(r, "en")) for r in bank["rights"])
    return form


@bp.route("/systems/<int:system_id>/grievances")
@login_required
def system_grievances(system_id: int):
    system = access.system_or_404(current_user, system_id)
    if not _reads_grievances(system):
        abort(404)
    handles = publication.can_publish(current_user, system)
    return render_template(
        "accountability/grievances.html",
        system=system,
        items=grievances.of_system(system),
        summary=grievances.summary([system.id]),
        handles=handles,
        triage_form=_triage_form(system) if handles else None,
        answer_form=AnswerForm() if handles else None,
        due_at=grievances.due_at,
        is_overdue=grievances.is_overdue,
    )


@bp.route("/grievances/<int:grievance_id>/triage", methods=["POST"])
@login_required
def triage(grievance_id: int):
    grievance = _grievance_or_404(grievance_id)
    system = grievance.system
    access.require(publication.can_publish(current_user, system))
    form = _triage_form(system)
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for("accountability.system_grievances", system_id=system.id))
    assessment = access.assessment_or_404(current_user, form.assessment_id.data)
    try:
        grievances.triage(grievance, current_user, assessment, form.right.data, form.finding.data or "")
    except grievances.GrievanceError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("accountability.system_grievances", system_id=system.id))
    db.session.commit()
    flash(f"Grievance {grievance.reference} is now in the risk register.", "info")
    return redirect(url_for("accountability.system_grievances", system_id=system.id))


@bp.route("/grievances/<int:grievance_id>/answer", methods=["POST"])
@login_required
def answer(grievance_id: int):
    grievance = _grievance_or_404(grievance_id)
    system = grievance.system
    access.require(publication.can_publish(current_user, system))
    form = AnswerForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for("accountability.system_grievances", system_id=system.id))
    grievances.answer(grievance, current_user, form.reply.data or "")
    db.session.commit()
    flash(f"The answer to grievance {grievance.reference} is recorded.", "info")
    return redirect(url_for("accountability.system_grievances", system_id=system.id))


@bp.route("/assessments/<int:assessment_id>/consultations", methods=["GET", "POST"])
@login_required
def assessment_consultations(assessment_id: int):
    assessment = access.assessment_or_404(current_user, assessment_id)
    if not access.reads_buyer_side(current_user, assessment):
        abort(404)
    manage = access.can_manage_system(current_user, assessment.system)
    form = ConsultationForm() if manage else None
    if form is not None and form.validate_on_submit():
        if form.already_submitted():
            flash("This consultation was already recorded: the form was sent twice.", "info")
            return redirect(url_for("accountability.assessment_consultations", assessment_id=assessment.id))
        try:
            consultations.record(
                assessment,
                current_user,
                consultations.NewConsultation(
                    category=form.category.data,
                    held_on=form.held_on.data,  # type: ignore[arg-type]  # required, so set once validated
                    method=form.method.data,
                    participants=form.participants.data,
                    what_they_said=form.what_they_said.data or "",
                    what_changed=form.what_changed.data or "",
                    consent=bool(form.consent.data),
                    named_participants=form.named_participants.data or "",
                ),
            )
        except consultations.ConsultationError as error:
            db.session.rollback()
            form.named_participants.errors = [str(error)]
        else:
            db.session.commit()
            flash("The consultation is recorded.", "info")
            return redirect(url_for("accountability.assessment_consultations", assessment_id=assessment.id))
    return render_template(
        "accountability/consultations.html",
        assessment=assessment,
        items=consultations.of_assessment(assessment),
        participation=consultations.participation_questions(assessment),
        form=form,
    )


@bp.app_context_processor
def _helpers() -> dict:
    """What the system page's accountability panel asks (the panel is this blueprint's template)."""

    def can_publish(system: System) -> bool:
        return current_user.is_authenticated and publication.can_publish(current_user, system)

    return {"can_publish": can_publish}
