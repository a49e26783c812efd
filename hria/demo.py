"""Demo data: a city procurement office, two vendors, an oversight body and two realistic systems."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from . import accounts
from .extensions import db
from .models import Assessment, Invitation, Organisation, OversightAssignment, System, User

LOGINS_FILE = "demo-logins.txt"

ORGANISATIONS = {
    "city": ("City of Riverton Procurement Office", "buyer"),
    "civic": ("Civic Analytics Ltd", "vendor"),
    "urbansight": ("UrbanSight Systems", "vendor"),
    "board": ("Riverton Algorithmic Oversight Board", "oversight"),
}

USERS = [
    ("admin@riverton.example", "Ada Admin", "admin", "city"),
    ("procurer@riverton.example", "Paula Procurer", "procurer", "city"),
    ("vendor@civic-analytics.example", "Victor Vendor", "vendor", "civic"),
    ("vendor@urbansight.example", "Uma Urbansight", "vendor", "urbansight"),
    ("oversight@oversight-board.example", "Omar Oversight", "oversight", "board"),
]


@dataclass
class DemoLogin:
    email: str
    role: str
    organisation: str
    password: str


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(User))


def seed(instance_path: str) -> list[DemoLogin]:
    """Create the demo organisations, users and systems in an empty database and commit."""
    if not is_empty():
        raise accounts.AccountError("The database already has users; demo data goes only into an empty one.")
    orgs = {key: accounts.create_organisation(name, kind) for key, (name, kind) in ORGANISATIONS.items()}
    logins = []
    for email, name, role, org_key in USERS:
        password = accounts.generate_password()
        accounts.create_user(email, password, role, orgs[org_key], name)
        logins.append(DemoLogin(email, role, orgs[org_key].name, password))
    db.session.add(OversightAssignment(oversight=orgs["board"], overseen=orgs["city"]))
    procurer = db.session.scalar(select(User).where(User.role == "procurer"))

    welfare = System(
        name="Welfare fraud risk score",
        purpose=("Scores applications for housing and income support by the estimated risk of fraud; "
                 "caseworkers investigate the highest-scoring applications first and may suspend payments."),
        owner=orgs["city"], vendor=orgs["civic"], sector="welfare", automated_decisions=True,
        created_by_id=procurer.id,
    )
    traffic = System(
        name="Traffic camera analytics",
        purpose=("Counts vehicles, cyclists and pedestrians from street cameras to time traffic lights and "
                 "plan cycle lanes; flags incidents for the control room. Video is processed at the edge."),
        owner=orgs["city"], vendor=orgs["urbansight"], sector="transport", automated_decisions=False,
        created_by_id=procurer.id,
    )
    scoping = Assessment(system=welfare, stage="scoping", status="in_progress", language="en",
                         created_by_id=procurer.id)
    deployment = Assessment(system=traffic, stage="deployment", status="draft", language="zh",
                            created_by_id=procurer.id)
    db.session.add_all([welfare, traffic, scoping, deployment])
    db.session.add(Invitation(assessment=scoping, organisation=orgs["civic"], invited_by_id=procurer.id))
    db.session.commit()
    save_logins(instance_path, logins)
    return logins


def save_logins(instance_path: str, logins: list[DemoLogin]) -> None:
    path = Path(instance_path) / LOGINS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        for login in logins:
            handle.write(f"{login.email}\t{login.role}\t{login.organisation}\t{login.password}\n")


def saved_logins(instance_path: str) -> list[DemoLogin]:
    path = Path(instance_path) / LOGINS_FILE
    if not path.exists():
        return []
    return [DemoLogin(*line.split("\t")) for line in path.read_text().splitlines() if line.count("\t") == 3]


def format_logins(logins: list[DemoLogin]) -> str:
    width = max(len(login.email) for login in logins)
    lines = ["Demo sign-ins (kept in the instance folder as " + LOGINS_FILE + "):"]
    for login in logins:
        lines.append(f"  {login.email:<{width}}  {login.password}  ({login.role}, {login.organisation})")
    return "\n".join(lines)
