"""Demo data: a city procurement office, two vendors, an oversight body and two realistic systems."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from hria.domain import accounts
from hria.domain.models import Assessment, Invitation, Organisation, OversightAssignment, System, User
from hria.domain.vocabulary import AssessmentStatus, EvidencePurpose, ReportKind, Role
from hria.extensions import db

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
    procurer = _user(Role.PROCURER, orgs["city"])

    welfare = System(
        name="Welfare fraud risk score",
        purpose=(
            "Scores applications for housing and income support by the estimated risk of fraud; "
            "caseworkers investigate the highest-scoring applications first and may suspend payments."
        ),
        owner=orgs["city"],
        vendor=orgs["civic"],
        sector="welfare",
        automated_decisions=True,
        created_by_id=procurer.id,
    )
    traffic = System(
        name="Traffic camera analytics",
        purpose=(
            "Counts vehicles, cyclists and pedestrians from street cameras to time traffic lights and "
            "plan cycle lanes; flags incidents for the control room. Video is processed at the edge."
        ),
        owner=orgs["city"],
        vendor=orgs["urbansight"],
        sector="transport",
        automated_decisions=False,
        created_by_id=procurer.id,
    )
    scoping = Assessment(
        system=welfare,
        stage="scoping",
        status=AssessmentStatus.IN_PROGRESS,
        language="en",
        created_by_id=procurer.id,
    )
    deployment = Assessment(
        system=traffic,
        stage="deployment",
        status=AssessmentStatus.DRAFT,
        language="zh",
        created_by_id=procurer.id,
    )
    db.session.add_all([welfare, traffic, scoping, deployment])
    db.session.add(Invitation(assessment=scoping, organisation=orgs["civic"], invited_by_id=procurer.id))
    db.session.commit()
    from hria.domain import signing_keys

    signing_keys.init_keys(orgs.values())
    _complete_scoping(scoping, procurer)
    _procurement_story(welfare, orgs)
    _operation_monitoring(welfare, orgs)
    _self_certification(orgs)
    _public_accountability(welfare, orgs)
    _street_sensors(orgs)
    save_logins(instance_path, logins)
    return logins


SCOPING_ANSWERS = {
    "SCO-01": "Investigators cannot check every claim; the score is meant to send them to the claims most "
    "likely to be fraudulent first.",
    "SCO-02": "partly",
    "SCO-03": "triage",
    "SCO-04": "yes",
    "SCO-05": "no",
    "SCO-06": 42000,
    "SCO-07": ["low_income", "migrants_minorities", "disability", "women_girls"],
    "SCO-08": "no",
    "SCO-09": ["privacy", "equality", "social_economic", "remedy"],
    "SCO-10": "yes",
    "SCO-11": "partly",
    "SCO-12": "yes",
    "SCO-13": "partly",
    "SCO-14": "yes",
    "SCO-15": "yes",
    "SCO-17": "serious",
    "SCO-18": "partly",
    "SCO-19": "likely",
    "SCO-20": "partly",
    "SCO-21": "partly",
    # investigations follow the score, and the score leans on two postcodes: a burden on two districts
    "SCO-23": "partly",
    "SCO-24": ["concentrated_monitoring"],
    "SCO-25": "no",
    "SCO-26": ["none"],
    "SCO-28": "From April 2026 for three years, reviewed each year; every application is scored once, when "
    "it is received, about 42,000 a year.",
}


def welfare_outputs(rows: int = 6000, seed: int = 2026) -> bytes:
    """Synthetic welfare-model outputs: in some groups, flags fall more often on the innocent."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    nationality = rng.choice(["national", "EU", "non-EU"], rows, p=[0.7, 0.15, 0.15])
    sex = rng.choice(["female", "male"], rows)
    household = rng.integers(1, 7, rows)
    income = np.round(rng.gamma(4, 450, rows), 0)
    months_on_benefit = rng.integers(1, 120, rows)
    language_of_forms = np.where(nationality == "national", "local", rng.choice(["local", "other"], rows))
    postcode = np.where(
        nationality == "non-EU",
        rng.choice(["3011", "3012", "3021"], rows),
        rng.choice(["3011", "3012", "3021", "3051", "3062", "3071"], rows),
    )
    fraud = (rng.random(rows) < 0.03 + 0.03 * (household > 4) + 0.04 * (months_on_benefit < 12)).astype(int)
    # the model sees only the application: its score leans on the language of the forms and the postcode
    score = (
        0.3 * (household > 4)
        + 0.3 * (months_on_benefit < 12)
        + 0.25 * (language_of_forms == "other")
        + 0.2 * np.isin(postcode, ["3011", "3021"])
        - income / 20000
        + rng.normal(0, 0.03, rows)
    )
    frame = pd.DataFrame(
        {
            "fraud_found": fraud,
            "risk_score": np.round(score, 4),
            "flagged": (score > 0.35).astype(int),
            "nationality": nationality,
            "sex": sex,
            "household_size": household,
            "monthly_income": income,
            "months_on_benefit": months_on_benefit,
            "language_of_forms": language_of_forms,
            "postcode": postcode,
        }
    )
    return frame.to_csv(index=False).encode()


