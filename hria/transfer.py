"""Moving an assessment between two HRIA instances: a JSON export signed with the organisation's key."""
from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from . import evidence, questions, register, signing_keys, trail
from .extensions import db
from .models import Answer, Assessment, Evidence, Organisation, System, User, utcnow

FORMAT = "hria-assessment-export/1"


class TransferError(ValueError):
    """An export that cannot be made or an import that is refused; the message says why."""


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def export(assessment: Assessment) -> dict:
    organisation = assessment.system.owner
    answers = [{"question_id": a.question_id, "value": json.loads(a.value), "answered_at": a.answered_at.isoformat(),
                "answered_by": a.answered_by.email if a.answered_by else None}
               for a in db.session.query(Answer).filter_by(assessment_id=assessment.id).order_by(Answer.question_id)]
    files = [{"question_id": e.question_id, "filename": e.filename, "sha256": e.sha256,
              "content": base64.b64encode(evidence.path_of(e.sha256).read_bytes()).decode()}
             for e in db.session.query(Evidence).filter_by(assessment_id=assessment.id, purpose="question")]
    system = assessment.system
    payload = {
        "format": FORMAT, "exported_at": utcnow().isoformat(), "organisation": organisation.name,
        "system": {"name": system.name, "purpose": system.purpose, "sector": system.sector,
                   "automated_decisions": system.automated_decisions,
                   "vendor": system.vendor.name if system.vendor else None},
        "assessment": {"stage": assessment.stage, "language": assessment.language, "status": assessment.status,
                       "bank_version": questions.bank_for(assessment)["version"], "answers": answers,
                       "evidence": files},
    }
    key, certificate = _key_of(organisation)
    signature = key.sign(_canonical(payload), ec.ECDSA(hashes.SHA256()))
    return {"payload": payload, "signature": {
        "algorithm": "ECDSA-P256-SHA256", "value": base64.b64encode(signature).decode(),
        "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode()}}


def _key_of(organisation: Organisation):
    signing_keys.signer_for(organisation)  # creates a development key if needed; fails clearly otherwise
    blob = signing_keys.identity_path(organisation).read_bytes()
    key, certificate, _ = pkcs12.load_key_and_certificates(blob, signing_keys.passphrase())
    return key, certificate


def verify(document: dict) -> dict:
    """The payload, if its signature verifies with a certificate issued by a root this instance trusts."""
    try:
        payload, signature = document["payload"], document["signature"]
        certificate = x509.load_pem_x509_certificate(signature["certificate"].encode())
        value = base64.b64decode(signature["value"])
    except (KeyError, TypeError, ValueError) as error:
        raise TransferError(f"This is not an HRIA export ({error}).") from None
    if payload.get("format") != FORMAT:
        raise TransferError(f"Unknown export format {payload.get('format')!r}.")
    try:
        certificate.public_key().verify(value, _canonical(payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise TransferError("The export's signature does not verify: the file was changed after it was signed.") from None
    if not _issued_by_trusted_root(certificate):
        raise TransferError("The export is signed with a certificate this instance does not trust. Add the exporting "
                            "instance's certificate authority to HRIA_TRUST_ROOTS to accept it.")
    return payload


def _issued_by_trusted_root(certificate: x509.Certificate) -> bool:
    for pem in signing_keys.trust_roots():
        root = x509.load_pem_x509_certificate(pem)
        if root.subject != certificate.issuer:
            continue
        try:
            root.public_key().verify(certificate.signature, certificate.tbs_certificate_bytes,
                                     ec.ECDSA(certificate.signature_hash_algorithm))
            return True
        except (InvalidSignature, TypeError, ValueError):
            continue
    return False


def import_assessment(document: dict, owner: Organisation, user: User | None) -> Assessment:
    payload = verify(document)
    data = payload["assessment"]
    system = System(name=payload["system"]["name"], purpose=payload["system"]["purpose"], owner_id=owner.id,
                    sector=payload["system"]["sector"], automated_decisions=payload["system"]["automated_decisions"],
                    created_by_id=user.id if user else None)
    vendor = payload["system"].get("vendor")
    if vendor:
        match = db.session.query(Organisation).filter_by(name=vendor, kind="vendor").first()
        system.vendor_id = match.id if match else None
    assessment = Assessment(system=system, stage=data["stage"], language=data["language"], status="in_progress",
                            created_by_id=user.id if user else None)
    db.session.add_all([system, assessment])
    db.session.flush()
    questions.bank_for(assessment)
    origin = f"export of {payload['organisation']}, signed {payload['exported_at'][:10]}"
    for answer in data["answers"]:
        db.session.add(Answer(assessment_id=assessment.id, question_id=answer["question_id"],
                              value=json.dumps(answer["value"], ensure_ascii=False), carried_from=origin))
    for item in data["evidence"]:
        content = base64.b64decode(item["content"])
        stored = evidence.store_bytes(content, item["filename"], assessment, "question", user.id if user else None)
        if stored.sha256 != item["sha256"]:
            raise TransferError(f"The evidence file {item['filename']} does not match its SHA-256.")
        stored.question_id = item["question_id"]
    db.session.flush()
    trail.record(db.session, "import", assessment, after={"origin": origin, "answers": len(data["answers"])})
    register.recompute(assessment)
    return assessment


def read(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TransferError(f"The file is not JSON ({error}).") from None
