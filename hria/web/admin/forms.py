from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, StopValidation

from hria.domain.vocabulary import ORGANISATION_KINDS, ROLES
from hria.web.forms import SubmitOnceForm, options


class Sent:
    """The field is in the request, empty or not. A browser sends every text field of a form, so a request
    without one was not made from this page; without the check the field would hold None instead of text."""

    def __call__(self, form, field) -> None:
        if not field.raw_data:
            raise StopValidation(
                f"The form was sent without its {field.label.text} field: reload the page and send it again."
            )


class OrganisationForm(SubmitOnceForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind", choices=options(ORGANISATION_KINDS.choices()))
    submit = SubmitField("Create organisation")


class UserForm(SubmitOnceForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[Sent(), Length(max=200)])
    organisation_id = SelectField("Organisation", coerce=int)
    # Administrator is listed but never preselected: the most powerful role is a deliberate choice.
    role = SelectField(
        "Role",
        choices=options([("", "— choose a role —"), *ROLES.choices()]),
        validators=[DataRequired("Choose the user's role.")],
    )
    submit = SubmitField("Create user")


class OversightForm(SubmitOnceForm):
    oversight_id = SelectField("Oversight body", coerce=int)
    overseen_id = SelectField("Oversees", coerce=int)
    submit = SubmitField("Assign")


class ConfirmForm(FlaskForm):
    """A button that changes something; the form carries the CSRF token."""

    submit = SubmitField("Confirm")