def _complete_scoping(assessment: Assessment, procurer: User) -> None:
    """Welfare scoping answered, audited, explained and rated: every report section has content."""
    import json
    from datetime import date

    from hria.domain import evidence, fairness_audits, jobs, risk_register
    from hria.domain.models import FairnessAudit, RemediationAction, RiskRating

    db.session.flush()  # pins the bank
    _answer(assessment, SCOPING_ANSWERS, procurer)
    outputs = evidence.store_bytes(
        welfare_outputs(),
        "welfare-model-outputs-2026Q3.csv",
        assessment,
        EvidencePurpose.MODEL_OUTPUTS,
        procurer.id,
    )
    decision = evidence.store_bytes(
        b"Decision of the city council, 3 March 2026: start of the welfare risk score project.",
        "council-decision.txt",
        assessment,
        EvidencePurpose.QUESTION,
        procurer.id,
    )
    decision.question_id = "SCO-16"
    db.session.flush()
    audit = FairnessAudit(
        assessment=assessment,
        evidence=outputs,
        kind=fairness_audits.AUDIT,
        status=fairness_audits.QUEUED,
        created_by_id=procurer.id,
        settings=json.dumps(
            {
                "y_true": "fraud_found",
                "y_pred": "flagged",
                "score": "risk_score",
                "threshold": None,
                "sensitive_features": ["nationality", "sex"],
                "reference": {"nationality": "national"},
            }
        ),
    )
    explanation = FairnessAudit(
        assessment=assessment,
        evidence=outputs,
        kind=fairness_audits.EXPLANATION,
        status=fairness_audits.QUEUED,
        created_by_id=procurer.id,
        settings=json.dumps(
            {
                "y_pred": None,
                "score": "risk_score",
                "sensitive_features": ["nationality", "sex"],
                "features": [
                    "household_size",
                    "monthly_income",
                    "months_on_benefit",
                    "language_of_forms",
                    "postcode",
                ],
            }
        ),
    )
    db.session.add_all([audit, explanation])
    risk_register.recompute(assessment)
    db.session.commit()
    jobs.run(audit.id)  # the demo shows their results at once: run here, not queued
    jobs.run(explanation.id)
    for right, scale, scope, reversibility, likelihood, treatment in (
        (
            "equality",
            3,
            3,
            3,
            3,
            "Human review of every flag before an investigation starts; quarterly audits.",
        ),
        ("social_economic", 4, 2, 3, 2, "No payment is suspended on the score alone."),
        ("privacy", 2, 3, 2, 2, "Data protection impact assessment before design."),
    ):
        db.session.add(
            RiskRating(
                assessment_id=assessment.id,
                right=right,
                scale=scale,
                scope=scope,
                reversibility=reversibility,
                likelihood=likelihood,
                treatment=treatment,
                rated_by_id=procurer.id,
            )
        )
    owners = ["Head of Benefits", "Data Protection Officer", "Procurement lead"]
    for i, action in enumerate(
        db.session.query(RemediationAction)
        .filter_by(assessment_id=assessment.id)
        .order_by(RemediationAction.id)
    ):
        action.owner = owners[i % len(owners)]
        action.due_date = date(2027, 1 + i % 6, 28)
        if i == 0:
            action.status = "in_progress"
    db.session.commit()


