"""Running the queue's jobs (fairness audits and explanations) in a process of their own."""

from __future__ import annotations

import logging
import os
import sys

import click

from hria import queue
from hria.cli.app import with_app


@click.command(
    help="Run fairness audits and explanations from the queue (HRIA_QUEUE_URL, or the instance's)."
)
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64), help="Jobs run at once.")
@click.option(
    "--exit-with-parent", is_flag=True, hidden=True, help="Stop when the process that started it stops."
)
@with_app(migrate=False)
def worker(app, threads: int, exit_with_parent: bool) -> None:
    if app.config.get("QUEUE_IMMEDIATE"):
        raise click.ClickException(
            "QUEUE_IMMEDIATE is set: jobs run inside the web requests, not in a worker."
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("huey").setLevel(logging.WARNING)
    click.echo(
        f"HRIA worker {os.getpid()}: {threads} threads on the queue {queue.describe(app)} (Ctrl+C stops it)"
    )
    sys.stdout.flush()
    queue.run_worker(app, threads, parent=os.getppid() if exit_with_parent else None)
