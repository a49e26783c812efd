"""A signed JSON export moves an assessment between two instances; a tampered or untrusted one is refused."""
import json

import pytest
from click.testing import CliRunner

from hria import create_app, database, signing_keys
from hria.accounts import create_organisation
from hria.cli import main
from hria.extensions import db
from hria.models import Answer, Organisation

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
        from hria import transfer
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
    response = client.get(f"/assessments/{world.assessments['a']}/export.json")
    assert response.status_code == 200 and response.get_json()["payload"]["organisation"] == "City A"
    auth.logout()
    auth.login(world.users["oversight_a"])
    assert client.get(f"/assessments/{world.assessments['a']}/export.json").status_code == 403