# Street sensors decide about places, not persons: no decision about anyone (SCO-03, SCO-04), yet the
# collection rounds they plan reach some districts later than others. Its level comes from the questions
# on places and essential services: with them 22 of 54 points (41 %, level II); had it answered "no" to
# SCO-23 and SCO-27, 10 of 44 (23 %, level I).
SENSOR_SCOPING_ANSWERS = {
    "SCO-01": "Plan waste collection rounds and street cleaning from bin fill levels, and find noise "
    "nuisance from street sensors.",
    "SCO-02": "yes",
    "SCO-03": "none",
    "SCO-04": "no",
    "SCO-05": "partly",  # the noise sensors record sound levels in the street, not speech
    "SCO-06": 180000,
    "SCO-07": ["older", "low_income"],
    "SCO-08": "partly",
    "SCO-09": ["privacy", "equality", "social_economic", "environment"],
    "SCO-10": "yes",
    "SCO-11": "partly",
    "SCO-12": "yes",
    "SCO-13": "no",
    "SCO-14": "no",
    "SCO-15": "yes",
    "SCO-17": "moderate",
    "SCO-18": "effort",
    "SCO-19": "possible",
    "SCO-20": "no",
    "SCO-21": "no",
    "SCO-22": "no",
    "SCO-23": "yes",
    "SCO-24": ["uneven_service", "lost_service", "shifted_burden"],
    "SCO-25": "no",
    "SCO-26": ["none"],
    "SCO-27": "yes",
    "SCO-28": "Continuously from January 2027; the sensors report every 15 minutes and the rounds are "
    "planned each night. Reviewed after the first year.",
}


def _street_sensors(orgs: dict) -> System:
    """A system about places: fill-level and noise sensors that plan collection rounds, scoped by the city."""
    from hria.domain import risk_register

    procurer = _user(Role.PROCURER, orgs["city"])
    sensors = System(
        name="Street sensor network",
        purpose=(
            "Fill-level sensors in public bins and noise sensors on lamp posts; the readings plan waste "
            "collection rounds and street cleaning, and point inspectors to noise nuisance."
        ),
        owner=orgs["city"],
        vendor=orgs["urbansight"],
        sector="waste",
        automated_decisions=False,
        created_by_id=procurer.id,
    )
    scoping = Assessment(
        system=sensors,
        stage="scoping",
        status=AssessmentStatus.IN_PROGRESS,
        language="en",
        created_by_id=procurer.id,
    )
    db.session.add_all([sensors, scoping])
    db.session.flush()  # pins the bank
    _answer(scoping, SENSOR_SCOPING_ANSWERS, procurer)
    risk_register.recompute(scoping)
    db.session.commit()
    return sensors


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


