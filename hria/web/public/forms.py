from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from hria.domain.grievances import MAX_CONTACT, MAX_TEXT, MAX_WHEN
from hria.web.forms import SubmitOnceForm


class GrievanceForm(SubmitOnceForm):
    """What an affected person writes; the labels are set in the page's language by the route."""

    what_happened = TextAreaField(
        validators=[DataRequired("Describe what happened."), Length(max=MAX_TEXT)],
    )
    happened_when = StringField(validators=[Length(max=MAX_WHEN)])
    contact = StringField(validators=[Length(max=MAX_CONTACT)])
    submit = SubmitField()
