"""A signed JSON export moves an assessment between two instances; a tampered or untrusted one is refused."""

import base64
import copy
import datetime
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import csrf_token, post_form
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from test_wizard import SCOPING, save_section

from hria import create_app, database
from hria.cli import main
from hria.domain import signing_keys
from hria.domain.accounts import create_organisation
from hria.domain.models import Answer, Assessment, Organisation
from hria.extensions import db


@pytest.fixture
def other_instance(tmp_path, monkeypatch):
    """A second instance, with its own database and keys."""

    def make(trust_roots):
        monkeypatch.setenv("HRIA_INSTANCE_PATH", str(tmp_path / "other"))
        app = create_app({"TESTING": True, "TRUST_ROOTS": trust_roots})
        database.upgrade(app)
        with app.app_context():
            if not db.session.query(Organisation).count():
                create_organisation("City of Elsewhere", "buyer")
                db.session.commit()
            signing_keys.init_keys(db.session.query(Organisation).all())
        return app

    return make


def test_export_import_between_instances(app, client, world, auth, tmp_path, other_instance, monkeypatch):
    auth.login(world.users["procurer_a"])
    for section, answers in SCOPING.items():
        save_section(client, world.assessments["a"], section, answers)
    with app.app_context():
        signing_keys.init_keys(db.session.query(Organisation).all())
    export_path = tmp_path / "export.json"
    exported = CliRunner().invoke(main, ["export", str(world.assessments["a"]), "-o", str(export_path)])
    assert exported.exit_code == 0, exported.output
    with app.app_context():
        ca = str(signing_keys.authority_path())

    tampered = json.loads(export_path.read_text())
    tampered["payload"]["assessment"]["answers"][0]["value"] = "no"
    tampered_path = tmp_path / "tampered.json"
    tampered_path.write_text(json.dumps(tampered))

    other_instance([])
    refused = CliRunner().invoke(main, ["import", str(export_path), "--organisation", "City of Elsewhere"])
    assert refused.exit_code == 1 and "does not trust" in refused.output

    trusting = other_instance([ca])
    with trusting.app_context():
        from hria.domain import transfer

        with pytest.raises(transfer.TransferError, match="the file was changed after it was signed"):
            transfer.verify(json.loads(tampered_path.read_text()))
        owner = db.session.query(Organisation).filter_by(name="City of Elsewhere").one()
        assessment = transfer.import_assessment(json.loads(export_path.read_text()), owner, None)
        db.session.commit()
        answers = {
            a.question_id: (json.loads(a.value), a.carried_from)
            for a in db.session.query(Answer).filter_by(assessment_id=assessment.id)
        }
        assert answers["SCO-03"][0] == "triage"
        assert answers["SCO-03"][1].startswith("export of City A, signed")
        assert len(answers) == 23 and assessment.impact_level == "II"


def test_web_export_for_the_buyer_only(app, client, world, auth):
    with app.app_context():
        signing_keys.init_keys(db.session.query(Organisation).all())
    auth.login(world.users["procurer_a"])
    page = f"/assessments/{world.assessments['a']}"
    assert client.get(f"{page}/export.json").status_code == 405  # a GET never signs anything
    response = post_form(client, page, f"{page}/export.json", {})
    assert response.status_code == 200 and response.get_json()["payload"]["organisation"] == "City A"
    auth.logout()
    auth.login(world.users["oversight_a"])
    token = csrf_token(client.get(page).get_data(as_text=True))
    assert client.post(f"{page}/export.json", data={"csrf_token": token}).status_code == 403


@pytest.fixture
def exported(app, client, world, auth, tmp_path):
    """City A's signed export of its scoping assessment, the path of its instance's CA, and a way to sign any
    payload with the key of any organisation of that instance (all of them trusted by the same CA)."""
    auth.login(world.users["procurer_a"])
    for section, answers in SCOPING.items():
        save_section(client, world.assessments["a"], section, answers)
    with app.app_context():
        signing_keys.init_keys(db.session.query(Organisation).all())
        ca = str(signing_keys.authority_path())
    path = tmp_path / "export.json"
    result = CliRunner().invoke(main, ["export", str(world.assessments["a"]), "-o", str(path)])
    assert result.exit_code == 0, result.output

    def signed_by(organisation: str, payload: dict, name: str) -> Path:
        with app.app_context():
            org = db.session.query(Organisation).filter_by(name=organisation).one()
            blob = signing_keys.identity_path(org).read_bytes()
            key, certificate, _ = pkcs12.load_key_and_certificates(blob, signing_keys.passphrase())
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        document = {
            "payload": payload,
            "signature": {
                "algorithm": "ECDSA-P256-SHA256",
                "value": base64.b64encode(key.sign(canonical, ec.ECDSA(hashes.SHA256()))).decode(),
                "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(),
            },
        }
        target = tmp_path / name
        target.write_text(json.dumps(document))
        return target

    return path, ca, signed_by


