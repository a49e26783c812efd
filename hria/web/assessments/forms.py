"""Forms of the assessment page."""

from wtforms import SelectField, SubmitField

from hria.web.forms import SubmitOnceForm


class InviteForm(SubmitOnceForm):
    organisation_id = SelectField("Vendor organisation", coerce=int)
    submit = SubmitField("Invite")


class MoveBankForm(SubmitOnceForm):
    """Move the assessment to the current question bank: done once, however often the button is pressed."""

    submit = SubmitField("Move to the current question bank")
