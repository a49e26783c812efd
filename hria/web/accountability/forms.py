from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from hria.domain.consultations import MAX_TEXT
from hria.domain.vocabulary import CONSULTATION_METHODS, STAKEHOLDER_CATEGORIES
from hria.web.forms import SubmitOnceForm, options


class TriageForm(FlaskForm):
    assessment_id = SelectField("Assessment whose risk register takes it", coerce=int)
    right = SelectField("Right it bears on")
    finding = TextAreaField(
        "What it shows, for the risk register",
        validators=[DataRequired("Summarise what the grievance shows."), Length(max=2000)],
        description="Your own summary: the person's words stay with the grievance and out of reports.",
    )
    submit = SubmitField("Take into the risk register")


class AnswerForm(FlaskForm):
    reply = TextAreaField("Answer", validators=[DataRequired("Write the answer."), Length(max=MAX_TEXT)])
    submit = SubmitField("Record the answer")


class ConsultationForm(SubmitOnceForm):
    category = SelectField("Who was consulted", choices=options(STAKEHOLDER_CATEGORIES.choices()))
    held_on = DateField("When", validators=[DataRequired("Give the date of the consultation.")])
    method = SelectField("How", choices=options(CONSULTATION_METHODS.choices()))
    participants = IntegerField(
        "Number of participants", validators=[Optional(), NumberRange(min=0, max=10_000_000)]
    )
    what_they_said = TextAreaField(
        "What they said", validators=[DataRequired("Record what they said."), Length(max=MAX_TEXT)]
    )
    what_changed = TextAreaField("What changed as a result", validators=[Length(max=MAX_TEXT)])
    consent = BooleanField("The people named below agreed to be named")
    named_participants = TextAreaField(
        "Names (only with their consent)",
        validators=[Length(max=2000)],
        description="Leave empty unless everyone named agreed: the category and the number are enough.",
    )
    submit = SubmitField("Record the consultation")
