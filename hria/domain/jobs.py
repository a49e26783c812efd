"""Background jobs (fairness audits and explanations) on the task queue, done exactly once in effect.

The queue (Huey, see ``hria.queue``) hands a job's id to one worker and forgets it as soon as the worker
takes it: Huey has no late acknowledgement, so a worker killed mid-job would lose the job. The job's row
in the database is therefore the source of truth, and a *lease* on it stands in for the acknowledgement:

- **enqueue**: the committed row (status queued) gets ``lease_until`` = now + ``QUEUE_REQUEUE_SECONDS``,
  the time by which a worker should have taken it; then its id goes on the queue.
- **claim**: a worker takes the job with one conditional UPDATE (queued → running, ``lease_owner`` = this
  process, ``lease_until`` = now + ``QUEUE_LEASE_SECONDS``, ``attempts`` + 1). When two messages name the
  same job, one claim wins and the other worker does nothing.
- **heartbeat**: every worker process renews the leases of the jobs it runs every
  ``QUEUE_HEARTBEAT_SECONDS``, from a thread of its own, so a long step without progress keeps its lease.
- **sweep**: the same thread puts queued or running jobs whose lease ran out (their worker died, or the
  queue lost the message) back to queued, with one conditional UPDATE that only one sweeper can win, and
  enqueues them again. A job that was started ``QUEUE_MAX_ATTEMPTS`` times fails with a message instead,
  so a file that kills every worker does not go round forever.
- **finish**: the result, its findings and their trail events are written in one transaction that first
  checks, with an UPDATE that locks the row, that this process still holds the lease. A worker that lost
  it (it stalled and the job went to another) writes nothing, so the result is written once however many
  workers computed it; a worker killed before its commit wrote nothing either.

Claims, renewals and progress are the queue's bookkeeping, not changes to the audit: they are written
around the event trail (Core updates). The outcome goes through the ORM and is recorded once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

from flask import current_app
from sqlalchemy import CursorResult, Executable, or_, select

from hria.domain import fairness_audits, trail
from hria.domain.fairness_audits import FAILED, QUEUED, RUNNING
from hria.domain.models import FairnessAudit, utcnow
from hria.extensions import db

logger = logging.getLogger(__name__)
_table = FairnessAudit.__table__

_held: set[int] = set()  # jobs this process is running now, whose leases its heartbeat renews
_held_lock = threading.Lock()
_owner: tuple[int, str] | None = None


def _changed(statement: Executable) -> int:
    """Run an UPDATE in the session's transaction; how many rows it changed."""
    result = db.session.execute(statement)
    assert isinstance(result, CursorResult)
    return result.rowcount


def owner() -> str:
    """This process's name on the leases it holds: host, process id and a token for this start."""
    global _owner
    if _owner is None or _owner[0] != os.getpid():  # a forked child is a worker of its own
        _owner = (os.getpid(), f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    return _owner[1]


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=float(current_app.config[name]))


def enqueue(job_id: int) -> None:
    """Put a committed, queued job on the queue; if the queue cannot be reached the sweep sends it later."""
    from hria import queue

    db.session.execute(
        _table.update()
        .where(_table.c.id == job_id, _table.c.status == QUEUED)
        .values(lease_until=utcnow() + _seconds("QUEUE_REQUEUE_SECONDS"))
    )
    db.session.commit()
    try:
        queue.send(current_app, job_id)
    except queue.Unavailable as error:
        logger.warning("Job %s stays queued until the queue answers again: %s", job_id, error)


def run(job_id: int) -> None:
    """Claim the job, compute it, and write its outcome if this process still holds the lease."""
    if not _claim(job_id):
        return
    with _holding(job_id):
        record = db.session.get(FairnessAudit, job_id)
        if record is None:
            return
        outcome = fairness_audits.compute(record, lambda text: _progress(job_id, text))
        if not _finish(job_id, outcome):
            logger.warning(
                "Job %s was taken over by another worker; its result was not written here.", job_id
            )


def _claim(job_id: int) -> bool:
    now = utcnow()
    claimed = _changed(
        _table.update()
        .where(_table.c.id == job_id, _table.c.status == QUEUED)
        .values(
            status=RUNNING,
            lease_owner=owner(),
            lease_until=now + _seconds("QUEUE_LEASE_SECONDS"),
            attempts=_table.c.attempts + 1,
            started_at=db.func.coalesce(_table.c.started_at, now),
            progress="Reading the file…",
        )
    )
    db.session.commit()
    return claimed == 1


