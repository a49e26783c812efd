"""Background work (fairness audits) on a small thread pool inside the server process."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_pending: set[Future] = set()


def submit(app: Flask, func, *args) -> Future:
    """Run ``func(*args)`` inside an application context, off the request thread."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=int(app.config.get("JOB_WORKERS", 2)), thread_name_prefix="hria-job"
            )
        future = _executor.submit(_run, app, func, *args)
        _pending.add(future)
    future.add_done_callback(_pending.discard)
    return future


def _run(app: Flask, func, *args):
    with app.app_context():
        return func(*args)


def wait_all(timeout: float | None = None) -> None:
    """Block until every submitted job has finished (tests and shutdown)."""
    for future in list(_pending):
        future.result(timeout=timeout)
