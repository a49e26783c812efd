"""Moving an assessment between two HRIA instances: a JSON export signed with the organisation's key."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy.exc import IntegrityError

from reports import keys

from hria.domain import evidence, questions, risk_register, signing_keys, trail
from hria.extensions import db
from hria.domain.models import Answer, Assessment, Evidence, Organisation, System, User, utcnow
from hria.domain.vocabulary import AssessmentStatus, LANGUAGES, LIFECYCLE_STAGES, OrganisationKind, SECTORS
from hria.domain.vocabulary import EvidencePurpose

FORMAT = "hria-assessment-export/1"


class TransferError(ValueError):
    """An export that cannot be made or an import that is refused; the message says why."""


class MalformedExport(TransferError):
    """A file that is not a well-formed export: not JSON, or a payload whose fields are missing or of the wrong
    kind. Signed or not, nothing of it is imported."""


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def export(assessment: Assessment) -> dict:
    organisation = assessment.system.owner
    answers = [{"question_id": a.question_id, "value": json.loads(a.value), "answered_at": a.answered_at.isoformat(),
                "answered_by": a.answered_by.email if a.answered_by else None}
               for a in db.session.query(Answer).filter_by(assessment_id=assessment.id).order_by(Answer.question_id)]
    files = [{"question_id": e.question_id, "filename": e.filename, "sha256": e.sha256,
              "content": base64.b64encode(evidence.path_of(e.sha256).read_bytes()).decode()}
             for e in db.session.query(Evidence).filter_by(assessment_id=assessment.id, purpose=EvidencePurpose.QUESTION)]
    system = assessment.system
    payload = {
        "format": FORMAT, "export_id": uuid.uuid4().hex, "exported_at": utcnow().isoformat(),
        "organisation": organisation.name,
        "system": {"name": system.name, "purpose": system.purpose, "sector": system.sector,
                   "automated_decisions": system.automated_decisions,
                   "vendor": system.vendor.name if system.vendor else None},
        "assessment": {"stage": assessment.stage, "language": assessment.language, "status": assessment.status,
                       "bank_version": questions.bank_for(assessment)["version"], "answers": answers,
                       "evidence": files},
    }
    return sign(payload, organisation)


def sign(payload: dict, organisation: Organisation) -> dict:
    """The export document: ``payload`` with a signature by ``organisation``'s key and its certificate."""
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
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise MalformedExport(f"This is not an HRIA export: it needs a payload and a signature with a PEM "
                              f"certificate ({error}).") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise MalformedExport(f"Unknown export format {payload.get('format') if isinstance(payload, dict) else None!r};"
                              f" this instance reads {FORMAT}.")
    try:
        certificate.public_key().verify(value, _canonical(payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise TransferError("The export's signature does not verify: the file was changed after it was signed.") from None
    if not _issued_by_trusted_root(certificate):
        raise TransferError("The export is signed with a certificate this instance does not trust. Add the exporting "
                            "instance's certificate authority to HRIA_TRUST_ROOTS to accept it.")
    _check_signer_is_claimed_organisation(certificate, payload.get("organisation"))
    return payload


def _check_signer_is_claimed_organisation(certificate: x509.Certificate, claimed) -> None:
    """The certificate must be the claimed organisation's: by the key store where this instance registered it
    (certificate names are cut to 64 characters), else by the full name the certificate carries."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    holder_id = signing_keys.registered_certificates().get(keys.fingerprint(der))
    holder = db.session.get(Organisation, holder_id).name if holder_id is not None else None
    signer = holder or keys.organisation_named_in(certificate)
    if signer != claimed:
        raise TransferError(f"The export says it comes from {claimed}, but it is signed with the certificate of "
                            f"{signer or 'an unnamed organisation'}. Ask {claimed} for an export signed with its own "
                            f"key.")


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


def export_id(payload: dict) -> str:
    """The export's own id; exports made before it had one are known by the hash of what was signed."""
    given = payload.get("export_id")
    return given if isinstance(given, str) and 0 < len(given) <= 64 else hashlib.sha256(_canonical(payload)).hexdigest()


def _already_imported(payload: dict) -> None:
    earlier = db.session.query(Assessment).filter_by(source_export_id=export_id(payload)).first()
    if earlier is not None:
        raise TransferError(f"This export ({export_id(payload)}) was already imported as assessment {earlier.id} "
                            f"({earlier.system.name}, owned by {earlier.system.owner.name}); nothing was imported "
                            f"again.")


def import_assessment(document: dict, owner: Organisation, user: User | None) -> Assessment:
    """A new assessment from a verified export. Refused (TransferError) if the signature, the signer or the
    trust fails, or if the export was imported before; MalformedExport if its payload is not well formed."""
    payload = verify(document)
    check_payload(payload)
    _already_imported(payload)
    try:
        return _create(payload, owner, user)
    except IntegrityError:
        # another import of the same export committed first
        db.session.rollback()
        _already_imported(payload)
        raise


def _create(payload: dict, owner: Organisation, user: User | None) -> Assessment:
    data = payload["assessment"]
    system = System(name=payload["system"]["name"], purpose=payload["system"]["purpose"], owner_id=owner.id,
                    sector=payload["system"]["sector"], automated_decisions=payload["system"]["automated_decisions"],
                    created_by_id=user.id if user else None)
    vendor = payload["system"].get("vendor")
    if vendor:
        match = db.session.query(Organisation).filter_by(name=vendor, kind=OrganisationKind.VENDOR).first()
        system.vendor_id = match.id if match else None
    assessment = Assessment(system=system, stage=data["stage"], language=data["language"], status=AssessmentStatus.IN_PROGRESS,
                            created_by_id=user.id if user else None, source_export_id=export_id(payload))
    db.session.add_all([system, assessment])
    db.session.flush()
    questions.bank_for(assessment)
    origin = f"export of {payload['organisation']}, signed {payload['exported_at'][:10]}"
    for answer in data["answers"]:
        db.session.add(Answer(assessment_id=assessment.id, question_id=answer["question_id"],
                              value=json.dumps(answer["value"], ensure_ascii=False), carried_from=origin))
    for item in data["evidence"]:
        content = base64.b64decode(item["content"])
        stored = evidence.store_bytes(content, item["filename"], assessment, EvidencePurpose.QUESTION, user.id if user else None)
        if stored.sha256 != item["sha256"]:
            raise TransferError(f"The evidence file {item['filename']} does not match its SHA-256.")
        stored.question_id = item["question_id"]
    db.session.flush()
    trail.record(db.session, "import", assessment, after={"origin": origin, "answers": len(data["answers"])})
    risk_register.recompute(assessment)
    return assessment


def check_payload(payload: dict) -> None:
    """Every field the import reads, present and of the right kind, or MalformedExport naming the first that is not."""
    system = _field(payload, "system", dict, "payload")
    _field(system, "name", str, "system", blank_ok=False)
    _field(system, "purpose", str, "system")
    if _field(system, "sector", str, "system") not in SECTORS:
        raise MalformedExport(f"system.sector {system['sector']!r} is not a sector ({', '.join(SECTORS.keys)}).")
    _field(system, "automated_decisions", bool, "system")
    if system.get("vendor") is not None:
        _field(system, "vendor", str, "system")
    _field(payload, "organisation", str, "payload", blank_ok=False)
    _field(payload, "exported_at", str, "payload")
    data = _field(payload, "assessment", dict, "payload")
    stage = _field(data, "stage", str, "assessment")
    if stage not in LIFECYCLE_STAGES or stage not in questions.current_bank()["stages"]:
        raise MalformedExport(f"assessment.stage {stage!r} is not a lifecycle stage "
                              f"({', '.join(LIFECYCLE_STAGES.keys)}).")
    if _field(data, "language", str, "assessment") not in LANGUAGES:
        raise MalformedExport(f"assessment.language {data['language']!r} is not one of {', '.join(LANGUAGES.keys)}.")
    known = {q["id"] for q in questions.current_bank()["stages"][stage]["questions"]}
    for i, answer in enumerate(_field(data, "answers", list, "assessment")):
        _question(answer, f"assessment.answers[{i}]", known, stage)
        if isinstance(answer.get("value", None), dict) or "value" not in answer:
            raise MalformedExport(f"assessment.answers[{i}].value must be a text, a number, yes/no or a list.")
    for i, item in enumerate(_field(data, "evidence", list, "assessment")):
        where = f"assessment.evidence[{i}]"
        if not isinstance(item, dict):
            raise MalformedExport(f"{where} must be an object.")
        if item.get("question_id") is not None:
            _question(item, where, known, stage)
        for name in ("filename", "sha256", "content"):
            _field(item, name, str, where)
        try:
            base64.b64decode(item["content"], validate=True)
        except (binascii.Error, ValueError):
            raise MalformedExport(f"{where}.content is not base64.") from None


_KINDS = {dict: "an object", str: "a text", list: "a list", bool: "true or false"}


def _field(container: dict, name: str, kind: type, where: str, blank_ok: bool = True):
    value = container.get(name) if isinstance(container, dict) else None
    if not isinstance(value, kind) or (kind is str and not blank_ok and not value.strip()):
        found = "missing" if value is None else f"{type(value).__name__} {str(value)[:40]!r}"
        raise MalformedExport(f"{where}.{name} must be {_KINDS[kind]}, not {found}.")
    return value


def _question(entry, where: str, known: set[str], stage: str) -> None:
    if not isinstance(entry, dict):
        raise MalformedExport(f"{where} must be an object.")
    question_id = _field(entry, "question_id", str, where)
    if question_id not in known:
        raise MalformedExport(f"{where}.question_id {question_id!r} is not a question of the {stage} stage in this "
                              f"instance's question bank.")


def read(path: Path) -> dict:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedExport(f"The file is not JSON ({error}).") from None
    if not isinstance(document, dict):
        raise MalformedExport("The file is JSON but not an HRIA export: it needs a payload and a signature.")
    return document
