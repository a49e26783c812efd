"""A signed JSON export moves an assessment between two instances; a tampered or untrusted one is refused."""
import base64
import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from conftest import csrf_token, post_form
from hria import create_app, database
from hria.domain import signing_keys
from hria.domain.accounts import create_organisation
from hria.cli import main
from hria.extensions import db
from hria.domain.models import Answer, Assessment, Organisation

from test_wizard import SCOPING, save_section


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
        answers = {a.question_id: (json.loads(a.value), a.carried_from)
                   for a in db.session.query(Answer).filter_by(assessment_id=assessment.id)}
        assert answers["SCO-03"][0] == "triage"
        assert answers["SCO-03"][1].startswith("export of City A, signed")
        assert len(answers) == 15 and assessment.impact_level == "III"


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
        document = {"payload": payload, "signature": {
            "algorithm": "ECDSA-P256-SHA256",
            "value": base64.b64encode(key.sign(canonical, ec.ECDSA(hashes.SHA256()))).decode(),
            "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode()}}
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
    forged = signed_by("City B", payload, "forged.json")  # City B's key is trusted, but the payload claims City A
    with app.app_context():  # the exporting instance itself knows City B's certificate from its key store
        from hria.domain import transfer
        with pytest.raises(transfer.TransferError, match="says it comes from City A, but it is signed with the "
                                                         "certificate of City B"):
            transfer.verify(json.loads(forged.read_text()))
    other = other_instance([ca])
    monkeypatch.setenv("HRIA_TRUST_ROOTS", json.dumps([ca]))
    refused = import_(forged)
    assert refused.exit_code == 1, refused.output
    assert "The export says it comes from City A, but it is signed with the certificate of City B." in refused.output
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
    assert (f"This export ({export_id}) was already imported as assessment {imported_id} (Benefit scoring A, owned by "
            f"City of Elsewhere); nothing was imported again.") in second.output
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
    "assessment missing": (lambda p: _without(p, "assessment"),
                           "payload.assessment must be an object, not missing."),
    "unknown stage": (lambda p: _with(p, "launch", "assessment", "stage"),
                      "assessment.stage 'launch' is not a lifecycle stage"),
    "unknown question": (lambda p: _with(p, "SCO-99", "assessment", "answers", 0, "question_id"),
                         "assessment.answers[0].question_id 'SCO-99' is not a question of the scoping stage"),
    "answers not a list": (lambda p: _with(p, "yes", "assessment", "answers"),
                           "assessment.answers must be a list, not str 'yes'."),
    "flag not a boolean": (lambda p: _with(p, "yes", "system", "automated_decisions"),
                           "system.automated_decisions must be true or false, not str 'yes'."),
    "answer not an object": (lambda p: _with(p, 3, "assessment", "answers", 0),
                             "assessment.answers[0] must be an object."),
    "system a list": (lambda p: _with(p, [], "system"), "payload.system must be an object, not list '[]'."),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_payload_signed_by_a_trusted_key_exits_2_with_one_line(app, exported, other_instance,
                                                                          monkeypatch, case):
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
