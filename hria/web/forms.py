"""Form behaviour shared by every blueprint."""

from __future__ import annotations

import math
import secrets
from datetime import timedelta

from flask import flash, redirect
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField, SubmitField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than its stubs
from wtforms.validators import StopValidation

from hria.domain.models import FormSubmission, utcnow
from hria.extensions import db

# A token older than this is forgotten; a form left open longer than this is stale anyway.
_REMEMBER_FOR = timedelta(days=2)


class SubmitOnceForm(FlaskForm):
    """A form that can be submitted only once: a double click, a resent request or a replayed one is noticed.

    Call ``already_submitted()`` after validation; when it is True, the first submission has done (or is
    doing) the work and the caller should not repeat it. The token is recorded in the database in the
    request's own transaction, so two requests with it at the same moment cannot both pass, and a request that
    fails and rolls back leaves the form usable again.
    """

    once = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.once.data:
            self.once.data = secrets.token_urlsafe(16)

    def already_submitted(self) -> bool:
        token = (self.once.data or "")[:64]
        db.session.query(FormSubmission).filter(FormSubmission.at < utcnow() - _REMEMBER_FOR).delete()
        try:
            with db.session.begin_nested():
                db.session.add(FormSubmission(token=token))
        except IntegrityError:
            return True
        return False


class EditForm(FlaskForm):
    """An edit form that refuses to overwrite a change made since it was loaded."""

    loaded_version = HiddenField()

    def is_stale(self, current_version: str) -> bool:
        return bool(self.loaded_version.data) and self.loaded_version.data != current_version


def options(pairs) -> list[SelectChoice]:
    """Choices for a SelectField from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class Finite:
    """A number field's value must be finite: DecimalField parses "NaN", "sNaN" and "Infinity", and a
    value such as 1e999999 becomes infinite as a float. Stops the chain, as a range check cannot order NaN."""

    def __init__(self, example: str = "0.5"):
        self.example = example

    def __call__(self, form, field):
        if field.data is None:
            return
        if not field.data.is_finite() or not math.isfinite(float(field.data)):
            given = field.raw_data[0] if field.raw_data else str(field.data)
            raise StopValidation(f"“{given}” is not a finite number: give a number such as {self.example}.")


class ButtonForm(FlaskForm):
    """A form that is only a button: it carries the CSRF token and nothing else."""


def add_error(field, message: str) -> None:
    """Put a message on a field after validation (a refusal from the domain that names this field)."""
    field.errors = [*field.errors, message]


def refused_or_repeated(form: SubmitOnceForm, back: str):
    """A redirect to ``back`` when the form fails (its messages flashed there) or was already sent once; None
    when the action may go ahead."""
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(back)
    if form.already_submitted():
        return redirect(back)
    return None


def flash_errors(form: FlaskForm) -> None:
    """Every validation message of a form, as a flash on the page the user is sent back to."""
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


class EvidenceForm(FlaskForm):
    """A file attached to a question or to a remediation action."""

    file = FileField("Attach evidence", validators=[FileRequired("Choose a file to attach.")])
    submit = SubmitField("Attach")
