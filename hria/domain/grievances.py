"""Grievances: concerns and complaints from the people a published system affects.

The guidelines ask for effective remedy channels through which users report and resolve human-rights
violations and harms of smart-city technology (§56(g)), and for remedy mechanisms within the
oversight of AI (§50(c)). Anyone may write without an account; each grievance gets a reference number,
and the buyer either takes it into the risk register, against a right, or answers it. The oversight
body sees how many came in and which replies are overdue.

Floods are throttled per address as sign-in attempts are (``hria.domain.sign_in_throttle``): a
submission is written down before the count is made, and the count takes only those written before it,
so requests sent in parallel cannot all slip through one free slot.
"""

from __future__ import annotations

import math
import secrets
import statistics
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from hria.domain import risk_register
from hria.domain.models import Assessment, Grievance, PublicSubmission, System, User, utcnow
from hria.domain.vocabulary import GrievanceStatus
from hria.extensions import db
from reports.content import Grievances

# What a person can write; long enough for a careful account, short enough that nobody floods the table.
MAX_TEXT = 4000
MAX_WHEN = 100
MAX_CONTACT = 300
KEEP_ATTEMPTS = timedelta(days=1)
REMEDY_PARAGRAPH = "§56(g)"


class GrievanceError(ValueError):
    """A grievance that cannot be handled as asked; the message says why."""


def response_days() -> int:
    return int(current_app.config["GRIEVANCE_RESPONSE_DAYS"])


def throttle(address: str) -> int:
    """Record a submission from ``address``; 0 when it may go on, else the seconds to wait (nothing kept)."""
    now = utcnow()
    window = timedelta(minutes=int(current_app.config["GRIEVANCE_WINDOW_MINUTES"]))
    ceiling = int(current_app.config["GRIEVANCE_MAX_PER_ADDRESS"])
    db.session.execute(delete(PublicSubmission).where(PublicSubmission.at < now - KEEP_ATTEMPTS))
    attempt = PublicSubmission(address=address[:64], at=now)
    db.session.add(attempt)
    db.session.commit()
    earlier = db.session.scalars(
        select(PublicSubmission.at)
        .where(
            PublicSubmission.address == attempt.address,
            PublicSubmission.id < attempt.id,
            PublicSubmission.at > now - window,
        )
        .order_by(PublicSubmission.at.desc())
        .limit(ceiling)
    ).all()
    db.session.commit()
    if len(earlier) < ceiling:
        return 0
    db.session.execute(delete(PublicSubmission).where(PublicSubmission.id == attempt.id))
    db.session.commit()
    return max(1, math.ceil((earlier[-1] + window - now).total_seconds()))


def submit(system: System, what_happened: str, when: str, contact: str, language: str) -> Grievance:
    """Store a grievance under a new reference number and commit it."""
    what_happened, when, contact = what_happened.strip(), when.strip(), contact.strip()
    if not what_happened:
        raise GrievanceError("Describe what happened.")
    if len(what_happened) > MAX_TEXT or len(when) > MAX_WHEN or len(contact) > MAX_CONTACT:
        raise GrievanceError(
            f"Keep what happened under {MAX_TEXT} characters, when under {MAX_WHEN} and the contact under "
            f"{MAX_CONTACT}."
        )
    for _ in range(5):
        grievance = Grievance(
            reference=new_reference(),
            system_id=system.id,
            what_happened=what_happened,
            happened_when=when,
            contact=contact,
            language=language,
            status=GrievanceStatus.RECEIVED,
        )
        db.session.add(grievance)
        try:
            db.session.commit()
            return grievance
        except IntegrityError:  # the same reference drawn twice: draw again
            db.session.rollback()
    raise GrievanceError("No reference number could be given. Send the form again in a moment.")


def new_reference() -> str:
    """Short enough to read out on the phone; random, so that it reveals nothing of other grievances."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to mishear
    return f"G-{utcnow():%Y}-" + "".join(secrets.choice(alphabet) for _ in range(6))


def of_system(system: System) -> list[Grievance]:
    return list(
        db.session.scalars(
            select(Grievance).where(Grievance.system_id == system.id).order_by(Grievance.received_at.desc())
        )
    )


def triage(grievance: Grievance, user: User, assessment: Assessment, right: str, finding_text: str) -> None:
    """Take the grievance into the assessment's risk register as a finding against ``right``.

    The finding's text is the buyer's own summary: what a member of the public wrote stays with the
    grievance, out of reports. A remediation action to investigate and answer follows the finding."""
    if assessment.system_id != grievance.system_id:
        raise GrievanceError("Choose an assessment of the system the grievance is about.")
    if grievance.status == GrievanceStatus.TRIAGED:
        raise GrievanceError(f"Grievance {grievance.reference} is already in the risk register.")
    finding_text = finding_text.strip()
    if not finding_text:
        raise GrievanceError("Summarise for the risk register what the grievance shows.")
    finding = risk_register.add_finding(
        assessment,
        right,
        "grievance",
        grievance.id,
        f"Grievance {grievance.reference}: {finding_text}",
        f"Investigate grievance {grievance.reference} and tell the person what was done.",
        REMEDY_PARAGRAPH,
    )
    grievance.finding_id = finding.id
    grievance.status = GrievanceStatus.TRIAGED
    _responded(grievance, user)


def answer(grievance: Grievance, user: User, reply: str) -> None:
    reply = reply.strip()
    if not reply:
        raise GrievanceError("Write the answer to send.")
    grievance.reply = reply
    grievance.status = GrievanceStatus.ANSWERED
    _responded(grievance, user)


def _responded(grievance: Grievance, user: User) -> None:
    if grievance.responded_at is None:
        grievance.responded_at = utcnow()
    grievance.handled_by_id = user.id


def due_at(grievance: Grievance) -> datetime:
    return grievance.received_at + timedelta(days=response_days())


def is_overdue(grievance: Grievance, now: datetime | None = None) -> bool:
    return grievance.responded_at is None and due_at(grievance) < (now or utcnow())


def summary(system_ids: list[int], now: datetime | None = None) -> Grievances:
    """Counts and response times of the systems' grievances, as the oversight body and reports show them."""
    rows = db.session.scalars(select(Grievance).where(Grievance.system_id.in_(system_ids))).all()
    now = now or utcnow()
    waited = [(g.responded_at - g.received_at).total_seconds() / 86400 for g in rows if g.responded_at]
    return Grievances(
        received=len(rows),
        triaged=sum(g.status == GrievanceStatus.TRIAGED for g in rows),
        answered=sum(g.status == GrievanceStatus.ANSWERED for g in rows),
        awaiting=sum(g.responded_at is None for g in rows),
        overdue=sum(is_overdue(g, now) for g in rows),
        response_days=response_days(),
        median_days_to_respond=round(statistics.median(waited), 1) if waited else None,
        longest_days_to_respond=round(max(waited), 1) if waited else None,
    )


def overdue_of(system_ids: list[int], now: datetime | None = None) -> list[Grievance]:
    """Grievances still without a response past the response time, oldest first."""
    cutoff = (now or utcnow()) - timedelta(days=response_days())
    return list(
        db.session.scalars(
            select(Grievance)
            .where(
                Grievance.system_id.in_(system_ids),
                Grievance.responded_at.is_(None),
                Grievance.received_at < cutoff,
            )
            .order_by(Grievance.received_at)
        )
    )


def count_by_system(system_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(Grievance.system_id, func.count(Grievance.id))
        .where(Grievance.system_id.in_(system_ids))
        .group_by(Grievance.system_id)
    )
    return {system_id: count for system_id, count in rows}
