"""The main pages and commands at volume against the demo data, in the same run (target: at most 1.5 times).

Times the pages a buyer opens every day (the dashboard, a system, an assessment, a section of the
questionnaire, the risk register) and the administrator's user list with Flask's test client, and
`hria events verify` and `hria assessments list --json` in-process, first on the demo data alone, then after
adding 100 organisations, 1,000 systems (50 of them the demo city's), 5,000 assessments, 50,000 answers
and 100,000 events of the trail, chained like real ones (`hria events verify` walks them all).

.venv/bin/python benchmarks/volume.py [--repeats 15] [--database postgresql:///hria_volume?host=/var/run/postgresql]

Rows are added with bulk inserts through the models (the trail's flush hook would write one event per row
with a query each, which takes an hour at this volume); their events are computed here, in the trail's
own format, and appended to the chain.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, insert, select

from hria import create_app, database
from hria.cli import main as hria_main
from hria.domain import demo, questions, trail
from hria.domain.models import Answer, Assessment, Event, Organisation, System, User, utcnow
from hria.domain.vocabulary import AssessmentStatus, Role
from hria.extensions import db

ORGANISATIONS = 100
SYSTEMS = 1000
CITY_SYSTEMS = 50  # the demo city's, counting its own two
ASSESSMENTS_PER_SYSTEM = 5
ANSWERS_PER_ASSESSMENT = 10
EVENTS = 100_000
USERS_PER_ORGANISATION = 3
STAGES = ("scoping", "procurement", "design", "deployment", "operation")
TARGET = 1.5


def an_answer(question: dict) -> Any:
    kind = question["type"]
    if kind == "yes_no":
        return "yes"
    if kind == "single":
        return question["options"][0]["value"]
    if kind == "multiple":
        return [next(o["value"] for o in question["options"] if not o.get("prohibited"))]
    if kind == "number":
        return 1
    return "Answered at volume."


class Trail:
    """Events appended after the chain's last one, in the trail's format (hria.domain.trail)."""

    def __init__(self) -> None:
        last = db.session.execute(select(Event.seq, Event.hash).order_by(Event.seq.desc()).limit(1)).first()
        self.seq, self.prev = (last.seq, last.hash) if last else (0, trail.GENESIS_HASH)
        self.at = utcnow()
        self.rows: list[dict] = []

    def add(self, action: str, object_type: str, object_id: int, before: dict | None, after: dict | None):
        self.seq += 1
        self.at += timedelta(milliseconds=1)
        fields = {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor_id": None,
            "actor": "volume benchmark",
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before": trail.canonical_json(before) if before is not None else None,
            "after": trail.canonical_json(after) if after is not None else None,
            "comment": "",
            "prev_hash": self.prev,
        }
        self.prev = trail.event_hash(fields)
        self.rows.append({**fields, "hash": self.prev})
        if len(self.rows) >= 5000:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            db.session.execute(insert(Event), self.rows)
            self.rows = []


def bulk(model, rows: list[dict], chain: Trail) -> list[int]:
    """Insert rows of a model, record a create event for each; gives their ids in order."""
    ids = list(
        db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows).all()
    )
    for row_id, row in zip(ids, rows, strict=True):
        chain.add("create", model.__tablename__, row_id, None, {"id": row_id, **row})
    return ids


def seed_volume() -> None:
    started = time.perf_counter()
    chain = Trail()
    city = db.session.scalars(select(Organisation).filter_by(kind="buyer").order_by(Organisation.id)).first()
    model = db.session.scalars(select(Assessment).filter_by(stage="scoping")).first()
    assert city is not None and model is not None
    password_hash = db.session.scalars(select(User.password_hash)).first()
    bank = questions.bank_for(model)
    kinds = [
        ("buyer", "buyer", "buyer", "vendor", "vendor", "oversight")[i % 6] for i in range(ORGANISATIONS)
    ]
    org_ids = bulk(
        Organisation,
        [{"name": f"Organisation {i:03d}", "kind": kinds[i]} for i in range(ORGANISATIONS)],
        chain,
    )
    buyers = [i for i, kind in zip(org_ids, kinds, strict=True) if kind == "buyer"]
    vendors = [i for i, kind in zip(org_ids, kinds, strict=True) if kind == "vendor"]
    users = [
        {
            "email": f"user{j}@org{i}.example",
            "name": f"User {j} of {i}",
            "password_hash": password_hash,
            "role": Role.PROCURER,
            "organisation_id": i,
            "session_token": f"volume-{i}-{j}",
        }
        for i in [*org_ids, city.id]
        for j in range(USERS_PER_ORGANISATION)
    ]
    user_of = dict(zip((u["organisation_id"] for u in users), bulk(User, users, chain), strict=True))
    city_count = db.session.scalar(select(func.count()).select_from(System).filter_by(owner_id=city.id))
    owners = [city.id] * (CITY_SYSTEMS - city_count)
    owners += [buyers[i % len(buyers)] for i in range(SYSTEMS - len(owners))]
    system_ids = bulk(
        System,
        [
            {
                "name": f"System {n:04d}",
                "purpose": "Scores applications at volume.",
                "owner_id": owner,
                "vendor_id": vendors[n % len(vendors)],
                "sector": "welfare",
                "automated_decisions": n % 2 == 0,
            }
            for n, owner in enumerate(owners)
        ],
        chain,
    )
    owner_of = dict(zip(system_ids, owners, strict=True))
    assessments = [
        {
            "system_id": system_id,
            "stage": stage,
            "status": AssessmentStatus.IN_PROGRESS,
            "language": "en",
            "bank_id": model.bank_id,
            "created_by_id": user_of[owner_of[system_id]],
        }
        for system_id in system_ids
        for stage in STAGES
    ]
    assessment_ids = bulk(Assessment, assessments, chain)
    answers = []
    for assessment_id, row in zip(assessment_ids, assessments, strict=True):
        asked = [q for q in bank["stages"][row["stage"]]["questions"] if not q.get("show_if")]
        for question in asked[:ANSWERS_PER_ASSESSMENT]:
            answers.append(
                {
                    "assessment_id": assessment_id,
                    "question_id": question["id"],
                    "value": json.dumps(an_answer(question)),
                    "answered_by_id": row["created_by_id"],
                }
            )
    answer_ids = bulk(Answer, answers, chain)
    # the rest of the trail: answers changed once, as people revise them
    for answer_id, row in zip(answer_ids, answers, strict=True):
        if created_events(chain) >= EVENTS:
            break
        chain.add("update", "answer", answer_id, {"value": row["value"]}, {"value": row["value"]})
    chain.flush()
    db.session.commit()
    counts = {
        name: db.session.scalar(select(func.count()).select_from(m))
        for name, m in (
            ("organisations", Organisation),
            ("systems", System),
            ("assessments", Assessment),
            ("answers", Answer),
            ("events", Event),
        )
    }
    print(
        f"seeded in {time.perf_counter() - started:.0f} s: "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items())
    )


_first_seq: list[int] = []


def created_events(chain: Trail) -> int:
    return chain.seq - _first_seq[0]


def sign_in(client, email: str, password: str) -> None:
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302 and "/login" not in response.headers["Location"], email


def median_seconds(action: Callable[[], None], repeats: int) -> float:
    action()  # warm caches (templates, the question bank) before timing
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(app, logins: dict[str, str], repeats: int) -> dict[str, float]:
    with app.app_context():
        city = db.session.scalars(
            select(Organisation).filter_by(kind="buyer").order_by(Organisation.id)
        ).first()
        welfare = db.session.scalars(select(System).filter_by(owner_id=city.id).order_by(System.id)).first()
        assessment = db.session.scalars(
            select(Assessment).filter_by(system_id=welfare.id, stage="scoping")
        ).first()
        procurer = db.session.scalars(
            select(User.email).filter_by(role=Role.PROCURER, organisation_id=city.id)
        ).first()
        admin = db.session.scalars(select(User.email).filter_by(role=Role.ADMIN)).first()
    buyer, administrator = app.test_client(), app.test_client()
    sign_in(buyer, procurer, logins[procurer])
    sign_in(administrator, admin, logins[admin])
    pages = {
        "dashboard": (buyer, "/"),
        "system page": (buyer, f"/systems/{welfare.id}"),
        "assessment page": (buyer, f"/assessments/{assessment.id}"),
        "wizard section": (buyer, f"/assessments/{assessment.id}/sections/people"),
        "risk register": (buyer, f"/assessments/{assessment.id}/risks"),
        "admin user list": (administrator, "/admin/users"),
    }
    results = {}
    for name, (client, path) in pages.items():

        def get(client=client, path=path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        results[name] = median_seconds(get, repeats)
    runner = CliRunner()
    for name, args in (
        ("hria events verify", ["events", "verify"]),
        ("hria assessments list --json", ["assessments", "list", "--json"]),
    ):

        def run(args=args):
            result = runner.invoke(hria_main, args, catch_exceptions=False)
            assert result.exit_code == 0, result.output

        results[name] = median_seconds(run, max(3, repeats // 5))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--database", help="a SQLAlchemy URL of an empty database (default: SQLite)")
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="hria-volume-")
    os.environ["HRIA_INSTANCE_PATH"] = folder
    for name in ("HRIA_DATABASE_URL", "HRIA_QUEUE_URL", "HRIA_EVIDENCE_URL"):
        os.environ.pop(name, None)
    if options.database:
        os.environ["HRIA_DATABASE_URL"] = options.database
    app = create_app()
    database.upgrade(app)
    with app.app_context():
        logins = {login.email: login.password for login in demo.seed(app.instance_path)}
        db.session.commit()
        users = db.session.scalars(select(User.email)).all()
    print(f"demo data: {len(users)} users; instance {folder}")
    before = measure(app, logins, options.repeats)
    with app.app_context():
        _first_seq.append(db.session.scalar(select(func.max(Event.seq))) or 0)
        seed_volume()
    after = measure(app, logins, options.repeats)
    print(f"\n{'':32}{'demo (ms)':>12}{'volume (ms)':>14}{'ratio':>8}")
    worst = 0.0
    for name in before:
        ratio = after[name] / before[name]
        worst = max(worst, ratio)
        flag = "" if ratio <= TARGET else "  over target"
        print(f"{name:32}{before[name] * 1000:12.1f}{after[name] * 1000:14.1f}{ratio:8.2f}{flag}")
    print(f"\nworst ratio {worst:.2f} (target ≤ {TARGET})")
    sys.exit(0 if worst <= TARGET else 1)


if __name__ == "__main__":
    main()
