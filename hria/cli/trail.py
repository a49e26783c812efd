"""The event trail: checking its hash chain."""

from __future__ import annotations

import sys

import click

from hria.cli.app import with_app
from hria.domain import trail
from hria.extensions import db


@click.group(help="The event trail.")
def events() -> None:
    pass


@events.command("verify", help="Check the hash chain of the event trail; exit 1 at the first broken event.")
@with_app(migrate=False)
def verify_events(app) -> None:
    report = trail.verify_chain(db.session)
    if report.intact:
        click.echo(f"Audit trail intact: {report.count} events.")
        return
    click.echo(
        f"Audit trail broken at event #{report.broken_seq} (id {report.broken_id}): {report.reason}. "
        f"{report.count} events before it verify.",
        err=True,
    )
    sys.exit(1)