PROCUREMENT_VENDOR = {
    "PRO-02": "yes",
    "PRO-03": "partly",
    "PRO-04": "no",
    "PRO-10": "no",
    "PRO-11": "partly",
    "PRO-12": "yes",
    "PRO-15": "no",
    "PRO-17": "yes",
    "PRO-18": "partly",
}
PROCUREMENT_BUYER = {
    "PRO-01": "no",
    "PRO-05": "yes",
    "PRO-06": "yes",
    "PRO-07": "partly",
    "PRO-08": "yes",
    "PRO-09": "yes",
    "PRO-13": "partly",
    "PRO-14": "yes",
    "PRO-19": "partly",
    "PRO-20": "yes",
}
# The welfare system's first year in operation, as the procurement officer records it at go-live review.
OPERATION_ANSWERS = {
    "OPS-01": "quarterly",
    "OPS-02": "yes",
    "OPS-03": "no",
    "OPS-04": "yes",
    "OPS-05": "yes",
    "OPS-06": "partly",
    "OPS-07": "partly",
    "OPS-08": "yes",
    "OPS-09": "partly",
    "OPS-10": "partly",
    "OPS-11": "yes",
    "OPS-12": "yes",
    "OPS-13": "no",
    "OPS-14": "partly",
    "OPS-15": "The model was retrained on 2025 data and the flag threshold raised from the top 5 % to the "
    "top 4 % of scores; caseworkers now record a reason for every investigation they open.",
    "OPS-16": "yes",
    "OPS-17": "no",
    "OPS-18": "partly",
    "OPS-19": "some_worked",
    "OPS-20": "yes",
}
# OPS-06 as bank 2026.1 asks it (how many complaints were upheld): a demo built on that bank answers it too.
OPERATION_ANSWERS_2026_1 = {"OPS-06": 3}


def _user(role: str, organisation: Organisation) -> User:
    return db.session.scalars(
        select(User).where(User.role == role, User.organisation_id == organisation.id)
    ).one()


def _answer(assessment: Assessment, answers: dict, user: User) -> None:
    """The demo's answers, those the assessment's bank asks and accepts (a demo built on an earlier bank
    version leaves the later questions open)."""
    import json

    from hria.domain import answers as answer_rules
    from hria.domain import questions
    from hria.domain.models import Answer

    bank = questions.bank_for(assessment)
    asked = {q["id"]: q for q in questions.stage_questions(bank, assessment)["questions"]}
    for question_id, value in answers.items():
        question = asked.get(question_id)
        if question is None or answer_rules.problem(question, value, bank) is not None:
            continue
        row = db.session.scalar(
            select(Answer).where(Answer.assessment_id == assessment.id, Answer.question_id == question_id)
        )
        if row is None:
            db.session.add(
                Answer(
                    assessment_id=assessment.id,
                    question_id=question_id,
                    value=json.dumps(value),
                    answered_by_id=user.id,
                )
            )
        else:
            row.value, row.answered_by_id, row.carried_from = json.dumps(value), user.id, None


def _procurement_story(welfare: System, orgs: dict) -> None:
    """The welfare system's tender, carried between the three parties to a countersigned report."""
    from hria.domain import comments, questions, reporting, risk_register, trail, workflow

    procurer, vendor, board = (
        _user("procurer", orgs["city"]),
        _user("vendor", orgs["civic"]),
        _user("oversight", orgs["board"]),
    )
    assessment = Assessment(
        system=welfare,
        stage="procurement",
        status=AssessmentStatus.DRAFT,
        language="en",
        created_by_id=procurer.id,
    )
    db.session.add(assessment)
    db.session.flush()
    questions.bank_for(assessment)
    db.session.add(Invitation(assessment=assessment, organisation=orgs["civic"], invited_by_id=procurer.id))
    with trail.acting_as(vendor.email, vendor.id):
        _answer(assessment, PROCUREMENT_VENDOR, vendor)
    with trail.acting_as(procurer.email, procurer.id):
        _answer(assessment, PROCUREMENT_BUYER, procurer)
        assessment.status = AssessmentStatus.IN_PROGRESS
        risk_register.recompute(assessment)
        workflow.apply(procurer, assessment, "submit", "Ready for the tender board.")
    with trail.acting_as(board.email, board.id):
        workflow.apply(board, assessment, "start_review")
        comments.post(
            assessment,
            board,
            "question:PRO-01",
            "The tender must ask every bidder for a human-rights "
            "due-diligence statement (§81(a)). Please add it before we approve.",
        )
        workflow.apply(
            board, assessment, "request_changes", "PRO-01: add the due-diligence statement to the tender."
        )
    with trail.acting_as(procurer.email, procurer.id):
        _answer(assessment, {"PRO-01": "yes"}, procurer)
        risk_register.recompute(assessment)
        workflow.apply(procurer, assessment, "submit", "Clause 7.3 of the tender now requires the statement.")
        report = reporting.issue(assessment, ReportKind.RISK, procurer)
    with trail.acting_as(board.email, board.id):
        workflow.apply(board, assessment, "start_review")
        workflow.apply(
            board,
            assessment,
            "approve_with_conditions",
            "Approved on condition that the pilot outputs are audited before go-live.",
        )
        reporting.countersign(report, orgs["board"], board)
    db.session.commit()


