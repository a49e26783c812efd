"""Sign-in throttling.

Two rules, both kept in the database so every web process sees the same counts:

* per account **and** address, exponential backoff: after a few free failures each further
  failure doubles the wait before that address may try that account again. Failures from
  other addresses never slow the account's owner down, so nobody can lock someone else out.
* per address, a ceiling on failures within a window, across all accounts, that a successful
  sign-in does not reset (an attacker could otherwise interleave their own sign-ins).

An attempt is written down *before* the password is checked, and the rules count only the
attempts written before it: requests sent in parallel cannot all slip through one free slot.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from hria.domain.models import LoginAttempt, utcnow
from hria.extensions import db

KEEP = timedelta(days=1)


def begin(email: str, address: str) -> tuple[int | None, int]:
    """Record an attempt. Returns (its id, 0), or (None, seconds to wait) when it is refused."""
    now = utcnow()
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))
    attempt = LoginAttempt(email=email, address=address, succeeded=False, at=now)
    db.session.add(attempt)
    db.session.flush()
    attempt_id = attempt.id
    db.session.commit()
    wait = max(_pair_wait(attempt_id, email, address, now), _address_wait(attempt_id, address, now))
    # End the reading transaction: on SQLite a write that follows a read in one transaction
    # fails at once, instead of waiting, when another process wrote in between.
    db.session.commit()
    if wait:
        # A refused attempt checked no password, so it counts for nothing.
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
        db.session.commit()
        return None, wait
    return attempt_id, 0


def succeeded(attempt_id: int) -> None:
    """Mark the attempt as a success; the caller commits it with the sign-in."""
    db.session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=True))


def backoff_seconds(failures: int) -> int:
    """The wait after ``failures`` consecutive failures of one account from one address."""
    config = current_app.config
    extra = failures - int(config["LOGIN_FREE_FAILURES"])
    if extra < 0:
        return 0
    longest = int(config["LOGIN_LOCK_MINUTES"]) * 60
    return min(int(config["LOGIN_BACKOFF_SECONDS"]) * 2 ** min(extra, 30), longest)


def _pair_wait(attempt_id: int, email: str, address: str, now: datetime) -> int:
    pair = (LoginAttempt.email == email, LoginAttempt.address == address, LoginAttempt.id < attempt_id)
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.id)).where(*pair, LoginAttempt.succeeded.is_(True))
    )
    failures = select(LoginAttempt.at).where(*pair, LoginAttempt.succeeded.is_(False))
    if last_success is not None:
        failures = failures.where(LoginAttempt.id > last_success)
    times = db.session.scalars(failures.order_by(LoginAttempt.id.desc())).all()
    wait = backoff_seconds(len(times))
    if not wait:
        return 0
    return _seconds_until(times[0] + timedelta(seconds=wait), now)


def _address_wait(attempt_id: int, address: str, now: datetime) -> int:
    config = current_app.config
    ceiling = int(config["LOGIN_MAX_FAILURES_PER_ADDRESS"])
    window = timedelta(minutes=int(config["LOGIN_LOCK_MINUTES"]))
    times = db.session.scalars(
        select(LoginAttempt.at)
        .where(
            LoginAttempt.address == address,
            LoginAttempt.id < attempt_id,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > now - window,
        )
        .order_by(LoginAttempt.at.desc())
        .limit(ceiling)
    ).all()
    if len(times) < ceiling:
        return 0
    # Free again once the oldest of the newest ``ceiling`` failures leaves the window.
    return _seconds_until(times[-1] + window, now)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(0, math.ceil((moment - now).total_seconds()))
