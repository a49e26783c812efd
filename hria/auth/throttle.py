"""Sign-in throttling: too many recent failures lock an account and an address for a while."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import LoginAttempt, utcnow


def _failures_since_success(column, value, since) -> int:
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.at)).where(column == value, LoginAttempt.succeeded.is_(True))
    )
    start = max(since, last_success) if last_success else since
    return db.session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at > start
        )
    )


def minutes_locked(email: str, address: str) -> int:
    """0 when sign-in may be tried; otherwise the lock's length in minutes."""
    config = current_app.config
    lock = int(config["LOGIN_LOCK_MINUTES"])
    since = utcnow() - timedelta(minutes=lock)
    if _failures_since_success(LoginAttempt.email, email, since) >= int(config["LOGIN_MAX_FAILURES"]):
        return lock
    if _failures_since_success(LoginAttempt.address, address, since) >= int(config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        return lock
    return 0


def note_attempt(email: str, address: str, succeeded: bool) -> None:
    db.session.add(LoginAttempt(email=email, address=address, succeeded=succeeded))
    cutoff = utcnow() - timedelta(days=1)
    db.session.execute(LoginAttempt.__table__.delete().where(LoginAttempt.at < cutoff))
    db.session.commit()
