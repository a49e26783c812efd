"""Load test of the scaled setup: gunicorn with two web processes and two `hria worker` processes on
PostgreSQL and Redis, while a large fairness audit runs in a worker.

First one client uploads a file of --audit-rows rows (a million by default) and starts its audit, which a
worker runs throughout. Then each of N clients signs in with an account of its own and, until the time is
up, opens its dashboard and an assessment page; every fifth round it signs out and in again, and every
tenth it uploads a small file of outputs and starts its audit. Prints p50/p95 per page and the error rate
(any answer other than the page, or a redirect to the sign-in page where a page was expected), and whether
the large audit was still running when the load ended.

.venv/bin/python benchmarks/load.py --clients 50 --seconds 60
.venv/bin/python benchmarks/load.py --server waitress   # `hria serve` instead of gunicorn

PostgreSQL: HRIA_BENCH_POSTGRES_URL (default: the local socket); a database is created for the run and
dropped after it. Redis: a redis-server of its own on a free port. LOAD_DEBUG=1 prints each failed sign-in.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("HRIA_BENCH_POSTGRES_URL", "postgresql:///postgres?host=/var/run/postgresql")
HRIA = [sys.executable, "-c", "from hria.cli import main; main()"]
GUNICORN = [sys.executable, "-m", "gunicorn"]
CSRF_RE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
HIDDEN_RE = re.compile(r'<input id="[^"]*" name="([^"]+)" type="hidden" value="([^"]*)"')
UPLOAD_FORM_RE = re.compile(
    r'<form method="post" enctype="multipart/form-data" action="([^"]*/audits/upload)"[^>]*>(.*?)</form>',
    re.S,
)
PASSWORD = "load-test passphrase 7291"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not come up within {seconds:.0f} s")


@contextmanager
def postgres_database():
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"hria_load_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def redis_server(folder: Path):
    binary = shutil.which("redis-server") or sys.exit("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    import redis

    wait_until(lambda: redis.Redis(port=port).ping(), "redis-server")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


def seed(clients: int) -> list[str]:
    """The demo data, and one procurement officer of the demo city per client; gives their emails."""
    from hria import create_app, database
    from hria.domain import accounts, demo
    from hria.domain.models import Organisation
    from hria.extensions import db

    app = create_app()
    database.upgrade(app)
    with app.app_context():
        demo.seed(app.instance_path)
        city = db.session.query(Organisation).filter_by(kind="buyer").order_by(Organisation.id).first()
        emails = [f"load{i}@riverton.example" for i in range(clients)]
        for email in emails:
            accounts.create_user(email, PASSWORD, "procurer", city)
        db.session.commit()
        db.engine.dispose()
    return emails


class Client:
    def __init__(self, base: str, email: str, timings: dict, errors: dict, lock: threading.Lock):
        self.base, self.email = base, email
        self.timings, self.errors, self.lock = timings, errors, lock
        self.audited = ""  # the assessment whose page takes uploads for audit
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def request(self, page: str | None, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                status, html, location = response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            status, html, location = (
                error.code,
                error.read().decode(errors="replace"),
                error.headers["Location"] or "",
            )
        except OSError:
            status, html, location = 0, "", ""
        elapsed = time.perf_counter() - started
        if page is not None:
            with self.lock:
                self.timings[page].append(elapsed)
        return status, html, location

    def count(self, page: str, ok: bool) -> None:
        with self.lock:
            self.errors[page][0 if ok else 1] += 1

    def sign_in(self) -> None:
        _, html, _ = self.request(None, "/login")
        token = CSRF_RE.search(html)
        status, html, location = self.request(
            "sign-in",
            "/login",
            {"email": self.email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""},
        )
        ok = status == 302 and "/login" not in location
        if not ok and os.environ.get("LOAD_DEBUG"):
            print("sign-in", status, location, re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', html)[:2])
        self.count("sign-in", ok)

    def sign_out(self) -> None:
        _, html, _ = self.request(None, "/")
        token = CSRF_RE.search(html)
        self.request(None, "/logout", {"csrf_token": token.group(1) if token else ""})

    def page(self, name: str, path: str) -> str:
        status, html, _ = self.request(name, path)
        self.count(name, status == 200)
        return html

    def upload_audit(self, assessment_path: str, content: bytes) -> str | None:
        """Upload outputs on the assessment page and start their audit as a person would; the audit's page."""
        html = self.page("assessment", assessment_path)
        form = UPLOAD_FORM_RE.search(html)
        if form is None:
            self.count("audit upload", False)
            return None
        fields = dict(HIDDEN_RE.findall(form.group(2)))
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="outputs.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n".encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            self.base + form.group(1),
            data=b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        status, _, configure = self.send("audit upload", request)
        if status != 302 or "/audits/new/" not in configure:
            self.count("audit upload", False)
            return None
        _, page, _ = self.request(None, urllib.parse.urlsplit(configure).path)
        mapping = dict(HIDDEN_RE.findall(page))
        mapping.update(
            y_true="fraud_found",
            y_pred="flagged",
            score="",
            sensitive_features="nationality",
            min_group_size="30",
            confidence="0.95",
        )
        status, _, audit = self.request("audit upload", urllib.parse.urlsplit(configure).path, mapping)
        self.count("audit upload", status == 302 and "/audits/" in audit)
        return audit or None

    def send(self, page: str, request: urllib.request.Request) -> tuple[int, str, str]:
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=300) as response:
                status, html, location = response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            status, html, location = error.code, "", error.headers["Location"] or ""
        except OSError:
            status, html, location = 0, "", ""
        with self.lock:
            self.timings[page].append(time.perf_counter() - started)
        return status, html, location

    def run(self, until: float) -> None:
        self.sign_in()
        rounds = 0
        while time.monotonic() < until:
            dashboard = self.page("dashboard", "/")
            found = re.search(r'href="(/assessments/\d+)"', dashboard)
            if found:
                self.page("assessment", found.group(1))
            rounds += 1
            if rounds % 10 == 0 and self.audited:
                self.upload_audit(self.audited, outputs(2000, seed=rounds))
            if rounds % 5 == 0:
                self.sign_out()
                self.sign_in()


