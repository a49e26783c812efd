"""Form behaviour shared by every blueprint."""
from __future__ import annotations

import math
import secrets

from flask import flash, session
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

_USED_KEY = "used_form_tokens"
_REMEMBERED = 50


class SubmitOnceForm(FlaskForm):
    """A form that can be submitted only once: a double click or a resent request is noticed.

    Call ``already_submitted()`` after validation; when it is True, the first
    submission has already done the work and the caller should not repeat it.
    """

    once = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.once.data:
            self.once.data = secrets.token_urlsafe(16)

    def already_submitted(self) -> bool:
        used = session.get(_USED_KEY, [])
        if self.once.data in used:
            return True
        session[_USED_KEY] = (used + [self.once.data])[-_REMEMBERED:]
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


def flash_errors(form: FlaskForm) -> None:
    """Every validation message of a form, as a flash on the page the user is sent back to."""
    for errors in form.errors.values():
        for error in errors:
            flash(error, "error")


class EvidenceForm(FlaskForm):
    """A file attached to a question or to a remediation action."""

    file = FileField("Attach evidence", validators=[FileRequired("Choose a file to attach.")])
    submit = SubmitField("Attach")