# Flags per (nationality, sex) cell in each quarter's operation data: (rows, share flagged). The first two
# quarters are alike; in the last the non-EU applicants are flagged far more often.
MONITORING_QUARTERS = (
    ("2026-01-15", "welfare-flags-2026Q1.csv", {"national": 0.12, "EU": 0.13, "non-EU": 0.14}),
    ("2026-06-15", "welfare-flags-2026Q2.csv", {"national": 0.12, "EU": 0.125, "non-EU": 0.145}),
    ("2026-11-10", "welfare-flags-2026Q4.csv", {"national": 0.12, "EU": 0.13, "non-EU": 0.24}),
)
MONITORING_ROWS = {"national": 2800, "EU": 600, "non-EU": 600}


def monitoring_outputs(rates: dict[str, float]) -> bytes:
    """A quarter's decisions without outcomes (fraud is known only years later): exact flag rates."""
    lines = ["flagged,nationality,sex"]
    for nationality, rows in MONITORING_ROWS.items():
        for sex in ("female", "male"):
            half = rows // 2
            flagged = round(half * rates[nationality])
            lines += [f"1,{nationality},{sex}"] * flagged + [f"0,{nationality},{sex}"] * (half - flagged)
    return ("\n".join(lines) + "\n").encode()


def _operation_monitoring(welfare: System, orgs: dict) -> None:
    """A year of operation: a plan fixed before the data, three decision-only audits, one change."""
    import json
    from datetime import datetime

    from fairness.plans import AuditPlan as Plan
    from hria.domain import evidence, fairness_audits, jobs, risk_register, trail, workflow
    from hria.domain.models import FairnessAudit

    procurer, board = _user("procurer", orgs["city"]), _user("oversight", orgs["board"])
    operation = Assessment(
        system=welfare,
        stage="operation",
        status=AssessmentStatus.IN_PROGRESS,
        language="en",
        created_by_id=procurer.id,
    )
    db.session.add(operation)
    db.session.flush()
    with trail.acting_as(procurer.email, procurer.id):
        _answer(operation, OPERATION_ANSWERS, procurer)
        _answer(operation, OPERATION_ANSWERS_2026_1, procurer)  # only where the bank asks it that way
        risk_register.recompute(operation)
        workflow.apply(procurer, operation, "submit", "Go-live checks done; quarterly monitoring planned.")
    with trail.acting_as(board.email, board.id):
        workflow.apply(board, operation, "start_review")
        workflow.apply(
            board, operation, "approve", "Approved for operation with quarterly monitoring audits."
        )
    plan = Plan(
        sensitive_features=["nationality", "sex"],
        metrics=["selection_rate"],
        reference={"nationality": "national"},
        min_group_size=30,
        period="each quarter of 2026",
        population="every application scored in the quarter",
    )
    with trail.acting_as(procurer.email, procurer.id):
        record = fairness_audits.fix_plan(operation, procurer, "Quarterly monitoring of flags", plan)
        record.created_at = datetime(2025, 12, 15)
    db.session.commit()
    for position, (day, filename, rates) in enumerate(MONITORING_QUARTERS):
        when = datetime.fromisoformat(day)
        stored = evidence.store_bytes(
            monitoring_outputs(rates), filename, operation, EvidencePurpose.MODEL_OUTPUTS, procurer.id
        )
        stored.uploaded_at = when
        # the second quarter's audit judged only groups of 500 rows or more: a deviation from the plan
        changes = {"min_group_size": 500} if position == 1 else {}
        audit = FairnessAudit(
            assessment=operation,
            evidence=stored,
            kind=fairness_audits.AUDIT,
            status=fairness_audits.QUEUED,
            created_by_id=procurer.id,
            created_at=when,
            plan=record,
            settings=json.dumps({"y_true": None, "y_pred": "flagged", **plan.audit_settings(), **changes}),
        )
        db.session.add(audit)
        db.session.commit()
        jobs.run(audit.id)  # at once, as the demo's other audits