def outputs(rows: int, seed: int = 0) -> bytes:
    """Model outputs of the demo's kind: an outcome, a flag and a nationality, one row a person."""
    import numpy as np

    rng = np.random.default_rng(seed)
    nationality = rng.choice(np.array(["national", "EU", "non-EU"]), rows, p=[0.7, 0.2, 0.1])
    fraud = rng.random(rows) < 0.05
    flagged = rng.random(rows) < np.where(nationality == "non-EU", 0.2, 0.08)
    lines = ["fraud_found,flagged,nationality"]
    lines += [f"{int(f)},{int(g)},{n}" for f, g, n in zip(fraud, flagged, nationality, strict=True)]
    return ("\n".join(lines) + "\n").encode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--server", choices=("gunicorn", "waitress"), default="gunicorn")
    parser.add_argument("--audit-rows", type=int, default=1_000_000, help="rows of the audit run under load")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as folder,
        postgres_database() as database_url,
        redis_server(Path(folder)) as queue,
    ):
        os.environ.update(
            HRIA_INSTANCE_PATH=str(Path(folder) / "instance"),
            HRIA_DATABASE_URL=database_url,
            HRIA_QUEUE_URL=queue,
        )
        emails = seed(args.clients + 1)  # one more for the client of the large audit
        port = free_port()
        if args.server == "gunicorn":
            web = [
                *GUNICORN,
                "--workers",
                str(args.web_workers),
                "--threads",
                str(args.web_threads),
                "--bind",
                f"127.0.0.1:{port}",
                "hria.wsgi:app",
            ]
        else:
            web = [*HRIA, "serve", "--port", str(port), "--threads", str(args.web_threads)]
        processes = [
            subprocess.Popen(web, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            *(
                subprocess.Popen([*HRIA, "worker"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for _ in range(2)
            ),
        ]
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(
                lambda: urllib.request.urlopen(base + "/healthz", timeout=2).status == 200, "hria serve"
            )
            timings: dict[str, list[float]] = defaultdict(list)
            errors: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            lock = threading.Lock()
            large = Client(base, emails.pop(), defaultdict(list), defaultdict(lambda: [0, 0]), lock)
            large.sign_in()
            audited = next(
                (
                    path
                    for path in dict.fromkeys(
                        re.findall(r'href="(/assessments/\d+)"', large.request(None, "/")[1])
                    )
                    if UPLOAD_FORM_RE.search(large.request(None, path)[1])
                ),
                "",
            )
            large_audit = large.upload_audit(audited, outputs(args.audit_rows)) if audited else None
            if large_audit is None:
                raise SystemExit("the large audit could not be started")
            until = time.monotonic() + args.seconds
            clients = [Client(base, email, timings, errors, lock) for email in emails]
            for client in clients:
                client.audited = audited
            threads = [threading.Thread(target=client.run, args=(until,)) for client in clients]
            load_before = os.getloadavg()[0]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            answer = large.request(None, urllib.parse.urlsplit(large_audit).path + "/status")
            status = json.loads(answer[1]) if answer[0] == 200 else {}
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(20)

    server = (
        f"gunicorn with {args.web_workers} processes of {args.web_threads} threads"
        if args.server == "gunicorn"
        else f"waitress with {args.web_threads} threads"
    )
    print(
        f"{args.clients} clients, {args.seconds:.0f} s, {server}, 2 queue workers, PostgreSQL + Redis; "
        f"{os.cpu_count()} cores, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(
        f"the {args.audit_rows:,}-row audit was {status.get('status', 'unknown')} when the load ended"
        + (f" ({status['progress']})" if status.get("progress") else "")
    )
    print(f"{'page':<14}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'errors':>10}")
    for page in ("dashboard", "assessment", "sign-in", "audit upload"):
        values = timings[page]
        ok, failed = errors[page]
        if not values:
            print(f"{page:<14}{0:>10}")
            continue
        print(
            f"{page:<14}{len(values):>10}{statistics.median(values) * 1000:>10.0f}"
            f"{percentile(values, 0.95) * 1000:>10.0f}{failed / max(ok + failed, 1):>10.1%}"
        )


if __name__ == "__main__":
    main()