def import_(path, organisation="City of Elsewhere"):
    return CliRunner().invoke(main, ["import", str(path), "--organisation", organisation])


def assessments_in(app_or_instance) -> int:
    with app_or_instance.app_context():
        return db.session.query(Assessment).count()


def test_export_signed_by_another_trusted_organisation_is_refused(app, exported, other_instance, monkeypatch):
    path, ca, signed_by = exported
    payload = json.loads(path.read_text())["payload"]
    forged = signed_by(
        "City B", payload, "forged.json"
    )  # City B's key is trusted, but the payload claims City A
    with app.app_context():  # the exporting instance itself knows City B's certificate from its key store
        from hria.domain import transfer

        with pytest.raises(
            transfer.TransferError,
            match="says it comes from City A, but it is signed with the certificate of City B",
        ):
            transfer.verify(json.loads(forged.read_text()))
    other = other_instance([ca])
    monkeypatch.setenv("HRIA_TRUST_ROOTS", json.dumps([ca]))
    refused = import_(forged)
    assert refused.exit_code == 1, refused.output
    assert (
        "The export says it comes from City A, but it is signed with the certificate of City B."
        in refused.output
    )
    assert assessments_in(other) == 0
    accepted = import_(path)
    assert accepted.exit_code == 0, accepted.output


def test_an_export_imports_once(app, exported, other_instance, monkeypatch):
    path, ca, _ = exported
    other = other_instance([ca])
    monkeypatch.setenv("HRIA_TRUST_ROOTS", json.dumps([ca]))
    first = import_(path)
    assert first.exit_code == 0, first.output
    imported_id = int(first.output.split("Imported as assessment ")[1].split()[0])
    second = import_(path)
    assert second.exit_code == 1, second.output
    assert assessments_in(other) == 1
    export_id = json.loads(path.read_text())["payload"]["export_id"]
    assert (
        f"This export ({export_id}) was already imported as assessment {imported_id} (Benefit scoring A, "
        f"owned by "
        f"City of Elsewhere); nothing was imported again."
    ) in second.output
    with other.app_context():
        assert db.session.get(Assessment, imported_id).source_export_id == export_id


def _without(payload, *keys):
    out = copy.deepcopy(payload)
    container = out
    for key in keys[:-1]:
        container = container[key]
    del container[keys[-1]]
    return out


def _with(payload, value, *keys):
    out = copy.deepcopy(payload)
    container = out
    for key in keys[:-1]:
        container = container[key]
    container[keys[-1]] = value
    return out


