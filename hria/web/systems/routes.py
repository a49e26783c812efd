"""The systems an organisation buys, builds or oversees: registering and editing one, its page with its
assessments over the lifecycle, its remediation across stages, and marking it in operation."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from hria.domain import (
    access,
    conditions,
    fairness_audits,
    fairness_results,
    registers,
    screening,
    sharing,
    tracking,
)
from hria.domain.models import Assessment, System
from hria.domain.vocabulary import AssessmentStatus, Role
from hria.extensions import db
from hria.web.errors import refused
from hria.web.forms import ButtonForm, flash_errors, options, refused_or_repeated
from hria.web.systems.forms import NO_VENDOR, EditSystemForm, LegalBasisForm, NewAssessmentForm, NewSystemForm

bp = Blueprint("systems", __name__)


def _fill_choices(form) -> None:
    form.owner_id.choices = options((o.id, o.name) for o in access.owner_choices(current_user))
    form.vendor_id.choices = options(
        [(NO_VENDOR, "— none yet —")] + [(o.id, o.name) for o in access.vendor_organisations()]
    )


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
            return redirect(url_for("home.dashboard"))
        system = System(created_by_id=current_user.id)
        _apply(form, system)
        if access.is_vendor(current_user):  # a system the vendor sells: it is its own vendor
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

    entries, next_review, review_reason = tracking.timeline(current_user, system)
    return render_template(
        "systems/view.html",
        system=system,
        assessments=assessments,
        manage=manage,
        assessment_form=NewAssessmentForm() if manage else None,
        timeline=entries,
        conditions=conditions.of_assessments([a.id for a in assessments])
        if not access.is_vendor(current_user)
        else [],
        is_overdue=conditions.is_overdue,
        next_review=next_review,
        review_reason=review_reason,
        button_form=ButtonForm(),
        monitoring=fairness_results.monitoring(
            fairness_audits.series_of(system, [a.id for a in assessments])
        ),
        prohibited=screening.prohibited_uses(system),
        stop=screening.stop_reason(system),
        legal_basis_form=LegalBasisForm() if current_user.role == Role.ADMIN else None,
    )


@bp.route("/systems/<int:system_id>/remediation")
@login_required
def system_remediation(system_id: int):
    system = access.system_or_404(current_user, system_id)
    if access.is_vendor(current_user):
        abort(404)
    return render_template(
        "systems/remediation.html",
        system=system,
        is_overdue=tracking.is_overdue,
        rows=tracking.actions_of_system(current_user, system),
    )


@bp.route("/systems/<int:system_id>/operation", methods=["POST"])
@login_required
def set_operation(system_id: int):
    system = access.system_or_404(current_user, system_id)
    access.require(access.can_manage_system(current_user, system))
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not system.in_operation:
        blocking = tracking.unaccepted_very_high_risks(system)
        if blocking:
            rights = ", ".join(sorted({r.right.replace("_", " ") for r in blocking}))
            return refused(
                409,
                f"The system cannot go into operation: very-high risks to {rights} have no "
                f"accepted treatment. Record the treatment in the risk register first.",
                url_for("systems.view_system", system_id=system.id),
                f"Back to {system.name}",
                title="The system cannot go into operation yet",
            )
    system.in_operation = not system.in_operation
    db.session.commit()
    flash(
        "The system is now marked as in operation."
        if system.in_operation
        else "The system is no longer marked as in operation.",
        "info",
    )
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
            flash(
                "Someone else changed this system while you were editing it. Your input is shown below; "
                "compare it with the current values, then save again.",
                "error",
            )
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
        stop = screening.stop_reason(system) if form.stage.data != "scoping" else None
        if stop:
            back = url_for("systems.view_system", system_id=system.id)
            return refused(409, stop, back, "Back to the system")
        assessment = Assessment(
            system=system,
            stage=form.stage.data,
            language=form.language.data,
            status=AssessmentStatus.DRAFT,
            created_by_id=current_user.id,
        )
        db.session.add(assessment)
        db.session.flush()
        carried = sharing.carry_over_previous(assessment)
        db.session.commit()
        if carried:
            flash(
                f"{carried} answers were carried over from earlier assessments of this system; they are "
                f"marked "
                f"until you confirm them.",
                "info",
            )
        return redirect(url_for("assessments.view_assessment", assessment_id=assessment.id))
    flash_errors(form)
    return redirect(url_for("systems.view_system", system_id=system.id))


@bp.route("/systems/<int:system_id>/legal-basis", methods=["POST"])
@login_required
def record_legal_basis(system_id: int):
    """Lift the stop after a prohibited practice was screened at scoping: an administrator's decision, with
    its legal basis, in the trail."""
    system = access.system_or_404(current_user, system_id)
    access.require(current_user.role == Role.ADMIN)
    back = url_for("systems.view_system", system_id=system.id) + "#screening"
    form = LegalBasisForm()
    early = refused_or_repeated(form, back)
    if early is not None:
        return early
    try:
        screening.record_legal_basis(system, form.basis.data or "", current_user)
    except screening.ScreeningError as error:
        db.session.rollback()
        return refused(409, str(error), back, "Back to the system")
    db.session.commit()
    flash("The legal basis is recorded; the system's later stages may go on.", "info")
    return redirect(back)


def _public_link(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


@bp.route("/systems/<int:system_id>/registers")
@login_required
def register_exports(system_id: int):
    """The system's entries for the public algorithm registers: what each lacks, and the downloads."""
    system = access.system_or_404(current_user, system_id)
    exports = [registers.export(system, fmt, _public_link, current_user) for fmt in registers.FORMATS]
    return render_template(
        "systems/registers.html", system=system, exports=exports, labels=registers.FORMAT_LABELS
    )


@bp.route("/systems/<int:system_id>/registers/<fmt>.json")
@login_required
def register_export(system_id: int, fmt: str):
    system = access.system_or_404(current_user, system_id)
    if fmt not in registers.FORMATS:
        abort(404)
    result = registers.export(system, fmt, _public_link, current_user)
    if not result.valid:
        return refused(
            409,
            "This export does not match HRIA's schema of the standard: " + "; ".join(result.errors),
            url_for("systems.register_exports", system_id=system.id),
            "Back to the register exports",
        )
    return Response(
        result.json(),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="system-{system.id}-{fmt}.json"'},
    )
