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
from hria.web.forms import Finite, options


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
        field: Field
        if q["type"] == "yes_no":
            field = RadioField(label, choices=options(yes_no), validators=[Optional()])
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
