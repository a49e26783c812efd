"""Creating organisations and users, with the rules every entry point shares."""
from __future__ import annotations

import secrets

from sqlalchemy import select

from .auth.forms import MIN_PASSWORD_LENGTH
from .extensions import db
from .models import Organisation, User
from .vocabulary import ORGANISATION_KINDS, ROLE_FOR_KIND, ROLES


class AccountError(ValueError):
    """A user or organisation that cannot be created as asked; the message says why."""


def role_fits(role: str, kind: str) -> bool:
    return role == "admin" or ROLE_FOR_KIND.get(kind) == role


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_organisation(name: str, kind: str) -> Organisation:
    name = name.strip()
    if kind not in ORGANISATION_KINDS:
        raise AccountError(f"Unknown kind of organisation {kind!r}; use one of {', '.join(ORGANISATION_KINDS.keys)}.")
    if not name:
        raise AccountError("An organisation needs a name.")
    if db.session.scalar(select(Organisation).where(Organisation.name == name)):
        raise AccountError(f"An organisation named {name!r} already exists.")
    organisation = Organisation(name=name, kind=kind)
    db.session.add(organisation)
    return organisation


def create_user(email: str, password: str, role: str, organisation: Organisation, name: str = "") -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError(f"{email!r} is not an email address.")
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; use one of {', '.join(ROLES.keys)}.")
    if not role_fits(role, organisation.kind):
        kind = ORGANISATION_KINDS.label(organisation.kind).lower()
        raise AccountError(
            f"A {role} cannot belong to {organisation.name}, which is a {kind}; "
            f"its users are {ROLE_FOR_KIND[organisation.kind]}s (or admins)."
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if db.session.scalar(select(User).where(User.email == email)):
        raise AccountError(f"A user with the email {email} already exists.")
    user = User(email=email, name=name.strip(), role=role, organisation=organisation)
    user.set_password(password)
    db.session.add(user)
    return user
