"""Setting up and running an instance: the schema, the server, the demo."""

from __future__ import annotations

import signal
import subprocess
import sys

import click
import waitress

from hria import create_app, database, queue
from hria.cli.app import with_app
from hria.domain import accounts, demo, signing_keys
from hria.domain.models import Organisation
from hria.extensions import db


@click.command(help="Create the instance folder and bring the database schema up to date.")
def init() -> None:
    app = create_app()
    before, after = database.upgrade(app)
    click.echo(f"Instance folder: {app.instance_path}")
    with app.app_context():
        click.echo(f"Database: {db.engine.url.render_as_string(hide_password=True)}")
    if before == after:
        click.echo(f"Schema already up to date (revision {after}).")
    else:
        click.echo(f"Schema migrated from {before or 'empty'} to revision {after}.")


@click.command(help="Serve the application with the production WSGI server (waitress).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--worker-threads",
    default=2,
    show_default=True,
    type=click.IntRange(0, 64),
    help="Jobs the embedded queue's worker runs at once (0: start no worker).",
)
@click.option("--demo", "with_demo", is_flag=True, help="Seed demo data first if the database is empty.")
@with_app(migrate=True)
def serve(app, host: str, port: int, threads: int, worker_threads: int, with_demo: bool) -> None:
    if with_demo:
        if demo.is_empty():
            demo.seed(app.instance_path)
        logins = demo.saved_logins(app.instance_path)
        if logins:
            click.echo(demo.format_logins(logins))

    if not signing_keys.authority_path().exists():
        signing_keys.init_keys(db.session.query(Organisation).all())
        click.echo(
            f"Created a development certificate authority and signing keys in {signing_keys.folder()}."
        )
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    worker = _start_embedded_worker(app, worker_threads)
    click.echo(f"HRIA is running at http://{shown}:{port}/  (instance: {app.instance_path}; Ctrl+C stops it)")
    sys.stdout.flush()
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="hria", _quiet=True)
    finally:
        if worker is not None:
            _stop(worker)


def _start_embedded_worker(app, threads: int) -> subprocess.Popen | None:
    """The embedded queue is worked through by a child `hria worker`, so the first command needs nothing
    else; with HRIA_QUEUE_URL the web process only sends jobs, and `hria worker` runs elsewhere."""
    if not queue.is_embedded(app) or threads == 0:
        click.echo(
            f"Audits and explanations go to the queue {queue.describe(app)}: run `hria worker` to do them."
        )
        return None
    # A process of its own: a long audit does not compete with page requests for one interpreter.
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from hria.cli import main; main()",
            "worker",
            "--threads",
            str(threads),
            "--exit-with-parent",
        ]
    )


def _stop(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGINT)  # finish the running jobs' current write, then stop
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


@click.command("demo", help="Seed demo organisations, users and systems into an empty database.")
@with_app(migrate=True)
def demo_command(app) -> None:
    try:
        logins = demo.seed(app.instance_path)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(demo.format_logins(logins))
