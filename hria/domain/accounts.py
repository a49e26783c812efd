"""Creating organisations and users, with the rules every entry point shares."""

from __future__ import annotations

import re
import secrets
import threading
import unicodedata

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from hria.domain.models import PASSWORD_HASH_METHOD, Organisation, User
from hria.domain.vocabulary import ORGANISATION_KINDS, ROLE_FOR_KIND, ROLES, OrganisationKind, Role
from hria.extensions import db

MIN_PASSWORD_LENGTH = 10
# Long enough for any passphrase; the cap keeps hashing and strength estimation cheap.
MAX_PASSWORD_LENGTH = 128
PASSWORD_RULES = (
    f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters; not a common or repetitive "
    f"password, and not your email address or name. A few unrelated words are easy to remember."
)
# zxcvbn's 0–4 scale: 3 means about 10^8 guesses or more, beyond an online attack.
MIN_PASSWORD_SCORE = 3
# zxcvbn keeps the user's own words in a module-level dictionary while it scores.
_zxcvbn_lock = threading.Lock()


class AccountError(ValueError):
    """A user or organisation that cannot be created as asked; the message says why."""


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why ``password`` may not be used by the person with this email and name; None when it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if any(unicodedata.category(c) == "Cc" for c in password):
        return (
            "This password holds a control character (such as NUL, tab or newline), which cannot be typed at "
            "every sign-in. Use letters, digits, spaces and punctuation."
        )
    if re.fullmatch(r"(.+?)\1+", password, flags=re.DOTALL):
        return (
            "This password repeats one piece over and over, which is easy to guess. Choose a few "
            "unrelated words."
        )
    folded = password.casefold()
    own_words = [w for w in (email, email.partition("@")[0], name) if len(w.strip()) >= 3]
    if any(word.strip().casefold() in folded for word in own_words):
        return "Do not put your email address or name in your password."
    with _zxcvbn_lock:
        estimate = zxcvbn(password, user_inputs=own_words, max_length=MAX_PASSWORD_LENGTH)
    if estimate["score"] < MIN_PASSWORD_SCORE:
        advice = [estimate["feedback"]["warning"], *estimate["feedback"]["suggestions"]]
        return " ".join(["This password is too easy to guess.", *filter(None, advice)])
    return None


def check_password(password: str, email: str = "", name: str = "") -> None:
    problem = password_problem(password, email, name)
    if problem:
        raise AccountError(problem)


def role_fits(role: str, kind: str) -> bool:
    return role == Role.ADMIN or ROLE_FOR_KIND.get(OrganisationKind(kind)) == role


def generate_password() -> str:
    """16 random characters (96 bits), drawn again in the unlikely case that the rules refuse them."""
    while True:
        password = secrets.token_urlsafe(12)
        if password_problem(password) is None:
            return password


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def create_organisation(name: str, kind: str) -> Organisation:
    name = name.strip()
    if kind not in ORGANISATION_KINDS:
        raise AccountError(
            f"Unknown kind of organisation {kind!r}; use one of {', '.join(ORGANISATION_KINDS.keys)}."
        )
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
            f"{_article(role).capitalize()} {role} cannot belong to {organisation.name}, which is "
            f"{_article(kind)} {kind}; "
            f"its users are {ROLE_FOR_KIND[OrganisationKind(organisation.kind)]}s (or admins)."
        )
    if db.session.scalar(select(User).where(User.email == email)):
        raise AccountError(f"A user with the email {email} already exists.")
    check_password(password, email, name)
    user = User(email=email, name=name.strip(), role=role, organisation=organisation)
    user.set_password(password)
    db.session.add(user)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user with this email and password, or None.

    An unknown email costs the same hashing work as a known one, so the time of the answer
    does not tell whether an account exists.
    """
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(dummy_password_hash(), password)
        return None
    return user if user.check_password(password) else None


_dummy_hash: str | None = None


def dummy_password_hash() -> str:
    """A hash made like every user's (same method and cost) of a password nobody knows."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash(secrets.token_urlsafe(32), method=PASSWORD_HASH_METHOD)
    return _dummy_hash


def change_password(user: User, password: str) -> None:
    """Set a new password (checked against the rules); every session of the user ends."""
    check_password(password, user.email, user.name)
    user.set_password(password)


def reset_password(user: User) -> str:
    """Give the user a new generated password and end their sessions; returns the password to pass on."""
    password = generate_password()
    change_password(user, password)
    return password


def set_active(user: User, active: bool) -> None:
    user.active = active
    if not active:
        user.end_sessions()
