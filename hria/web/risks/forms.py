"""Forms of the risk register and the remediation plan."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from hria.domain.vocabulary import REMEDIATION_STATUSES
from hria.web.forms import options


def _rating(value) -> int | None:
    return int(value) if value not in (None, "") else None


DIMENSIONS = ("scale", "scope", "reversibility", "likelihood")
RESIDUAL = tuple(f"residual_{name}" for name in DIMENSIONS)


def _chosen(message: str):
    return [InputRequired(message)]


class RatingForm(FlaskForm):
    """A right's rating: nothing is pre-chosen, so a stray save cannot record the mildest rating; the
    residual rating (after the treatment) is optional, but all or nothing."""

    right = HiddenField(validators=[DataRequired()])
    scale = SelectField("Scale", coerce=_rating, validators=_chosen("Choose the scale of the harm."))
    scope = SelectField("Scope", coerce=_rating, validators=_chosen("Choose how many people it reaches."))
    reversibility = SelectField(
        "Reversibility", coerce=_rating, validators=_chosen("Choose how hard the harm is to undo.")
    )
    likelihood = SelectField(
        "Likelihood", coerce=_rating, validators=_chosen("Choose how likely the harm is.")
    )
    treatment = TextAreaField(
        "Treatment",
        validators=[Length(max=5000)],
        description="How the risk is treated: avoided, reduced (by which actions), transferred or accepted.",
    )
    residual_scale = SelectField("Scale after treatment", coerce=_rating, validators=[Optional()])
    residual_scope = SelectField("Scope after treatment", coerce=_rating, validators=[Optional()])
    residual_reversibility = SelectField(
        "Reversibility after treatment", coerce=_rating, validators=[Optional()]
    )
    residual_likelihood = SelectField("Likelihood after treatment", coerce=_rating, validators=[Optional()])
    submit = SubmitField("Save rating")

    def set_labels(self, labels: dict[str, list[tuple[str, str]]]) -> None:
        """Each dimension's own words, after an empty choice that must be replaced."""
        for name in DIMENSIONS:
            for field in (self[name], self[f"residual_{name}"]):
                field.choices = options([("", "— choose —"), *labels[name]])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        given = [self[name].data is not None for name in RESIDUAL]
        if any(given) and not all(given):
            self.residual_scale.errors = [
                "Rate all four dimensions after treatment, or none: a residual risk needs all four."
            ]
            return False
        return True


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
