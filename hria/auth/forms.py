from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ..accounts import PASSWORD_RULES, password_problem


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    next = HiddenField()
    submit = SubmitField("Sign in")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired()], description=PASSWORD_RULES)
    confirm = PasswordField("Repeat the new password", validators=[DataRequired(), EqualTo("new", message="The two passwords differ.")])
    submit = SubmitField("Change password")

    def validate_new(self, field) -> None:
        problem = password_problem(field.data, current_user.email, current_user.name)
        if problem:
            raise ValidationError(problem)
