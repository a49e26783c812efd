from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from hria.domain.models import PURPOSE_MAX_LENGTH
from hria.domain.vocabulary import LANGUAGES, LIFECYCLE_STAGES, SECTORS
from hria.web.forms import EditForm, SubmitOnceForm, options

NO_VENDOR = 0


class SystemFields:
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    purpose = TextAreaField(
        "Purpose",
        validators=[Length(max=PURPOSE_MAX_LENGTH)],
        description="What the system is for, whom it affects and what it decides or recommends.",
    )
    owner_id = SelectField("Owner organisation", coerce=int)
    vendor_id = SelectField("Vendor", coerce=int)
    sector = SelectField("Urban sector", choices=options(SECTORS.choices()))
    automated_decisions = BooleanField("It makes or supports automated decisions about people")


class NewSystemForm(SubmitOnceForm, SystemFields):
    submit = SubmitField("Register system")


class EditSystemForm(EditForm, SystemFields):
    submit = SubmitField("Save changes")


class NewAssessmentForm(SubmitOnceForm):
    stage = SelectField("Lifecycle stage", choices=options(LIFECYCLE_STAGES.choices()))
    language = SelectField("Language of the questions and the report", choices=options(LANGUAGES.choices()))
    submit = SubmitField("Start assessment")


class LegalBasisForm(SubmitOnceForm):
    """The legal basis for going on after the scoping screening found a prohibited practice."""

    basis = TextAreaField(
        "Legal basis",
        validators=[DataRequired("Give the legal basis."), Length(max=5000)],
        description="The provision that allows the practice here, the authorisation, and who granted it.",
    )
    submit = SubmitField("Record the legal basis")
