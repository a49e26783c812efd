"""Exports to the public algorithm registers: the EU database, the UK ATRS, the Dutch Algoritmeregister and
the Eurocities standard, each validated against HRIA's schema of the standard, with what HRIA lacks listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import url_for
from jsonschema import Draft202012Validator

from hria import create_app, database
from hria.cli import main
from hria.domain import demo, registers
from hria.domain.models import Answer, System
from hria.extensions import db

REPO = Path(__file__).resolve().parent.parent
BASE = "https://hria.riverton.example"


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """One demo instance for the module: seeding it runs audits and signs reports."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("HRIA_DATABASE_URL", "HRIA_SECRET_KEY", "HRIA_MAX_UPLOAD_MB"):
            patch.delenv(name, raising=False)
        patch.setenv("HRIA_INSTANCE_PATH", str(tmp_path_factory.mktemp("demo") / "instance"))
        app = create_app({"TESTING": True, "QUEUE_IMMEDIATE": True, "SERVER_NAME": "hria.riverton.example"})
        database.upgrade(app)
        with app.app_context():
            demo.seed(app.instance_path)
        yield app
        with app.app_context():
            db.engine.dispose()


def _welfare_export(app, fmt: str) -> registers.Export:
    with app.app_context(), app.test_request_context("/", base_url=BASE):
        welfare = db.session.query(System).filter_by(name="Welfare fraud risk score").one()

        def link(endpoint, **values):
            return url_for(endpoint, _external=True, **values)

        return registers.export(welfare, fmt, link)


