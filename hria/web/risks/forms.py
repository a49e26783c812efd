"""Forms of the risk register and the remediation plan."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from hria.domain.vocabulary import REMEDIATION_STATUSES
from hria.web.forms import options


class RatingForm(FlaskForm):
    right = HiddenField(validators=[DataRequired()])
    scale = SelectField("Scale", coerce=int)
    scope = SelectField("Scope", coerce=int)
    reversibility = SelectField("Reversibility", coerce=int)
    likelihood = SelectField("Likelihood", coerce=int)
    treatment = TextAreaField(
        "Treatment",
        validators=[Length(max=5000)],
        description="How the risk is treated: avoided, reduced (by which actions), transferred or accepted.",
    )
    submit = SubmitField("Save rating")

    def set_scale(self, labels: list[tuple[int, str]]) -> None:
        for name in ("scale", "scope", "reversibility", "likelihood"):
            self[name].choices = options(labels)


class ActionForm(FlaskForm):
    loaded_version = HiddenField()
    text = TextAreaField("Action", validators=[DataRequired(), Length(max=5000)])
    owner = StringField("Owner", validators=[Length(max=200)], description="A person or a team, by name.")
    due_date = DateField("Due date", validators=[Optional()])
    status = SelectField("Status", choices=options(REMEDIATION_STATUSES.choices()))
    justification = TextAreaField(
        "Justification",
        validators=[Length(max=5000)],
        description="Required when the risk is accepted: why, and who accepted it.",
    )
    submit = SubmitField("Save action")

    def validate_justification(self, field):
        if self.status.data == "accepted_risk" and not (field.data or "").strip():
            raise ValidationError("Say why the risk is accepted and who accepted it.")

    def validate_due_date(self, field):
        if field.data and field.data < date(2000, 1, 1):
            raise ValidationError("Give a real due date.")
