import hmac
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from hria.domain import accounts, sign_in_throttle, trail
from hria.domain.models import User
from hria.extensions import db, login_manager
from hria.web.auth.forms import ChangePasswordForm, LoginForm
from hria.web.forms import add_error

bp = Blueprint("auth", __name__)

WRONG_CREDENTIALS = "Wrong email or password."


@login_manager.user_loader
def load_user(user_id: str):
    """``user_id`` is ``User.get_id()``: the id and the session token the cookie was issued with."""
    number, _, token = user_id.partition(":")
    if not number.isdigit() or not token:
        return None
    user = db.session.get(User, int(number))
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    trail.set_request_actor(user)
    return user


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: an absolute or scheme-relative URL could send the user elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        attempt_id, wait = sign_in_throttle.begin(email, request.remote_addr or "unknown")
        if attempt_id is None:
            return _throttled(form, wait)
        user = accounts.authenticate(email, form.password.data or "")
        if user is None:
            flash(WRONG_CREDENTIALS, "error")
            return render_template("auth/login.html", form=form), 401
        if not user.active:
            flash("This account has been deactivated. Ask your administrator.", "error")
            return render_template("auth/login.html", form=form), 403
        sign_in_throttle.succeeded(attempt_id)
        login_user(user)
        trail.set_request_actor(user)
        trail.record(db.session, "sign_in", user)
        db.session.commit()
        return redirect(safe_next(form.next.data) or url_for("home.dashboard"))
    return render_template("auth/login.html", form=form)


def _throttled(form: LoginForm, wait: int):
    flash(f"Too many sign-in attempts. Wait {_duration(wait)} before you try again.", "error")
    return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{-(-seconds // 60)} minutes"


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # One token per user, not per session: signing out also ends a session left open on another
    # computer, which is what someone who signs out of a shared or lost device needs.
    current_user.end_sessions()
    trail.record(db.session, "sign_out", current_user)
    db.session.commit()
    logout_user()
    flash("You are signed out, here and on any other device.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not user.check_password(form.current.data):
            add_error(form.current, "This is not your current password.")
        else:
            accounts.change_password(user, form.new.data or "")
            db.session.commit()
            login_user(user)  # this session goes on under the new token; every other one has ended
            flash("Your password has been changed. You are signed out on every other device.", "info")
            return redirect(url_for("home.dashboard"))
    return render_template("auth/password.html", form=form)