MALFORMED = {
    "assessment missing": (
        lambda p: _without(p, "assessment"),
        "payload.assessment must be an object, not missing.",
    ),
    "unknown stage": (
        lambda p: _with(p, "launch", "assessment", "stage"),
        "assessment.stage 'launch' is not a lifecycle stage",
    ),
    "unknown question": (
        lambda p: _with(p, "SCO-99", "assessment", "answers", 0, "question_id"),
        "assessment.answers[0].question_id 'SCO-99' is not a question of the scoping stage",
    ),
    "answers not a list": (
        lambda p: _with(p, "yes", "assessment", "answers"),
        "assessment.answers must be a list, not str 'yes'.",
    ),
    "flag not a boolean": (
        lambda p: _with(p, "yes", "system", "automated_decisions"),
        "system.automated_decisions must be true or false, not str 'yes'.",
    ),
    "answer not an object": (
        lambda p: _with(p, 3, "assessment", "answers", 0),
        "assessment.answers[0] must be an object.",
    ),
    "system a list": (lambda p: _with(p, [], "system"), "payload.system must be an object, not list '[]'."),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_payload_signed_by_a_trusted_key_exits_2_with_one_line(
    app, exported, other_instance, monkeypatch, case
):
    path, ca, signed_by = exported
    make, message = MALFORMED[case]
    broken = signed_by("City A", make(json.loads(path.read_text())["payload"]), "broken.json")
    other = other_instance([ca])
    monkeypatch.setenv("HRIA_TRUST_ROOTS", json.dumps([ca]))
    result = import_(broken)
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.output.startswith(f"Error: {message}") and result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output
    assert assessments_in(other) == 0


def test_a_file_that_is_not_an_export_exits_2(app, tmp_path, other_instance):
    other_instance([])
    for name, content in (("not-json.json", "{oops"), ("list.json", "[1, 2]"), ("empty-object.json", "{}")):
        target = tmp_path / name
        target.write_text(content)
        result = import_(target)
        assert result.exit_code == 2, (name, result.output)
        assert result.output.startswith("Error: ") and result.output.count("\n") == 1, (name, result.output)


def _answer(payload, question_id, value):
    """The payload with the answer to ``question_id`` set to ``value`` (added when it was not answered)."""
    out = copy.deepcopy(payload)
    answers = out["assessment"]["answers"]
    entry = next((a for a in answers if a["question_id"] == question_id), None)
    if entry is None:
        answers.append({"question_id": question_id, "value": value})
    else:
        entry["value"] = value
    return out


def _position(payload, question_id) -> int:
    return [a["question_id"] for a in payload["assessment"]["answers"]].index(question_id)


def _file(payload, **item):
    """The payload with one evidence file for SCO-16 (the scoping stage's evidence question)."""
    content = b"minutes of the proportionality review\n"
    entry = {
        "question_id": "SCO-16",
        "filename": "review.txt",
        "sha256": hashlib.sha256(content).hexdigest(),
        "content": base64.b64encode(content).decode(),
        **item,
    }
    return _with(payload, [entry], "assessment", "evidence")


# Imported answers follow the rules of the questionnaire form: the question's choices, finite numbers of 0 or
# more, texts of at most 10,000 characters; names fit their columns. Each refusal names the field and the
# question.
MALFORMED_CONTENT = {
    "answered twice": (
        lambda p: _with(
            p,
            p["assessment"]["answers"] + [{"question_id": "SCO-02", "value": "no"}],
            "assessment",
            "answers",
        ),
        "assessment.answers[23].question_id 'SCO-02' is answered twice (also in answers[1]).",
    ),
    "list of objects": (
        lambda p: _answer(p, "SCO-07", [{"a": 1}]),
        "assessment.answers[6].value for SCO-07 must be a list of different options among "
        "women_girls, children_youth, disability, older, migrants_minorities, low_income, not list ",
    ),
    "option twice": (
        lambda p: _answer(p, "SCO-07", ["older", "older"]),
        "assessment.answers[6].value for SCO-07 must be a list of different options among ",
    ),
    "unknown option": (
        lambda p: _answer(p, "SCO-03", "sometimes"),
        "assessment.answers[2].value for SCO-03 must be one of none, advice, triage, automatic, not "
        "str 'sometimes'.",
    ),
    "not a yes/no value": (
        lambda p: _answer(p, "SCO-02", "definitely"),
        "assessment.answers[1].value for SCO-02 must be one of yes, partly, no, not_applicable, "
        "not str 'definitely'.",
    ),
    "NaN": (
        lambda p: _answer(p, "SCO-06", float("nan")),
        "assessment.answers[5].value for SCO-06 must be a finite number of 0 or more, not float 'nan'.",
    ),
    "infinite number": (
        lambda p: _answer(p, "SCO-06", float("inf")),
        "assessment.answers[5].value for SCO-06 must be a finite number of 0 or more, not float 'inf'.",
    ),
    "integer too large for a number": (
        lambda p: _answer(p, "SCO-06", 10**350),
        "assessment.answers[5].value for SCO-06 must be a finite number of 0 or more",
    ),
    "negative number": (
        lambda p: _answer(p, "SCO-06", -1),
        "assessment.answers[5].value for SCO-06 must be a finite number of 0 or more, not int '-1'.",
    ),
    "number as text": (
        lambda p: _answer(p, "SCO-06", "40000"),
        "assessment.answers[5].value for SCO-06 must be a finite number of 0 or more, not str '40000'.",
    ),
    "text too long": (
        lambda p: _answer(p, "SCO-01", "x" * 3_000_000),
        "assessment.answers[0].value for SCO-01 must be a text of at most 10,000 characters, not "
        "3,000,000 characters.",
    ),
    "empty answer": (
        lambda p: _answer(p, "SCO-01", "  "),
        "assessment.answers[0].value for SCO-01 is empty: leave out a question that has no answer.",
    ),
    "answer to an evidence question": (
        lambda p: _answer(p, "SCO-16", "yes"),
        "assessment.answers[23].value for SCO-16 must be absent: the question takes "
        "files as evidence, not an answer.",
    ),
    "system name too long": (
        lambda p: _with(p, "N" * 100_000, "system", "name"),
        "system.name must be at most 200 characters, not 100,000.",
    ),
    "vendor name too long": (
        lambda p: _with(p, "V" * 201, "system", "vendor"),
        "system.vendor must be at most 200 characters, not 201.",
    ),
    "purpose too long": (
        lambda p: _with(p, "P" * 5001, "system", "purpose"),
        "system.purpose must be at most 5,000 characters, not 5,001.",
    ),
    "NUL in a name": (
        lambda p: _with(p, "Benefit\x00scoring", "system", "name"),
        "system.name holds a NUL character.",
    ),
    "unknown status": (
        lambda p: _with(p, "finished", "assessment", "status"),
        "assessment.status 'finished' is not a status (draft, in_progress, submitted, ",
    ),
    "empty evidence file": (
        lambda p: _file(p, content="", sha256=hashlib.sha256(b"").hexdigest()),
        "assessment.evidence[0].content is empty: an evidence file holds at least one byte.",
    ),
    "evidence without a file name": (
        lambda p: _file(p, filename=""),
        "assessment.evidence[0].filename must not be empty.",
    ),
    "evidence file name too long": (
        lambda p: _file(p, filename="r" * 252 + ".txt"),
        "assessment.evidence[0].filename must be at most 255 characters, not 256.",
    ),
    "evidence not matching its hash": (
        lambda p: _file(p, sha256="0" * 64),
        "assessment.evidence[0].content does not match its sha256 (0000000000000000",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_CONTENT))
def test_signed_payload_with_values_the_form_refuses_exits_2_and_saves_nothing(
    app, exported, other_instance, monkeypatch, case
):
    path, ca, signed_by = exported
    make, message = MALFORMED_CONTENT[case]
    broken = signed_by("City A", make(json.loads(path.read_text())["payload"]), "broken.json")
    other = other_instance([ca])
    monkeypatch.setenv("HRIA_TRUST_ROOTS", json.dumps([ca]))
    result = import_(broken)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (
        result.output,
        result.exception,
    )
    assert result.output.startswith(f"Error: {message}") and result.output.count("\n") == 1, result.output
    assert assessments_in(other) == 0
    assert [p for p in Path(other.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()] == []


def test_answers_at_the_forms_limits_import(app, exported, other_instance, monkeypatch):
    path, ca, signed_by = exported
    payload = json.loads(path.read_text())["payload"]
    payload = _file(
        _answer(_answer(payload, "SCO-01", "長" * 10_000), "SCO-06", 0.5), filename="../../review.txt"
    )
    accepted = signed_by("City A", payload, "edge.json")
    other = other_instance([ca])
    monkeypatch.setenv("HRIA_TRUST_ROOTS", json.dumps([ca]))
    result = import_(accepted)
    assert result.exit_code == 0, result.output
    with other.app_context():
        from hria.domain.models import Evidence

        assessment = db.session.query(Assessment).one()
        answers = {
            a.question_id: json.loads(a.value)
            for a in db.session.query(Answer).filter_by(assessment_id=assessment.id)
        }
        assert answers["SCO-01"] == "長" * 10_000 and answers["SCO-06"] == 0.5
        stored = db.session.query(Evidence).filter_by(assessment_id=assessment.id).one()
        assert (stored.question_id, stored.filename) == ("SCO-16", "review.txt")


def _certificate_of(key, algorithm) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "City A")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, algorithm)
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_a_certificate_with_a_key_hria_does_not_sign_with_is_refused(
    app, exported, other_instance, monkeypatch, tmp_path, kind
):
    path, ca, _ = exported
    key = rsa.generate_private_key(65537, 2048) if kind == "rsa" else ed25519.Ed25519PrivateKey.generate()
    document = json.loads(path.read_text())
    document["signature"]["certificate"] = _certificate_of(key, hashes.SHA256() if kind == "rsa" else None)
    doctored = tmp_path / f"{kind}.json"
    doctored.write_text(json.dumps(document))
    other = other_instance([ca])
    monkeypatch.setenv("HRIA_TRUST_ROOTS", json.dumps([ca]))
    result = import_(doctored)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (
        result.output,
        result.exception,
    )
    assert result.output == (
        f"Error: The export's signature does not verify: its certificate holds an "
        f"{'RSA' if kind == 'rsa' else 'Ed25519'} key, and HRIA signs exports with ECDSA P-256 "
        f"keys.\n"
    )
    assert assessments_in(other) == 0


@pytest.mark.parametrize(
    "content, message",
    [
        (
            "[" * 200_000 + "]" * 200_000,
            "The file nests lists or objects more than 32 levels deep; an export nests",
        ),
        (
            '{"payload": ' + "[" * 40 + "]" * 40 + ', "signature": {}}',
            "The file nests lists or objects more than 32 levels deep; an export nests",
        ),
        (
            '{"payload": {}, "signature": {}, "x": ' + "9" * 5000 + "}",
            "The file holds a number of 5000 digits; an export's numbers have at most 400.",
        ),
    ],
)
def test_a_deeply_nested_file_or_an_endless_number_exits_2(app, tmp_path, other_instance, content, message):
    other = other_instance([])
    target = tmp_path / "odd.json"
    target.write_text(content)
    result = import_(target)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (
        result.output,
        result.exception,
    )
    assert result.output.startswith(f"Error: {message}") and result.output.count("\n") == 1, result.output
    assert assessments_in(other) == 0
