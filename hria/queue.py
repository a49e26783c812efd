"""The task queue (Huey): a SQLite file in the instance folder by default, Redis when ``QUEUE_URL`` names one.

The web process only sends job ids; ``hria worker`` (started by ``hria serve`` for the embedded queue) runs
them. What makes a job survive a worker's death is in ``hria.domain.jobs``; this module is the plumbing.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

from flask import Flask
from huey import RedisHuey, SqliteHuey  # type: ignore[import-untyped]
from huey.api import Huey  # type: ignore[import-untyped]
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url

QUEUE_NAME = "hria"
QUEUE_FILE = "queue.sqlite3"
REDIS_SCHEMES = ("redis", "rediss", "unix")
_EXTENSION = "hria_queue"
_lock = threading.Lock()
logger = logging.getLogger(__name__)


class Unavailable(Exception):
    """The queue's store could not be reached."""


class ConfigurationError(ValueError):
    pass


def of(app: Flask) -> Huey:
    """The application's queue, made on first use."""
    return _queue_and_task(app)[0]


def _queue_and_task(app: Flask):
    with _lock:
        if _EXTENSION not in app.extensions:
            huey = _make(app)
            app.extensions[_EXTENSION] = (huey, huey.task(name="run_job")(_job_runner(app)))
        return app.extensions[_EXTENSION]


def is_embedded(app: Flask) -> bool:
    return not app.config.get("QUEUE_URL")


def describe(app: Flask) -> str:
    """Where the queue lives, for people (a password in the URL is hidden)."""
    if is_embedded(app):
        return str(Path(app.instance_path) / QUEUE_FILE)
    return make_url(app.config["QUEUE_URL"]).render_as_string(hide_password=True)


def _make(app: Flask) -> Huey:
    immediate = bool(app.config.get("QUEUE_IMMEDIATE"))
    url = app.config.get("QUEUE_URL")
    # Results live in the database (hria.domain.jobs); the queue only carries job ids.
    if not url:
        huey: Huey = SqliteHuey(
            QUEUE_NAME, filename=str(Path(app.instance_path) / QUEUE_FILE), results=False, immediate=immediate
        )
    elif url.split(":", 1)[0] in REDIS_SCHEMES:
        huey = RedisHuey(QUEUE_NAME, url=url, results=False, immediate=immediate)
    else:
        raise ConfigurationError(
            f"HRIA_QUEUE_URL must be a Redis URL (redis://host:6379/0), not {url!r}; "
            f"leave it unset to keep the queue in the instance folder."
        )
    return huey


def _job_runner(app: Flask):
    def run_job(job_id: int) -> None:
        from hria.domain import jobs

        with app.app_context():
            jobs.run(job_id)

    return run_job


def send(app: Flask, job_id: int) -> None:
    """Put a job's id on the queue (in immediate mode, run it now)."""
    run_job = _queue_and_task(app)[1]
    try:
        run_job(job_id)
    except (RedisError, sqlite3.Error, OSError) as error:
        raise Unavailable(f"{describe(app)}: {error}") from error


def run_worker(app: Flask, threads: int, parent: int | None = None) -> None:
    """Run jobs from the queue until stopped (SIGINT: after the running jobs; SIGTERM: now).

    A thread renews this process's leases and sweeps expired ones. With ``parent``, the worker stops
    when that process is gone (``hria serve`` starts its embedded worker so).
    """
    stop = threading.Event()
    threading.Thread(target=_keep_leases, args=(app, stop), name="hria-leases", daemon=True).start()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), name="hria-parent", daemon=True).start()
    # Polls an idle SQLite queue at most a second apart, so a job starts soon after it is sent.
    consumer = of(app).create_consumer(workers=threads, worker_type="thread", periodic=False, max_delay=1.0)
    try:
        consumer.run()
    finally:
        stop.set()


def _keep_leases(app: Flask, stop: threading.Event) -> None:
    from hria.domain import jobs

    interval = float(app.config["QUEUE_HEARTBEAT_SECONDS"])
    while True:
        with app.app_context():
            try:
                jobs.renew_leases()
                jobs.sweep()
            except Exception:
                # The database or the queue may be away for a moment; the next beat tries again.
                logger.exception("Could not renew or sweep job leases")
        if stop.wait(interval):
            return


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)