def _check_against_schema(fmt: str, document: dict) -> None:
    """Validated by jsonschema itself against the schema file shipped in the package."""
    path = REPO / "hria" / "domain" / "register_schemas" / f"{fmt}.schema.json"
    definition = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(definition)
    Draft202012Validator(definition, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(document)


def _missing(result: registers.Export) -> dict[str, dict]:
    return {m["field"]: m for m in result.missing}


def test_eu_database_export_of_the_demo_welfare_system(demo_app):
    result = _welfare_export(demo_app, "eu-database")
    assert result.errors == []
    _check_against_schema("eu-database", result.document)
    record = result.document["record"]
    assert record["deployer"] == {"name": "City of Riverton Procurement Office"}
    summary = record["fria_summary"]
    assert summary.startswith("HRIA human-rights impact assessment by lifecycle stage: Scoping (In progress)")
    assert "Impact level of the system: III." in summary
    assert "- Equality and non-discrimination: High. Treatment: Human review of every flag" in summary
    assert "Fairness audit 5 (2026-11-10, Operation and monitoring): 1 disparity found:" in summary
    with demo_app.app_context():
        from hria.domain import publication

        welfare = db.session.query(System).filter_by(name="Welfare fraud risk score").one()
        report = publication.current_report(welfare)
        assert f"SHA-256 {report.sha256}" in summary
    missing = _missing(result)
    assert missing["provider_entry_url"]["required"] is True
    assert missing["deployer.address"]["required"] is True
    assert missing["dpia_summary"]["required"] is False
    assert result.document["complete"] is False
    assert "report " in " ".join(result.document["provenance"]["fria_summary"])


def test_atrs_export_of_the_demo_welfare_system(demo_app):
    result = _welfare_export(demo_app, "atrs")
    assert result.errors == []
    _check_against_schema("atrs", result.document)
    record = result.document["record"]
    assert record["name"] == "Welfare fraud risk score"
    assert record["organisation"] == "City of Riverton Procurement Office"
    assert record["external_supplier"] == ["Civic Analytics Ltd"]
    assert record["website"] == f"{BASE}/public/systems/{result.document['system_id']}"
    assert (
        record["frequency_usage"]
        == "About how many people will the system affect each year? — 42000 (SCO-06)"
    )
    assert len(record["risk_name"]) == len(record["risk_description"]) == len(record["risk_mitigation"]) == 3
    assert record["impact_assessment_link"] == [
        f"{BASE}/public/systems/{result.document['system_id']}/report.pdf"
    ]
    assert record["appeals_and_review"].startswith("Anyone can raise a concern or complaint")
    assert result.document["provenance"]["frequency_usage"] == ["answer SCO-06"]
    assert record["risk_mitigation"][1] == (
        "Human review of every flag before an investigation starts; quarterly audits."
    )
    missing = _missing(result)
    assert missing["contact_email"]["required"] is True
    assert missing["model_type"] == {"field": "model_type", "required": True, "reason": registers.NOT_HELD}


def test_nl_algoritmeregister_export_of_the_demo_welfare_system(demo_app):
    result = _welfare_export(demo_app, "nl-algoritmeregister")
    assert result.errors == []
    _check_against_schema("nl-algoritmeregister", result.document)
    record = result.document["record"]
    assert record["description_short"].startswith("Scores applications for housing and income support")
    assert record["category"] == ["Sociale zekerheid"]
    assert record["provider"] == "Civic Analytics Ltd"
    assert record["standard_version"] == "1.0.0"
    assert record["goal"].splitlines()[0].endswith("(SCO-01)")
    assert result.document["provenance"]["goal"][0].startswith("answer SCO-01 (scoping assessment ")
    missing = _missing(result)
    # the demo's system has an approved operation stage but is not marked as in operation: HRIA does not guess
    assert "status" not in record and missing["status"]["reason"] == registers.IN_USE_UNCLEAR
    assert missing["publication_category"]["required"] is True
    assert "nld" in missing["lang"]["reason"]


def test_eurocities_export_of_the_demo_welfare_system(demo_app):
    result = _welfare_export(demo_app, "eurocities")
    assert result.errors == []
    _check_against_schema("eurocities", result.document)
    record = result.document["record"]
    assert record["standard_version"] == "0.3.1"
    assert record["lang"] == "en"
    assert record["domain"] == "subsidies, benefits and allowances"
    # the three quarterly audits of operation and the scoping audit, run when the demo is built
    assert "4 fairness audits from 2026-01-15 to " in record["monitoring"]
    assert "disparit" in record["performance"]
    missing = _missing(result)
    # the purpose is longer than the standard's 150 characters: listed for a person to shorten, never cut
    assert "description_short" not in record
    assert "the standard allows 150" in missing["description_short"]["reason"]
    assert missing["area"]["required"] is True


def test_a_fact_hria_lacks_is_listed_as_missing_not_filled(app, world):
    with app.app_context():
        system = db.session.get(System, world.systems["a"])
        system.vendor_id = None
        db.session.commit()
        result = registers.export(system, "nl-algoritmeregister")
    assert result.valid
    record, missing = result.document["record"], _missing(result)
    assert "provider" not in record
    assert missing["provider"] == {
        "field": "provider",
        "required": False,
        "reason": "HRIA has no vendor for this system.",
    }
    # no answer to SCO-01 and no public page yet: missing, with the reason
    assert "goal" not in record and missing["goal"]["reason"] == registers.NOT_HELD
    assert "website" not in record and "publish" in missing["website"]["reason"]
    # every field of the standard is either filled or listed
    fields = registers.schema("nl-algoritmeregister")["$defs"]["fields"]["properties"]
    assert set(record) | set(missing) == set(fields)


def test_the_schema_rejects_an_invalid_document(app, world):
    with app.app_context():
        document = registers.export(
            db.session.get(System, world.systems["a"]), "nl-algoritmeregister"
        ).document
    wrong = json.loads(json.dumps(document))
    wrong["record"]["status"] = "Live"
    wrong["record"]["colour"] = "blue"
    assert registers.validate(wrong, "nl-algoritmeregister") == [
        "record: Additional properties are not allowed ('colour' was unexpected)",
        "record.status: 'Live' is not one of ['In ontwikkeling', 'In gebruik', 'Buiten gebruik']",
    ]
    unlisted = json.loads(json.dumps(document))
    del unlisted["record"]["name"]
    assert registers.validate(unlisted, "nl-algoritmeregister") == [
        "name: the standard requires it, but it is neither filled nor listed as missing."
    ]
    with pytest.raises(Exception, match="is not valid under any of the given schemas"):
        _check_against_schema("nl-algoritmeregister", unlisted)


def test_a_vendor_exports_only_what_it_may_read(app, world, client, auth):
    with app.app_context():
        db.session.add(
            Answer(
                assessment_id=world.assessments["a"],
                question_id="SCO-01",
                value=json.dumps("Fewer late claims."),
            )
        )
        db.session.commit()
    auth.login(world.users["procurer_a"])
    buyer = client.get(f"/systems/{world.systems['a']}/registers/nl-algoritmeregister.json")
    assert buyer.status_code == 200
    assert buyer.headers["Content-Disposition"] == (
        f'attachment; filename="system-{world.systems["a"]}-nl-algoritmeregister.json"'
    )
    assert buyer.get_json()["record"]["goal"].startswith("What public problem should the system help solve")
    auth.logout()
    auth.login(world.users["vendor_a"])
    vendor = client.get(f"/systems/{world.systems['a']}/registers/nl-algoritmeregister.json").get_json()
    assert "goal" not in vendor["record"]  # SCO-01 is the buyer's question


def test_register_downloads_are_for_those_who_see_the_system(app, world, client, auth):
    auth.login(world.users["procurer_a"])
    page = client.get(f"/systems/{world.systems['a']}/registers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for fmt in registers.FORMATS:
        assert f"/systems/{world.systems['a']}/registers/{fmt}.json" in html
    assert "publication_category" in html and "required" in html
    assert client.get(f"/systems/{world.systems['a']}").get_data(as_text=True).count('/registers"') == 1
    assert client.get(f"/systems/{world.systems['a']}/registers/somewhere.json").status_code == 404
    auth.logout()
    auth.login(world.users["procurer_b"])
    assert client.get(f"/systems/{world.systems['a']}/registers").status_code == 404
    for fmt in registers.FORMATS:
        assert client.get(f"/systems/{world.systems['a']}/registers/{fmt}.json").status_code == 404
    auth.logout()
    assert (
        client.get(f"/systems/{world.systems['a']}/registers/atrs.json").status_code == 302
    )  # sign in first


def test_cli_exports_with_the_missing_fields_on_stderr(app, world, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["register-export", str(world.systems["a"]), "--format", "atrs"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["record"]["name"] == "Benefit scoring A"
    assert "contact_email (required): HRIA keeps no contact address" in result.stderr
    written = tmp_path / "atrs.json"
    again = runner.invoke(
        main, ["register-export", str(world.systems["a"]), "--format", "atrs", "-o", str(written)]
    )
    assert again.exit_code == 0 and again.stdout == ""
    assert json.loads(written.read_text())["format"] == "atrs"
    assert f"written to {written}" in again.stderr


def test_cli_refuses_what_it_cannot_export_or_check(app, world, tmp_path):
    runner = CliRunner()
    unknown = runner.invoke(main, ["register-export", "999", "--format", "atrs"])
    assert unknown.exit_code == 1 and "There is no system 999" in unknown.output
    bad_format = runner.invoke(main, ["register-export", str(world.systems["a"]), "--format", "iso"])
    assert bad_format.exit_code == 2
    exported = tmp_path / "nl.json"
    runner.invoke(
        main,
        ["register-export", str(world.systems["a"]), "--format", "nl-algoritmeregister", "-o", str(exported)],
    )
    checked = runner.invoke(main, ["register-check", str(exported)])
    assert checked.exit_code == 0 and "still lacks required fields" in checked.output
    document = json.loads(exported.read_text())
    document["record"]["status"] = "Live"
    exported.write_text(json.dumps(document))
    broken = runner.invoke(main, ["register-check", str(exported)])
    assert broken.exit_code == 1
    assert "record.status: 'Live' is not one of" in broken.output
