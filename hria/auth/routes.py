from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from .. import trail
from ..extensions import db, login_manager
from ..models import User
from . import throttle
from .forms import ChangePasswordForm, LoginForm

bp = Blueprint("auth", __name__)

WRONG_CREDENTIALS = "Wrong email or password."


@login_manager.user_loader
def load_user(user_id: str):
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    trail.set_request_actor(user)
    return user


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: an absolute or scheme-relative URL could send the user elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        address = request.remote_addr or "unknown"
        locked = throttle.minutes_locked(email, address)
        if locked:
            flash(f"Too many failed attempts. Sign-in is locked for {locked} minutes; try again later.", "error")
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None or not user.check_password(form.password.data):
            throttle.note_attempt(email, address, succeeded=False)
            flash(WRONG_CREDENTIALS, "error")
            return render_template("auth/login.html", form=form), 401
        if not user.active:
            flash("This account has been deactivated. Ask your administrator.", "error")
            return render_template("auth/login.html", form=form), 403
        throttle.note_attempt(email, address, succeeded=True)
        login_user(user)
        trail.set_request_actor(user)
        trail.record(db.session, "sign_in", user)
        db.session.commit()
        return redirect(safe_next(form.next.data) or url_for("main.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("This is not your current password.")
        else:
            current_user.set_password(form.new.data)
            db.session.commit()
            flash("Your password has been changed.", "info")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/password.html", form=form)
