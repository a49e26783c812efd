"""Forms built from the question bank: one field per question the user may answer."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    Field,
    HiddenField,
    RadioField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from hria.domain import answers
from hria.domain.questions import text
from hria.domain.scoring import NOT_APPLICABLE
from hria.web.forms import Finite, options


class SectionForm(FlaskForm):
    version = HiddenField()
    save = SubmitField("Save")
    save_next = SubmitField("Save and continue")
    yes_no_ids: tuple[str, ...] = ()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for question_id in self.yes_no_ids:
            if self[question_id].data == NOT_APPLICABLE and not (self[why(question_id)].data or "").strip():
                self[question_id].errors = [
                    *self[question_id].errors,
                    "Say why it does not apply: the reason is shown to the oversight body and in the report.",
                ]
                valid = False
        return valid


def why(question_id: str) -> str:
    """The name of the field that holds why a yes/no question is not applicable."""
    return f"{question_id}__why"


def section_form(questions: list[dict], bank: dict, lang: str, formdata=None):
    """A form class with a field named after each question id."""

    class Form(SectionForm):
        pass

    yes_no = [(v["key"], text(v, lang)) for v in bank["yes_no_values"]]
    for q in questions:
        label = f"{q['id']} · {text(q['text'], lang)}"
        field: Field
        if q["type"] == "yes_no":
            field = RadioField(label, choices=options(yes_no), validators=[Optional()])
            reason = TextAreaField(
                f"If it does not apply: why ({q['id']})",
                validators=[Optional(), Length(max=answers.NA_REASON_MAX_LENGTH)],
            )
            setattr(Form, why(q["id"]), reason)
            Form.yes_no_ids = (*Form.yes_no_ids, q["id"])
        elif q["type"] == "single":
            field = RadioField(
                label,
                choices=options((o["value"], text(o, lang)) for o in q["options"]),
                validators=[Optional()],
            )
        elif q["type"] == "multiple":
            field = SelectMultipleField(
                label,
                choices=options((o["value"], text(o, lang)) for o in q["options"]),
                option_widget=CheckboxInput(),
                widget=ListWidget(prefix_label=False),
                validators=[Optional()],
            )
        elif q["type"] == "number":
            field = DecimalField(
                label,
                places=None,
                validators=[
                    Optional(),
                    Finite(example="12"),
                    NumberRange(
                        min=answers.NUMBER_MIN, message=f"Give a number of {answers.NUMBER_MIN} or more."
                    ),
                ],
            )
        elif q["type"] == "text":
            field = TextAreaField(label, validators=[Optional(), Length(max=answers.TEXT_MAX_LENGTH)])
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