def _self_certification(orgs: dict) -> None:
    """Civic Analytics self-certifies the product it sells and shares it with the city."""
    from hria.domain import questions, reporting, risk_register, trail
    from hria.domain.models import Share

    vendor = _user("vendor", orgs["civic"])
    product = System(
        name="Civic FraudSense 3",
        purpose="A fraud risk score for benefit and housing applications, sold to municipalities.",
        owner=orgs["civic"],
        vendor=orgs["civic"],
        sector="welfare",
        automated_decisions=True,
        created_by_id=vendor.id,
    )
    assessment = Assessment(
        system=product,
        stage="procurement",
        status=AssessmentStatus.IN_PROGRESS,
        language="en",
        created_by_id=vendor.id,
    )
    db.session.add_all([product, assessment])
    db.session.flush()
    questions.bank_for(assessment)
    with trail.acting_as(vendor.email, vendor.id):
        _answer(
            assessment,
            {
                **PROCUREMENT_VENDOR,
                "PRO-01": "yes",
                "PRO-11": "yes",
                "PRO-12": "yes",
                "PRO-13": "no",
                "PRO-14": "yes",
            },
            vendor,
        )
        risk_register.recompute(assessment)
        reporting.issue(assessment, ReportKind.SELF_CERTIFICATION, vendor, issuer=orgs["civic"])
        db.session.add(
            Share(assessment_id=assessment.id, organisation_id=orgs["city"].id, shared_by_id=vendor.id)
        )
    db.session.commit()


def _public_accountability(welfare: System, orgs: dict) -> None:
    """The welfare system published, two grievances from the public handled, and a consultation recorded."""
    from datetime import date, timedelta

    from hria.domain import consultations, grievances, publication, trail
    from hria.domain.models import utcnow

    procurer = _user("procurer", orgs["city"])
    scoping = next(a for a in welfare.assessments if a.stage == "scoping")
    with trail.acting_as(procurer.email, procurer.id):
        publication.publish(welfare, "Transparency page for residents, as promised to the council.")
        db.session.commit()
    flagged = grievances.submit(
        welfare,
        "My housing benefit was stopped for an investigation. I filled the forms in my own language and "
        "the caseworker said the system had flagged me. Nobody told me why.",
        "June 2026",
        "",
        "en",
    )
    late = grievances.submit(
        welfare,
        "Where can I read how the score is calculated and who checks it?",
        "",
        "",
        "en",
    )
    now = utcnow()
    flagged.received_at, late.received_at = now - timedelta(days=20), now - timedelta(days=40)
    with trail.acting_as(procurer.email, procurer.id):
        grievances.triage(
            flagged,
            procurer,
            scoping,
            "equality",
            "A resident whose forms were in another language was flagged and had payments stopped without "
            "a reason: the language of the forms may act as a proxy for nationality.",
        )
        grievances.answer(
            late,
            procurer,
            "The transparency page of the system explains how the score is used and links to the signed "
            "report; every flag is checked by a caseworker before any investigation starts.",
        )
        flagged.responded_at = flagged.received_at + timedelta(days=6)
        late.responded_at = late.received_at + timedelta(days=12)
        consultations.record(
            scoping,
            procurer,
            consultations.NewConsultation(
                category="community_group",
                held_on=date(2026, 4, 14),
                method="meeting",
                participants=23,
                what_they_said="Residents feared that applicants who write in another language would be "
                "flagged more often, and asked who they could complain to.",
                what_changed="A grievance form on the public page; the language of the forms is tested as a "
                "proxy in every fairness audit.",
            ),
        )
        db.session.commit()
