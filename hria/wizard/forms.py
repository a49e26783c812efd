"""Forms built from the question bank: one field per question the user may answer."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (DateField, DecimalField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Finite, options
from ..questions import text
from ..vocabulary import REMEDIATION_STATUSES


class SectionForm(FlaskForm):
    version = HiddenField()
    save = SubmitField("Save")
    save_next = SubmitField("Save and continue")


def section_form(questions: list[dict], bank: dict, lang: str, formdata=None):
    """A form class with a field named after each question id."""

    class Form(SectionForm):
        pass

    yes_no = [(v["key"], text(v, lang)) for v in bank["yes_no_values"]]
    for q in questions:
        label = f"{q['id']} · {text(q['text'], lang)}"
        if q["type"] == "yes_no":
            field = RadioField(label, choices=options(yes_no), validators=[Optional()])
        elif q["type"] == "single":
            field = RadioField(label, choices=options((o["value"], text(o, lang)) for o in q["options"]),
                               validators=[Optional()])
        elif q["type"] == "multiple":
            field = SelectMultipleField(label, choices=options((o["value"], text(o, lang)) for o in q["options"]),
                                        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
                                        validators=[Optional()])
        elif q["type"] == "number":
            field = DecimalField(label, places=None, validators=[Optional(), Finite(example="12"),
                                                                 NumberRange(min=0, message="Give a number of 0 or more.")])
        elif q["type"] == "text":
            field = TextAreaField(label, validators=[Optional(), Length(max=10000)])
        else:
            continue
        setattr(Form, q["id"], field)
    return Form(formdata=formdata) if formdata is not None else Form()


def field_value(field):
    """The answer a field holds, as stored (None when left empty)."""
    data = field.data
    if data in (None, "", []):
        return None
    if isinstance(field, DecimalField):
        number = float(data)
        return int(number) if number.is_integer() else number
    if isinstance(data, str):
        return data.strip() or None
    return data


class EvidenceForm(FlaskForm):
    file = FileField("Attach evidence", validators=[FileRequired("Choose a file to attach.")])
    submit = SubmitField("Attach")


class RatingForm(FlaskForm):
    right = HiddenField(validators=[DataRequired()])
    scale = SelectField("Scale", coerce=int)
    scope = SelectField("Scope", coerce=int)
    reversibility = SelectField("Reversibility", coerce=int)
    likelihood = SelectField("Likelihood", coerce=int)
    treatment = TextAreaField("Treatment", validators=[Length(max=5000)],
                              description="How the risk is treated: avoided, reduced (by which actions), transferred or accepted.")
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
    justification = TextAreaField("Justification", validators=[Length(max=5000)],
                                  description="Required when the risk is accepted: why, and who accepted it.")
    submit = SubmitField("Save action")

    def validate_justification(self, field):
        if self.status.data == "accepted_risk" and not (field.data or "").strip():
            raise ValidationError("Say why the risk is accepted and who accepted it.")

    def validate_due_date(self, field):
        if field.data and field.data < date(2000, 1, 1):
            raise ValidationError("Give a real due date.")
