"""Moving an assessment between two HRIA instances: a JSON export signed with the organisation's key."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy.exc import IntegrityError

from hria.domain import answers, evidence, questions, risk_register, signing_keys, trail
from hria.domain.models import (
    PURPOSE_MAX_LENGTH,
    Answer,
    Assessment,
    Evidence,
    Organisation,
    System,
    User,
    utcnow,
)
from hria.domain.vocabulary import (
    LANGUAGES,
    LIFECYCLE_STAGES,
    SECTORS,
    AssessmentStatus,
    EvidencePurpose,
    OrganisationKind,
)
from hria.extensions import db
from reports import keys

FORMAT = "hria-assessment-export/1"
# An export nests six levels deep (document, payload, assessment, answers, an answer, a list of options); the
# bound keeps a crafted file from exhausting the stack of whatever walks it.
MAX_DEPTH = 32
# A float's range needs 309 digits, and no field of an export holds a longer integer. (Python itself refuses
# to read more than 4,300 digits, with advice about its own settings.)
MAX_DIGITS = 400


def _length(column) -> int:
    """The size of a String column."""
    length = getattr(column.type, "length", None)
    assert isinstance(length, int), f"{column} has no fixed size"
    return length


# Names are stored in columns of a fixed size.
_NAME_MAX = _length(System.__table__.c.name)
_VENDOR_MAX = _length(Organisation.__table__.c.name)
_FILENAME_MAX = _length(Evidence.__table__.c.filename)
_STATUSES = tuple(status.value for status in AssessmentStatus)


class TransferError(ValueError):
    """An export that cannot be made or an import that is refused; the message says why."""


class MalformedExport(TransferError):
    """A file that is not a well-formed export: not JSON, or a payload whose fields are missing or of the
    wrong kind. Signed or not, nothing of it is imported."""


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def export(assessment: Assessment) -> dict:
    organisation = assessment.system.owner
    answers = [
        {
            "question_id": a.question_id,
            "value": json.loads(a.value),
            "answered_at": a.answered_at.isoformat(),
            "answered_by": a.answered_by.email if a.answered_by else None,
        }
        for a in db.session.query(Answer).filter_by(assessment_id=assessment.id).order_by(Answer.question_id)
    ]
    files = [
        {
            "question_id": e.question_id,
            "filename": e.filename,
            "sha256": e.sha256,
            "content": base64.b64encode(evidence.read_bytes(e.sha256)).decode(),
        }
        for e in db.session.query(Evidence).filter_by(
            assessment_id=assessment.id, purpose=EvidencePurpose.QUESTION
        )
    ]
    system = assessment.system
    payload = {
        "format": FORMAT,
        "export_id": uuid.uuid4().hex,
        "exported_at": utcnow().isoformat(),
        "organisation": organisation.name,
        "system": {
            "name": system.name,
            "purpose": system.purpose,
            "sector": system.sector,
            "automated_decisions": system.automated_decisions,
            "vendor": system.vendor.name if system.vendor else None,
        },
        "assessment": {
            "stage": assessment.stage,
            "language": assessment.language,
            "status": assessment.status,
            "bank_version": questions.bank_for(assessment)["version"],
            "answers": answers,
            "evidence": files,
        },
    }
    return sign(payload, organisation)


def sign(payload: dict, organisation: Organisation) -> dict:
    """The export document: ``payload`` with a signature by ``organisation``'s key and its certificate."""
    key, certificate = _key_of(organisation)
    signature = key.sign(_canonical(payload), ec.ECDSA(hashes.SHA256()))
    return {
        "payload": payload,
        "signature": {
            "algorithm": "ECDSA-P256-SHA256",
            "value": base64.b64encode(signature).decode(),
            "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(),
        },
    }


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
        public_key = certificate.public_key()
        value = base64.b64decode(signature["value"])
    except (KeyError, TypeError, ValueError, AttributeError, UnsupportedAlgorithm) as error:
        raise MalformedExport(
            f"This is not an HRIA export: it needs a payload and a signature with a PEM "
            f"certificate ({error})."
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise MalformedExport(
            f"Unknown export format {payload.get('format') if isinstance(payload, dict) else None!r};"
            f" this instance reads {FORMAT}."
        )
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise TransferError(
            f"The export's signature does not verify: its certificate holds {_kind_of(public_key)} "
            f"key, and HRIA signs exports with ECDSA P-256 keys."
        )
    try:
        public_key.verify(value, _canonical(payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise TransferError(
            "The export's signature does not verify: the file was changed after it was signed."
        ) from None
    if not _issued_by_trusted_root(certificate):
        raise TransferError(
            "The export is signed with a certificate this instance does not trust. Add the exporting "
            "instance's certificate authority to HRIA_TRUST_ROOTS to accept it."
        )
    _check_signer_is_claimed_organisation(certificate, payload.get("organisation"))
    return payload


_KEY_KINDS = (
    (rsa.RSAPublicKey, "an RSA"),
    (ed25519.Ed25519PublicKey, "an Ed25519"),
    (ed448.Ed448PublicKey, "an Ed448"),
    (dsa.DSAPublicKey, "a DSA"),
)


def _kind_of(public_key) -> str:
    return next((name for kind, name in _KEY_KINDS if isinstance(public_key, kind)), "another kind of")


def _check_signer_is_claimed_organisation(certificate: x509.Certificate, claimed) -> None:
    """The certificate must be the claimed organisation's: by the key store where this instance registered it
    (certificate names are cut to 64 characters), else by the full name the certificate carries."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    holder_id = signing_keys.registered_certificates().get(keys.fingerprint(der))
    holder = db.session.get_one(Organisation, holder_id).name if holder_id is not None else None
    signer = holder or keys.organisation_named_in(certificate)
    if signer != claimed:
        raise TransferError(
            f"The export says it comes from {claimed}, but it is signed with the certificate of "
            f"{signer or 'an unnamed organisation'}. Ask {claimed} for an export signed with its own "
            f"key."
        )


def _issued_by_trusted_root(certificate: x509.Certificate) -> bool:
    for pem in signing_keys.trust_roots():
        root = x509.load_pem_x509_certificate(pem)
        try:
            certificate.verify_directly_issued_by(root)
            return True
        except (InvalidSignature, TypeError, ValueError, UnsupportedAlgorithm):
            continue
    return False


def export_id(payload: dict) -> str:
    """The export's own id; exports made before it had one are known by the hash of what was signed."""
    given = payload.get("export_id")
    return (
        given
        if isinstance(given, str) and 0 < len(given) <= 64
        else hashlib.sha256(_canonical(payload)).hexdigest()
    )


def _already_imported(payload: dict) -> None:
    earlier = db.session.query(Assessment).filter_by(source_export_id=export_id(payload)).first()
    if earlier is not None:
        raise TransferError(
            f"This export ({export_id(payload)}) was already imported as assessment {earlier.id} "
            f"({earlier.system.name}, owned by {earlier.system.owner.name}); nothing was imported "
            f"again."
        )


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
    system = System(
        name=payload["system"]["name"],
        purpose=payload["system"]["purpose"],
        owner_id=owner.id,
        sector=payload["system"]["sector"],
        automated_decisions=payload["system"]["automated_decisions"],
        created_by_id=user.id if user else None,
    )
    vendor = payload["system"].get("vendor")
    if vendor:
        match = db.session.query(Organisation).filter_by(name=vendor, kind=OrganisationKind.VENDOR).first()
        system.vendor_id = match.id if match else None
    assessment = Assessment(
        system=system,
        stage=data["stage"],
        language=data["language"],
        status=AssessmentStatus.IN_PROGRESS,
        created_by_id=user.id if user else None,
        source_export_id=export_id(payload),
    )
    db.session.add_all([system, assessment])
    db.session.flush()
    questions.bank_for(assessment)
    origin = f"export of {payload['organisation']}, signed {payload['exported_at'][:10]}"
    for answer in data["answers"]:
        db.session.add(
            Answer(
                assessment_id=assessment.id,
                question_id=answer["question_id"],
                value=json.dumps(answer["value"], ensure_ascii=False),
                carried_from=origin,
            )
        )
    for i, item in enumerate(data["evidence"]):
        content = base64.b64decode(item["content"])
        try:
            stored = evidence.store_bytes(
                content, item["filename"], assessment, EvidencePurpose.QUESTION, user.id if user else None
            )
        except (
            evidence.UploadError
        ) as error:  # check_payload knows today's rules; this keeps tomorrow's one line
            raise MalformedExport(f"assessment.evidence[{i}] cannot be kept: {error}") from None
        stored.question_id = item.get("question_id")
    db.session.flush()
    trail.record(db.session, "import", assessment, after={"origin": origin, "answers": len(data["answers"])})
    risk_register.recompute(assessment)
    return assessment


def check_payload(payload: dict) -> None:
    """Every field the import reads, present, of the right kind and within what the web forms accept (answers
    by the same rule, names within their columns), or MalformedExport naming the first that is not."""
    system = _field(payload, "system", dict, "payload")
    _field(system, "name", str, "system", blank_ok=False, max_length=_NAME_MAX)
    _field(system, "purpose", str, "system", max_length=PURPOSE_MAX_LENGTH)
    if _field(system, "sector", str, "system") not in SECTORS:
        raise MalformedExport(
            f"system.sector {system['sector'][:40]!r} is not a sector ({', '.join(SECTORS.keys)})."
        )
    _field(system, "automated_decisions", bool, "system")
    if system.get("vendor") is not None:
        _field(system, "vendor", str, "system", max_length=_VENDOR_MAX)
    _field(payload, "organisation", str, "payload", blank_ok=False)
    _field(payload, "exported_at", str, "payload")
    data = _field(payload, "assessment", dict, "payload")
    stage = _field(data, "stage", str, "assessment")
    if stage not in LIFECYCLE_STAGES or stage not in questions.current_bank()["stages"]:
        raise MalformedExport(
            f"assessment.stage {stage[:40]!r} is not a lifecycle stage ({', '.join(LIFECYCLE_STAGES.keys)})."
        )
    if _field(data, "language", str, "assessment") not in LANGUAGES:
        raise MalformedExport(
            f"assessment.language {data['language'][:40]!r} is not one of {', '.join(LANGUAGES.keys)}."
        )
    # not read (an import starts in progress), but a status this instance does not know is no HRIA export
    if "status" in data and _field(data, "status", str, "assessment") not in _STATUSES:
        raise MalformedExport(
            f"assessment.status {data['status'][:40]!r} is not a status ({', '.join(_STATUSES)})."
        )
    bank = questions.current_bank()
    stage_questions = {q["id"]: q for q in bank["stages"][stage]["questions"]}
    _check_answers(_field(data, "answers", list, "assessment"), stage_questions, bank, stage)
    for i, item in enumerate(_field(data, "evidence", list, "assessment")):
        where = f"assessment.evidence[{i}]"
        if not isinstance(item, dict):
            raise MalformedExport(f"{where} must be an object.")
        if item.get("question_id") is not None:
            _question(item, where, stage_questions, stage)
        _field(item, "filename", str, where, blank_ok=False, max_length=_FILENAME_MAX)
        _field(item, "sha256", str, where)
        _check_content(item, where)


def _check_answers(entries: list, stage_questions: dict[str, dict], bank: dict, stage: str) -> None:
    """One answer per question, each a value the questionnaire form could have saved."""
    first_at: dict[str, int] = {}
    for i, answer in enumerate(entries):
        where = f"assessment.answers[{i}]"
        question_id = _question(answer, where, stage_questions, stage)
        if question_id in first_at:
            raise MalformedExport(
                f"{where}.question_id {question_id!r} is answered twice (also in "
                f"answers[{first_at[question_id]}])."
            )
        first_at[question_id] = i
        if "value" not in answer:
            raise MalformedExport(f"{where}.value for {question_id} is missing.")
        problem = answers.problem(stage_questions[question_id], answer["value"], bank)
        if problem:
            raise MalformedExport(f"{where}.value for {question_id} {problem}")


def _check_content(item: dict, where: str) -> None:
    """The file is base64, not empty, and is the file its SHA-256 names: checked before anything is stored."""
    try:
        content = base64.b64decode(_field(item, "content", str, where), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedExport(f"{where}.content is not base64.") from None
    if not content:
        raise MalformedExport(f"{where}.content is empty: an evidence file holds at least one byte.")
    if hashlib.sha256(content).hexdigest() != item["sha256"]:
        raise MalformedExport(f"{where}.content does not match its sha256 ({item['sha256'][:16]}…).")


_KINDS = {dict: "an object", str: "a text", list: "a list", bool: "true or false"}


def _field(
    container: dict, name: str, kind: type, where: str, blank_ok: bool = True, max_length: int | None = None
):
    value = container.get(name) if isinstance(container, dict) else None
    if not isinstance(value, kind):
        found = "missing" if value is None else f"{type(value).__name__} {str(value)[:40]!r}"
        raise MalformedExport(f"{where}.{name} must be {_KINDS[kind]}, not {found}.")
    if isinstance(value, str):
        if not blank_ok and not value.strip():
            raise MalformedExport(f"{where}.{name} must not be empty.")
        if max_length is not None and len(value) > max_length:
            raise MalformedExport(
                f"{where}.{name} must be at most {max_length:,} characters, not {len(value):,}."
            )
        if "\x00" in value:  # PostgreSQL cannot store it in a text column
            raise MalformedExport(f"{where}.{name} holds a NUL character.")
    return value


def _question(entry, where: str, known, stage: str) -> str:
    if not isinstance(entry, dict):
        raise MalformedExport(f"{where} must be an object.")
    question_id = _field(entry, "question_id", str, where)
    if question_id not in known:
        raise MalformedExport(
            f"{where}.question_id {question_id[:40]!r} is not a question of the {stage} stage in "
            f"this instance's question bank."
        )
    return question_id


def read(path: Path) -> dict:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"), parse_int=_bounded_int)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedExport(f"The file is not JSON ({error}).") from None
    except RecursionError:
        raise MalformedExport(_TOO_DEEP) from None
    _check_depth(document)
    if not isinstance(document, dict):
        raise MalformedExport("The file is JSON but not an HRIA export: it needs a payload and a signature.")
    return document


_TOO_DEEP = f"The file nests lists or objects more than {MAX_DEPTH} levels deep; an export nests 6 at most."


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise MalformedExport(
            f"The file holds a number of {len(digits.lstrip('-'))} digits; an export's numbers "
            f"have at most {MAX_DIGITS}."
        )
    return int(digits)


def _check_depth(document) -> None:
    """Walked without recursion: json.loads manages a few hundred levels that code after it may not."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise MalformedExport(_TOO_DEEP)
            pending.extend(
                (inner, depth + 1) for inner in (value.values() if isinstance(value, dict) else value)
            )
