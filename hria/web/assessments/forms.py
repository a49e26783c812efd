"""Forms of the assessment page."""

from wtforms import SelectField, SubmitField

from hria.web.forms import SubmitOnceForm


class InviteForm(SubmitOnceForm):
    organisation_id = SelectField("Vendor organisation", coerce=int)
    submit = SubmitField("Invite")
