from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hria.domain import accounts
from hria.domain.models import Organisation, OversightAssignment, User
from hria.domain.vocabulary import OrganisationKind, Role
from hria.extensions import db
from hria.web.admin.forms import ConfirmForm, OrganisationForm, OversightForm, UserForm
from hria.web.forms import add_error, options

bp = Blueprint("admin", __name__)


@bp.before_request
@login_required
def only_admins():
    if current_user.role != Role.ADMIN:
        abort(404)


def _organisations(kind: str | None = None) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    return list(db.session.scalars(query))


@bp.route("/organisations", methods=["GET", "POST"])
def organisations():
    form = OrganisationForm()
    if form.validate_on_submit() and not form.already_submitted():
        try:
            organisation = accounts.create_organisation(form.name.data or "", form.kind.data)
            db.session.commit()
            flash(f"Created {organisation.name}.", "info")
            return redirect(url_for("admin.organisations"))
        except accounts.AccountError as error:
            db.session.rollback()
            add_error(form.name, str(error))
    oversight_form = OversightForm(formdata=None)
    _oversight_choices(oversight_form)
    assignments = db.session.scalars(select(OversightAssignment)).all()
    return render_template(
        "admin/organisations.html",
        organisations=_organisations(),
        form=form,
        oversight_form=oversight_form,
        assignments=assignments,
        confirm=ConfirmForm(formdata=None),
    )


def _oversight_choices(form: OversightForm) -> None:
    form.oversight_id.choices = options((o.id, o.name) for o in _organisations(OrganisationKind.OVERSIGHT))
    form.overseen_id.choices = options(
        (o.id, o.name) for o in _organisations() if o.kind != OrganisationKind.OVERSIGHT
    )


@bp.route("/oversight", methods=["POST"])
def assign_oversight():
    form = OversightForm()
    _oversight_choices(form)
    if form.validate_on_submit() and not form.already_submitted():
        exists = db.session.scalar(
            select(OversightAssignment).where(
                OversightAssignment.oversight_id == form.oversight_id.data,
                OversightAssignment.overseen_id == form.overseen_id.data,
            )
        )
        if exists:
            flash("That oversight assignment already exists.", "info")
        else:
            db.session.add(
                OversightAssignment(oversight_id=form.oversight_id.data, overseen_id=form.overseen_id.data)
            )
            db.session.commit()
            flash("Oversight assigned.", "info")
    elif form.errors:
        flash("Choose an oversight body and an organisation.", "error")
    return redirect(url_for("admin.organisations"))


@bp.route("/oversight/<int:assignment_id>/remove", methods=["POST"])
def remove_oversight(assignment_id: int):
    assignment = db.get_or_404(OversightAssignment, assignment_id)
    if ConfirmForm().validate_on_submit():
        db.session.delete(assignment)
        db.session.commit()
        flash("Oversight assignment removed.", "info")
    return redirect(url_for("admin.organisations"))


USERS_PER_PAGE = 25


@bp.route("/users", methods=["GET", "POST"])
def users():
    form = UserForm()
    form.organisation_id.choices = options((o.id, o.name) for o in _organisations())
    if form.validate_on_submit() and not form.already_submitted():
        organisation = db.session.get(Organisation, form.organisation_id.data)
        if organisation is None:  # the form offered it, but it has gone since
            abort(404)
        password = accounts.generate_password()
        try:
            user = accounts.create_user(
                form.email.data or "", password, form.role.data, organisation, form.name.data or ""
            )
            db.session.commit()
            return render_template("admin/password_issued.html", user=user, password=password)
        except accounts.AccountError as error:
            db.session.rollback()
            add_error(form.email, str(error))
    # A page at a time: a national instance has thousands of users.
    users_page = db.paginate(
        select(User).options(joinedload(User.organisation)).order_by(User.email),
        page=request.args.get("page", 1, type=int),
        per_page=USERS_PER_PAGE,
        error_out=False,
    )
    return render_template("admin/users.html", users=users_page, form=form)


# What each action on a user does, said before it is done: they act at once and cannot be undone silently.
CONSEQUENCES = {
    "password": (
        "Reset the password of {email}?",
        "Their current password stops working at once. A new one is shown to you once, to pass on securely.",
        "Reset password",
        "admin.reset_password",
    ),
    "deactivate": (
        "Deactivate {email}?",
        "They are signed out everywhere and cannot sign in until an administrator reactivates them. Nothing "
        "they wrote or signed is deleted.",
        "Deactivate",
        "admin.toggle_active",
    ),
    "reactivate": (
        "Reactivate {email}?",
        "They can sign in again with their password.",
        "Reactivate",
        "admin.toggle_active",
    ),
}


@bp.route("/users/<int:user_id>/confirm/<any(password, deactivate, reactivate):action>")
def confirm_user_action(user_id: int, action: str):
    user = db.get_or_404(User, user_id)
    if action != "password" and (user.id == current_user.id or (action == "deactivate") != user.active):
        return redirect(url_for("admin.users"))  # a stale link: the account is already as asked
    question, consequence, label, endpoint = CONSEQUENCES[action]
    return render_template(
        "admin/confirm.html",
        question=question.format(email=user.email),
        consequence=consequence,
        label=label,
        action=url_for(endpoint, user_id=user.id),
        form=ConfirmForm(formdata=None),
    )


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def toggle_active(user_id: int):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        if user.id == current_user.id:
            flash("You cannot deactivate your own account.", "error")
        else:
            accounts.set_active(user, not user.active)
            db.session.commit()
            flash(f"{user.email} is now {'active' if user.active else 'deactivated'}.", "info")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.users"))
    password = accounts.reset_password(user)
    db.session.commit()
    return render_template("admin/password_issued.html", user=user, password=password)
