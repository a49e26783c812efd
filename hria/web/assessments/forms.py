"""Forms of the assessment page."""

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from hria.domain import conditions
from hria.domain.vocabulary import CONDITION_STATUSES
from hria.web.forms import SubmitOnceForm, options


class InviteForm(SubmitOnceForm):
    organisation_id = SelectField("Vendor organisation", coerce=int)
    submit = SubmitField("Invite")


class MoveBankForm(SubmitOnceForm):
    """Move the assessment to the current question bank: done once, however often the button is pressed."""

    submit = SubmitField("Move to the current question bank")


class ConditionForm(FlaskForm):
    """Tracking one condition of an approval. Built with ``prefix=f"condition-{id}-"`` so that every
    condition's fields have ids of their own on the page."""

    owner = StringField("Owner", validators=[Length(max=200)], description="A person or a team, by name.")
    due_date = DateField("Due date", validators=[Optional()])
    status = SelectField("Status", choices=options(CONDITION_STATUSES.choices()))
    fulfilment = TextAreaField(
        "Evidence of fulfilment",
        validators=[Length(max=conditions.FULFILMENT_MAX_LENGTH)],
        description="What shows the condition is met: a document, a decision, a test result. Required to "
        "mark it fulfilled.",
    )
    submit = SubmitField("Save condition")

    def validate_fulfilment(self, field):
        if self.status.data == conditions.FULFILLED and not (field.data or "").strip():
            raise ValidationError("Say what shows the condition is fulfilled before marking it fulfilled.")


class RejectNotApplicableForm(SubmitOnceForm):
    """The oversight body's refusal of a "not applicable", with the reason the buyer reads."""

    comment = TextAreaField(
        "Why the question does apply",
        validators=[DataRequired("Say why the question does apply."), Length(max=2000)],
    )
    submit = SubmitField("Reject “not applicable”")
