"""The event trail: every change to a domain object becomes a hash-chained Event.

Events are written by a session hook in the same transaction as the change, so
a change and its record stand or fall together. Each event stores the SHA-256
of its canonical JSON, which includes the previous event's hash; altering,
removing or reordering any stored event breaks the chain from there on.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import g, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, scoped_session

from hria import database
from hria.domain.models import Event, utcnow

GENESIS_HASH = "0" * 64
REDACTED = "[redacted]"
# What the trail writes through: a session, or Flask-SQLAlchemy's scoped proxy of one.
AnySession = Session | scoped_session[Any]
_CHAIN_LOCK_KEY = 7_362_011  # PostgreSQL advisory lock serialising appends to the chain

_cli_actor: contextvars.ContextVar[tuple[int | None, str] | None] = contextvars.ContextVar(
    "hria_cli_actor", default=None
)


@contextlib.contextmanager
def acting_as(label: str, user_id: int | None = None) -> Iterator[None]:
    """Attribute the changes made inside the block to ``label`` (command-line use)."""
    token = _cli_actor.set((user_id, label))
    try:
        yield
    finally:
        _cli_actor.reset(token)


def set_request_actor(user) -> None:
    g.trail_actor = (user.id, user.email)


def _current_actor() -> tuple[int | None, str]:
    if has_app_context() and g.get("trail_actor"):
        return g.trail_actor
    return _cli_actor.get() or (None, "system")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot record {type(value).__name__} in the event trail")


def event_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "comment",
    "prev_hash",
)


def _hashed_fields(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in HASHED_FIELDS}


@dataclass
class _Row:
    seq: int
    at: str
    actor_id: int | None
    actor: str
    action: str
    object_type: str
    object_id: int | None
    before: str | None
    after: str | None
    comment: str
    prev_hash: str


def _append(
    session: AnySession,
    action: str,
    object_type: str,
    object_id: int | None,
    before: dict | None,
    after: dict | None,
    comment: str = "",
) -> None:
    connection = session.connection()
    # Appends are serialised, and the last event is read only once this transaction holds the lock,
    # so two writers can never both extend the chain from the same event.
    database.serialise(connection, _CHAIN_LOCK_KEY)
    last = connection.execute(select(Event.seq, Event.hash).order_by(Event.seq.desc()).limit(1)).first()
    actor_id, actor = _current_actor()
    row = _Row(
        seq=(last.seq + 1) if last else 1,
        at=utcnow().isoformat(timespec="microseconds"),
        actor_id=actor_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=canonical_json(before) if before is not None else None,
        after=canonical_json(after) if after is not None else None,
        comment=comment,
        prev_hash=last.hash if last else GENESIS_HASH,
    )
    fields = _hashed_fields(row)
    connection.execute(Event.__table__.insert().values(**fields, hash=event_hash(fields)))


def record(
    session: AnySession,
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    comment: str = "",
) -> None:
    """Append an event that is not a plain create/update/delete (a sign-in, a transition…)."""
    if obj is not None:
        session.flush()
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
    _append(session, action, object_type or "", object_id, before, after, comment)


def _recorded(column, value: Any) -> Any:
    treatment = next((c.info.get("trail") for c in column.columns if c.info.get("trail")), None)
    if treatment == "redact":
        return REDACTED
    if treatment == "digest" and value is not None:
        return "sha256:" + hashlib.sha256(str(value).encode("utf-8")).hexdigest()
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """The object's column values as they are now, secrets redacted and large values digested."""
    mapper = inspect(obj).mapper
    return {column.key: _recorded(column, getattr(obj, column.key)) for column in mapper.column_attrs}


def _previous_snapshot(obj: Any) -> tuple[dict[str, Any], bool]:
    state = inspect(obj)
    before = snapshot(obj)
    changed = False
    for column in state.mapper.column_attrs:
        history = state.attrs[column.key].history
        if history.has_changes():
            changed = True
            before[column.key] = _recorded(column, history.deleted[0] if history.deleted else None)
    return before, changed


def _after_flush(session: Session, flush_context) -> None:
    for obj in list(session.new):
        if getattr(obj, "__audited__", False):
            _append(session, "create", obj.__tablename__, obj.id, None, snapshot(obj))
    for obj in list(session.dirty):
        if getattr(obj, "__audited__", False):
            before, changed = _previous_snapshot(obj)
            if changed:
                _append(session, "update", obj.__tablename__, obj.id, before, snapshot(obj))
    for obj in list(session.deleted):
        if getattr(obj, "__audited__", False):
            _append(session, "delete", obj.__tablename__, obj.id, _previous_snapshot(obj)[0], None)


def install() -> None:
    if not sa_event.contains(Session, "after_flush", _after_flush):
        sa_event.listen(Session, "after_flush", _after_flush)


@dataclass
class ChainReport:
    count: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def verify_chain(session: AnySession) -> ChainReport:
    """Walk the trail from the first event, recomputing every hash."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    # Plain rows, fetched a batch at a time from a server-side cursor: memory stays flat however long the
    # trail, and no ORM object is built per event.
    columns = [getattr(Event, name) for name in ("id", "hash", *HASHED_FIELDS)]
    rows = session.execute(
        select(*columns).order_by(Event.seq).execution_options(stream_results=True, yield_per=5000)
    )
    for row in rows:
        if row.seq != expected_seq:
            return ChainReport(
                count, row.seq, row.id, f"expected event #{expected_seq} here: events are missing"
            )
        if row.prev_hash != expected_prev:
            return ChainReport(count, row.seq, row.id, "its link to the previous event does not match")
        if event_hash(_hashed_fields(row)) != row.hash:
            return ChainReport(count, row.seq, row.id, "its content does not match its hash (it was altered)")
        expected_prev = row.hash
        expected_seq += 1
        count += 1
    return ChainReport(count)
