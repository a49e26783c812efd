"""Friendly error pages; no stack trace ever reaches the browser."""

from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from hria import storage
from hria.extensions import db

MESSAGES = {
    400: (
        "The request could not be understood",
        "Something in what was sent is missing or malformed. Go back, reload the page and try again.",
    ),
    403: (
        "Not allowed",
        "Your role does not allow this action. Ask your organisation's administrator if you need it.",
    ),
    404: (
        "Not found",
        "There is nothing here, or it is not yours to see. Check the address, or go back to the dashboard.",
    ),
    405: ("Not allowed", "This address does not accept that kind of request."),
    409: ("Conflict", "Someone else changed this at the same time. Reload the page and try again."),
    413: (
        "The file is too large",
        (
            "Uploads may be at most {max_upload_mb} MB. Split the file, or ask an administrator to raise the "
            "limit."
        ),
    ),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    503: (
        "Busy",
        (
            "Many people are saving at this moment and yours could not wait any longer. Nothing was saved; "
            "send it again in a few seconds."
        ),
    ),
    500: (
        "Something went wrong on our side",
        (
            "Nothing you did caused this, and nothing you had saved is lost. Try again in a moment; if it "
            "keeps happening, tell your administrator."
        ),
    ),
}


def _back() -> str | None:
    """The page the user came from on this site, as the way back from a refusal; never another site's."""
    referrer = request.referrer
    if not referrer:
        return None
    came_from = urlsplit(referrer)
    if came_from.netloc != request.host or came_from.path == request.path:
        return None
    return came_from.path + (f"?{came_from.query}" if came_from.query else "")


def _page(code: int, detail: str | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500])
    text = text.format(max_upload_mb=current_app.config["MAX_UPLOAD_MB"])
    back = _back() if code in (400, 403, 409) else None
    return render_template(
        "error.html",
        code=code,
        title=title,
        text=detail or text,
        back=back,
        back_label="Back to the page you came from",
    ), code


def refused(code: int, reason: str, back: str, back_label: str, title: str | None = None):
    """A refusal as a page of its own: why, and the way back to where it can be put right."""
    title = title or MESSAGES[code][0]
    return render_template(
        "error.html", code=code, title=title, text=reason, back=back, back_label=back_label
    ), code


def _busy(error: OperationalError) -> bool:
    """A write that waited for its lock longer than SQLite allows, or deadlocked on PostgreSQL."""
    text = str(error.orig).lower()
    return "database is locked" in text or "deadlock detected" in text or "lock timeout" in text


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _page(
            400,
            (
                "This form has expired or did not come from this site. Reload the page, fill it in again and "
                "resend it."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code in MESSAGES:
            return _page(error.code)
        return error

    @app.errorhandler(OperationalError)
    def database_busy(error):
        db.session.rollback()
        if not _busy(error):
            app.logger.exception("Database error on %s %s", request.method, request.path)
            return _page(500)
        app.logger.warning("Database busy on %s %s: %s", request.method, request.path, error.orig)
        body, code = _page(503)
        return body, code, {"Retry-After": "5"}

    @app.errorhandler(storage.Unavailable)
    def store_unavailable(error):
        db.session.rollback()
        app.logger.error("Evidence store error on %s %s: %s", request.method, request.path, error)
        detail = (
            "The stored file could not be read from the evidence store. Nothing is lost; try again in a "
            "moment, and tell your administrator if it keeps happening."
        )
        body, code = _page(503, detail)
        return body, code, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def unexpected(error):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _page(500)
