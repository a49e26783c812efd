"""A buyer's procurement assessment with something behind every read rule, and a vendor's self-certification
shared with that buyer: files on each kind of question, on a remediation action and for audits, reports of
each kind, and a comment thread on every kind of target. Built on the ``world`` fixture of conftest."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from hria.domain import evidence, questions, signing_keys
from hria.domain.models import (
    Assessment,
    Comment,
    FairnessAudit,
    Finding,
    Invitation,
    Organisation,
    RemediationAction,
    Report,
    Share,
    System,
    User,
)
from hria.extensions import db

ROLES = ("admin", "procurer_a", "procurer_b", "oversight_a", "oversight_b", "vendor_a", "vendor_b")

# In the procurement stage: PRO-01 is the buyer's to answer, PRO-02 the vendor's, PRO-04 either's.
BUYER_QUESTION, VENDOR_QUESTION, EITHER_QUESTION = "PRO-01", "PRO-02", "PRO-04"


@dataclass
class Parties:
    assessment: int = 0  # City A's procurement assessment; Vendor A is invited
    system: int = 0  # the system of that assessment
    shared: int = 0  # Vendor B's self-certification, shared with City A
    evidence: dict[str, int] = field(default_factory=dict)
    reports: dict[str, int] = field(default_factory=dict)
    audits: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    comments: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)  # comment key -> its text, unique on every page


def _user(key: str, world) -> User:
    return db.session.query(User).filter_by(email=world.users[key]).one()


def _file(assessment: Assessment, name: str, purpose: str, key: str | None, uploader: User) -> int:
    item = evidence.store_bytes(
        f"{name}: content of {assessment.id}".encode(), name, assessment, purpose, uploader.id
    )
    item.question_id = key
    db.session.flush()
    return item.id


def _report(assessment: Assessment, kind: str, signer: str, folder: Path) -> int:
    pdf = f"%PDF-1.4 {kind} report of assessment {assessment.id}\n%%EOF\n".encode()
    sha = hashlib.sha256(pdf).hexdigest()
    path = folder / f"{sha}.pdf"
    path.write_bytes(pdf)
    report = Report(
        code=f"HRIA-T-{assessment.id}-{kind}",
        assessment_id=assessment.id,
        kind=kind,
        language="en",
        sha256=sha,
        path=str(path),
        signers=json.dumps([signer]),
    )
    db.session.add(report)
    db.session.flush()
    return report.id


def _comment(
    assessment: Assessment, key: str, target: str, author: User, parties: Parties, parent: int | None = None
) -> None:
    body = f"Comment {key} on {target} of assessment {assessment.id}"
    comment = Comment(
        assessment_id=assessment.id, target=target, author_id=author.id, body=body, parent_id=parent
    )
    db.session.add(comment)
    db.session.flush()
    parties.comments[key], parties.bodies[key] = comment.id, body


def build(app, world, folder: Path) -> Parties:
    p = Parties()
    folder.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        procurer, vendor_a, vendor_b = (
            _user("procurer_a", world),
            _user("vendor_a", world),
            _user("vendor_b", world),
        )
        oversight = _user("oversight_a", world)
        assessment = Assessment(
            system_id=world.systems["a"], stage="procurement", status="in_progress", language="en"
        )
        db.session.add(assessment)
        db.session.flush()
        questions.bank_for(assessment)
        db.session.add(Invitation(assessment_id=assessment.id, organisation_id=world.orgs["vendor_a"]))
        finding = Finding(
            assessment_id=assessment.id,
            right="equality",
            source="fairness_audit",
            text="Higher flag rate for non-nationals",
        )
        action = RemediationAction(
            assessment_id=assessment.id, right="equality", text="Retrain without nationality"
        )
        db.session.add_all([finding, action])
        db.session.flush()
        p.assessment, p.actions["procurement"] = assessment.id, action.id
        p.system = assessment.system_id
        p.evidence.update(
            {
                "buyer_question": _file(
                    assessment, "tender-clause.pdf", "question", BUYER_QUESTION, procurer
                ),
                "vendor_question": _file(
                    assessment, "vendor-tests.pdf", "question", VENDOR_QUESTION, vendor_a
                ),
                "either_question": _file(assessment, "complaints.pdf", "question", EITHER_QUESTION, vendor_a),
                "unknown_question": _file(assessment, "old-bank.pdf", "question", "OLD-99", procurer),
                "action": _file(assessment, "retraining.pdf", "action", f"action:{action.id}", procurer),
                "outputs": _file(assessment, "outputs.csv", "model_outputs", None, vendor_a),
            }
        )
        audit = FairnessAudit(
            assessment_id=assessment.id,
            evidence_id=p.evidence["outputs"],
            settings="{}",
            status="failed",
            error="Procurement test audit",
        )
        db.session.add(audit)
        db.session.flush()
        p.audits["procurement"] = audit.id
        for kind, signer in (("risk", "City A"), ("self-certification", "Vendor A"), ("review", "Board A")):
            p.reports[kind] = _report(assessment, kind, signer, folder)
        _comment(assessment, "buyer_thread", "assessment", procurer, p)
        _comment(assessment, "open_thread", "vendors", procurer, p)
        _comment(assessment, "buyer_question", f"question:{BUYER_QUESTION}", oversight, p)
        _comment(
            assessment,
            "buyer_question_reply",
            f"question:{BUYER_QUESTION}",
            procurer,
            p,
            parent=p.comments["buyer_question"],
        )
        _comment(assessment, "vendor_question", f"question:{VENDOR_QUESTION}", vendor_a, p)
        _comment(assessment, "finding", f"finding:{finding.id}", oversight, p)
        _comment(assessment, "action", f"action:{action.id}", procurer, p)

        product = System(
            name="Vendor B scoring product",
            purpose="Sold to cities",
            owner_id=world.orgs["vendor_b"],
            vendor_id=world.orgs["vendor_b"],
            sector="welfare",
            automated_decisions=True,
        )
        shared = Assessment(system=product, stage="procurement", status="in_progress", language="en")
        db.session.add_all([product, shared])
        db.session.flush()
        questions.bank_for(shared)
        db.session.add(Share(assessment_id=shared.id, organisation_id=world.orgs["city_a"]))
        own_action = RemediationAction(
            assessment_id=shared.id, right="equality", text="Publish the test results"
        )
        db.session.add(own_action)
        db.session.flush()
        p.shared, p.actions["shared"] = shared.id, own_action.id
        p.evidence.update(
            {
                "shared_question": _file(shared, "b-policy.pdf", "question", BUYER_QUESTION, vendor_b),
                "shared_action": _file(
                    shared, "b-publication.pdf", "action", f"action:{own_action.id}", vendor_b
                ),
                "shared_outputs": _file(shared, "b-outputs.csv", "model_outputs", None, vendor_b),
            }
        )
        shared_audit = FairnessAudit(
            assessment_id=shared.id,
            evidence_id=p.evidence["shared_outputs"],
            settings="{}",
            status="failed",
            error="Self-certification test audit",
        )
        db.session.add(shared_audit)
        db.session.flush()
        p.audits["shared"] = shared_audit.id
        p.reports["shared"] = _report(shared, "self-certification", "Vendor B", folder)
        _comment(shared, "shared_thread", "assessment", vendor_b, p)
        _comment(shared, "shared_question", f"question:{BUYER_QUESTION}", vendor_b, p)
        db.session.commit()
        signing_keys.init_keys(db.session.query(Organisation).all())  # for the signed JSON export
    return p
