"""Form behaviour shared by every blueprint."""
from __future__ import annotations

import secrets

from flask import session
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.fields.choices import SelectChoice

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