@contextlib.contextmanager
def _holding(job_id: int) -> Iterator[None]:
    with _held_lock:
        _held.add(job_id)
    try:
        yield
    finally:
        with _held_lock:
            _held.discard(job_id)
        db.session.rollback()


def _progress(job_id: int, text: str) -> None:
    # Only the lease holder reports: a stalled worker that lost the job must not overwrite the new run's.
    db.session.execute(
        _table.update()
        .where(_table.c.id == job_id, _table.c.lease_owner == owner(), _table.c.status == RUNNING)
        .values(progress=text)
    )
    db.session.commit()


def _still_mine(job_id: int) -> bool:
    """Lock the job's row for this transaction if this process still holds its lease."""
    held = _changed(
        _table.update()
        .where(_table.c.id == job_id, _table.c.lease_owner == owner(), _table.c.status == RUNNING)
        .values(lease_until=None)
    )
    return held == 1


def _finish(job_id: int, outcome: fairness_audits.Outcome) -> bool:
    db.session.rollback()
    if not _still_mine(job_id):
        db.session.rollback()
        return False
    record = db.session.get(FairnessAudit, job_id, populate_existing=True)
    assert record is not None  # the row was just locked
    actor = record.created_by.email if record.created_by else "system"
    with trail.acting_as(actor, record.created_by_id):
        fairness_audits.record_outcome(record, outcome)
        db.session.commit()
    return True


def renew_leases() -> int:
    """Extend the leases of the jobs this process is running; returns how many were renewed."""
    with _held_lock:
        held = sorted(_held)
    if not held:
        return 0
    renewed = _changed(
        _table.update()
        .where(_table.c.id.in_(held), _table.c.lease_owner == owner(), _table.c.status == RUNNING)
        .values(lease_until=utcnow() + _seconds("QUEUE_LEASE_SECONDS"))
    )
    db.session.commit()
    return renewed


def _expired(now):
    return (_table.c.status.in_([QUEUED, RUNNING])) & or_(
        _table.c.lease_until.is_(None), _table.c.lease_until < now
    )


def sweep() -> list[int]:
    """Send again the jobs whose lease ran out; returns the ids sent."""
    from hria import queue

    now = utcnow()
    stale = db.session.execute(
        select(_table.c.id, _table.c.status, _table.c.attempts).where(_expired(now))
    ).all()
    db.session.rollback()
    sent = []
    for job_id, status, attempts in stale:
        if status == RUNNING and attempts >= int(current_app.config["QUEUE_MAX_ATTEMPTS"]):
            _give_up(job_id, attempts, now)
        elif _requeue(job_id, status, attempts, now):
            try:
                queue.send(current_app, job_id)
            except queue.Unavailable as error:
                logger.warning("Job %s stays queued until the queue answers again: %s", job_id, error)
            else:
                sent.append(job_id)
    return sent


def _requeue(job_id: int, status: str, attempts: int, now) -> bool:
    values = {"status": QUEUED, "lease_owner": None, "lease_until": now + _seconds("QUEUE_REQUEUE_SECONDS")}
    if status == RUNNING:
        values["progress"] = (
            f"The worker running this stopped before it finished; it starts again on the next free worker "
            f"(start {attempts + 1} of at most {current_app.config['QUEUE_MAX_ATTEMPTS']})."
        )
    requeued = _changed(_table.update().where(_table.c.id == job_id, _expired(now)).values(**values))
    db.session.commit()
    return requeued == 1


def _give_up(job_id: int, attempts: int, now) -> None:
    locked = _changed(
        _table.update().where(_table.c.id == job_id, _expired(now)).values(lease_owner=None, lease_until=None)
    )
    if locked != 1:
        db.session.rollback()
        return
    record = db.session.get(FairnessAudit, job_id, populate_existing=True)
    assert record is not None
    with trail.acting_as("system"):
        record.status = FAILED
        record.error = (
            f"The worker running this stopped {attempts} times before it finished, most likely because the "
            f"file needs more memory than a worker has. Audit a smaller file (fewer rows or columns), or ask "
            f"the administrator to give the workers more memory, then run it again."
        )
        record.finished_at = now
        db.session.commit()


def wait_all(timeout: float | None = None) -> None:
    """Block until this process runs no job (with the immediate queue of tests, jobs run inline)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        with _held_lock:
            if not _held:
                return
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"jobs still running after {timeout} s")
        time.sleep(0.05)
