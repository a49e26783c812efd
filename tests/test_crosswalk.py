# ruff: noqa: RUF001 - full-width punctuation is what Chinese text is written with
"""The framework crosswalk (EU AI Act Art. 27, HUDERIA, ISO/IEC 42005, IAMA) as data beside the question
banks, the coverage it gives an assessment and its system, and the Art. 27(3) notification as JSON and as a
signed PDF."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_reports import pdfsig

import questionnaires
from hria.cli import main
from hria.domain import crosswalk, demo, fria, reporting, signing_keys
from hria.domain.models import Answer, Assessment, Organisation, System
from hria.extensions import db
from reports import verify_pdf
from reports.fria import FRIA_KEYS

ART27 = "EU AI Act, Art. 27 fundamental-rights impact assessment"


def answer(assessment_id: int, values: dict, na_reason: str | None = None) -> None:
    """Store answers as the questionnaire does (call inside an app context)."""
    for question_id, value in values.items():
        db.session.add(
            Answer(
                assessment_id=assessment_id,
                question_id=question_id,
                value=json.dumps(value),
                na_reason=na_reason if value == "not_applicable" else None,
            )
        )
    db.session.commit()


# A small scoping assessment: the problem, how many and which people, and a justified "not applicable"
# to the question on essential services, which must not count as covering Art. 27(1)(d).
SCOPING = {
    "SCO-01": "Caseworkers cannot check every claim.",
    "SCO-06": 1200,
    "SCO-07": ["low_income", "disability"],
    "SCO-04": "not_applicable",
}


@pytest.fixture
def answered(app, world):
    with app.app_context():
        answer(world.assessments["a"], SCOPING, na_reason="Only parking permits are concerned.")
    return world


def copy_bank(tmp_path: Path) -> Path:
    folder = tmp_path / "bank"
    root = Path(questionnaires.__file__).parent
    shutil.copytree(root / "stages", folder / "stages")
    for name in ("bank.yaml", "guidelines.yaml"):
        shutil.copy(root / name, folder / name)
    return folder


# -- the crosswalk as data


def test_the_bank_references_known_elements_and_the_earlier_bank_still_loads():
    bank = questionnaires.load_bank()
    index = questionnaires.question_index(bank)
    assert index["SCO-07"]["frameworks"] == [
        "eu_ai_act_art27:c",
        "huderia:assessment",
        "iso_iec_42005:6.7",
        "iama:4",
    ]
    assert index["DEP-13"]["frameworks"] == [
        "eu_ai_act_art27:f",
        "huderia:mitigation",
        "iso_iec_42005:6.9",
    ]
    frameworks = questionnaires.load_frameworks()
    assert list(frameworks) == ["eu_ai_act_art27", "huderia", "iso_iec_42005", "iama"]
    assert [e["ref"] for e in frameworks["eu_ai_act_art27"]["elements"]] == [
        f"Art. 27(1)({letter})" for letter in "abcdef"
    ]
    earlier = questionnaires.load_version("2026.1")
    assert earlier["version"] == "2026.1"
    assert not any("frameworks" in q for q in questionnaires.question_index(earlier).values())


def test_an_unknown_framework_or_element_is_an_error_naming_the_file_and_the_question(tmp_path):
    folder = copy_bank(tmp_path)
    scoping = folder / "stages" / "scoping.yaml"
    text = scoping.read_text(encoding="utf-8")
    text = text.replace(
        '"eu_ai_act_art27:a", "huderia:context", "iso_iec_42005:6.3", "iama:1"', '"eu_ai_act_art27:z"'
    )
    text = text.replace('"huderia:context", "iama:1"]', '"gdpr:35"]', 1)
    scoping.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["questions", "check", str(folder)])
    assert result.exit_code == 1
    assert (
        "stages/scoping.yaml question SCO-01: unknown element 'z' of framework 'eu_ai_act_art27' in "
        "'eu_ai_act_art27:z' (it has a, b, c, d, e, f)." in result.output
    )
    assert (
        "stages/scoping.yaml question SCO-02: unknown framework 'gdpr' in 'gdpr:35' (use one of "
        "eu_ai_act_art27, huderia, iso_iec_42005, iama)." in result.output
    )
    assert "2 problem(s):" in result.output


def test_a_malformed_reference_is_refused_by_the_schema(tmp_path):
    folder = copy_bank(tmp_path)
    scoping = folder / "stages" / "scoping.yaml"
    text = scoping.read_text(encoding="utf-8").replace(
        '"huderia:context", "iama:1"]', '"HUDERIA context"]', 1
    )
    scoping.write_text(text, encoding="utf-8")
    _, problems = questionnaires.check_bank(folder)
    assert problems == [
        "stages/scoping.yaml question SCO-02 (frameworks.0): 'HUDERIA context' does not match "
        "'^[a-z0-9_]+:[A-Za-z0-9_.]+$'"
    ]


def test_check_prints_the_references_per_framework():
    result = CliRunner().invoke(main, ["questions", "check"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("Frameworks the questions answer (references checked):")
    assert lines[start + 1 : start + 5] == [
        "  eu_ai_act_art27   44 questions,  44 references, 6 of 6 elements",
        "  huderia           45 questions,  45 references, 5 of 5 elements",
        "  iso_iec_42005     48 questions,  49 references, 7 of 7 elements",
        "  iama              38 questions,  38 references, 4 of 4 elements",
    ]


# -- coverage


def test_coverage_of_an_assessment_counts_answers_and_not_a_justified_not_applicable(app, answered):
    with app.app_context():
        assessment = db.session.get(Assessment, answered.assessments["a"])
        result = crosswalk.of_assessment(assessment)
        lines = crosswalk.describe(result)
    art27 = result[0]
    assert art27.name == ART27 and art27.covered == 2
    assert lines[:6] == [
        "Art. 27(1)(a) the deployer's processes in which the system is used, in line with its intended "
        "purpose: covered by SCO-01",
        "Art. 27(1)(b) the period of time within which, and the frequency with which, the system is to be "
        "used: open",
        "Art. 27(1)(c) categories of natural persons and groups likely to be affected by its use in this "
        "context: covered by SCO-06, SCO-07",
        "Art. 27(1)(d) specific risks of harm likely to affect those categories of persons or groups: open",
        "Art. 27(1)(e) human oversight measures, following the instructions for use: open",
        "Art. 27(1)(f) measures to be taken if the risks materialise, incl. internal governance and "
        "complaint mechanisms: open",
    ]
    huderia = {e.key: e.covered_by for e in result[1].elements}
    assert huderia == {
        "context": ["SCO-01"],
        "engagement": [],
        "assessment": ["SCO-06", "SCO-07"],
        "mitigation": [],
        "review": [],
    }


def test_the_systems_coverage_adds_its_other_assessments(app, answered, make_assessment):
    deployment = make_assessment("a", stage="deployment")
    with app.app_context():
        answer(
            deployment,
            {"DEP-01": "yes", "DEP-13": "no", "DEP-02": "not_applicable"},
            na_reason="No override.",
        )
        scoping = db.session.get(Assessment, answered.assessments["a"])
        own = crosswalk.of_assessment(scoping)[0]
        across = crosswalk.of_assessments(crosswalk.system_assessments(scoping))[0]
    assert [e.covered_by for e in own.elements] == [["SCO-01"], [], ["SCO-06", "SCO-07"], [], [], []]
    # "no" is an answer: the missing complaint channel is exactly what Art. 27(1)(f) asks to be told
    assert [e.covered_by for e in across.elements] == [
        ["SCO-01"],
        [],
        ["SCO-06", "SCO-07"],
        [],
        ["DEP-01"],
        ["DEP-13"],
    ]


def test_the_page_shows_both_coverages_to_the_buyer_and_only_its_part_to_a_vendor(
    app, client, auth, answered, make_assessment
):
    make_assessment("a", stage="deployment")
    aid = answered.assessments["a"]
    auth.login(answered.users["procurer_a"])
    page = client.get(f"/assessments/{aid}").get_data(as_text=True)
    assert '<section aria-labelledby="frameworks-heading" id="frameworks">' in page
    assert "<details>" in page and '<th scope="col">Covered by</th>' in page
    assert f"<caption>{ART27}: 2 of 6 elements covered</caption>" in page
    row = (
        '<th scope="row">Art. 27(1)(c) categories of natural persons and groups likely to be affected by its '
        "use in this context</th><td>SCO-06, SCO-07</td>"
    )
    assert row in page
    assert f"All assessments of the system (#{aid} Scoping, #{aid + 2} Deployment)" in page
    assert f'href="/assessments/{aid}/fria.pdf"' in page
    auth.logout()
    auth.login(answered.users["vendor_a"])
    page = client.get(f"/assessments/{aid}").get_data(as_text=True)
    # the vendor reads only its part: none of the procurer's scoping answers covers anything for it
    assert f"<caption>{ART27}: 0 of 6 elements covered</caption>" in page
    assert "All assessments of the system" not in page and "fria.pdf" not in page


# -- the Art. 27(3) notification


def test_the_notification_is_filled_from_answers_with_their_questions_and_says_what_is_missing(
    app, client, auth, answered
):
    aid = answered.assessments["a"]
    auth.login(answered.users["oversight_a"])
    response = client.get(f"/assessments/{aid}/fria.json")
    assert response.status_code == 200
    data = json.loads(response.data)
    assert tuple(data) == FRIA_KEYS
    assert data["schema_version"] == 1
    assert data["deployer"] == {"name": "City A"} and data["provider"] == {"name": "Vendor A"}
    assert data["system"] == {
        "name": "Benefit scoring A",
        "sector": "Welfare",
        "purpose": "Scores applications",
    }
    by_key = {e["key"]: e for e in data["elements"]}
    assert by_key["art27_1c"]["status"] == "answered"
    assert [(a["assessment"], a["question"], a["answer"]) for a in by_key["art27_1c"]["answers"]] == [
        (aid, "SCO-06", "1200"),
        (aid, "SCO-07", "People on low incomes; Persons with disabilities"),
    ]
    assert by_key["art27_1d"] == {
        "key": "art27_1d",
        "ref": "Art. 27(1)(d)",
        "label": "specific risks of harm likely to affect those categories of persons or groups",
        "status": "missing",
        "answers": [],
    }
    assert data["missing"] == ["art27_1b", "art27_1d", "art27_1e", "art27_1f"]


def test_only_parties_reading_the_buyers_side_download_the_notification(app, client, auth, answered):
    aid = answered.assessments["a"]
    for who, expected in (("vendor_a", 404), ("vendor_b", 404), ("procurer_b", 404), ("procurer_a", 200)):
        auth.login(answered.users[who])
        assert client.get(f"/assessments/{aid}/fria.json").status_code == expected, who
        if expected == 404:
            assert client.get(f"/assessments/{aid}/fria.pdf").status_code == 404, who
        auth.logout()


def test_the_signed_notification_validates_with_pyhanko_and_pdfsig(app, answered, tmp_path):
    with app.app_context():
        signing_keys.init_keys(db.session.query(Organisation).all())
    out = tmp_path / "fria.pdf"
    result = CliRunner().invoke(
        main, ["fria", str(answered.assessments["a"]), "--format", "pdf", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    with app.app_context():
        checked = verify_pdf(data, signing_keys.trust_roots())
    assert [(s.organisation, s.intact, s.trusted) for s in checked.signatures] == [("City A", True, True)]
    sig = pdfsig(out)
    assert "Signature is Valid" in sig and "Total document signed" in sig
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    for expected in (
        "Art. 27(3)",
        "Vendor A",
        "SCO-07",
        "People on low incomes",
        "Missing: no answer in HRIA",
    ):
        assert expected in text, expected


def test_a_chinese_assessment_gives_a_chinese_notification(app, world, make_assessment, tmp_path):
    aid = make_assessment("a", language="zh")
    with app.app_context():
        signing_keys.init_keys(db.session.query(Organisation).all())
        answer(aid, {"SCO-07": ["disability"]})
        assessment = db.session.get(Assessment, aid)
        data = fria.notification(assessment)
        pdf = fria.signed_pdf(assessment, None)
        db.session.commit()
    element = next(e for e in data["elements"] if e["key"] == "art27_1c")
    assert data["lang"] == "zh"
    assert element["label"] == "在此情境下可能受其使用影响的自然人类别和群体"
    assert element["answers"][0]["question_text"] == "受影响者中有哪些处境脆弱的群体？"
    path = tmp_path / "fria-zh.pdf"
    path.write_bytes(pdf)
    assert "Signature is Valid" in pdfsig(path)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "基本权利影响评估通知" in text and "缺失：HRIA 中没有回答" in text


def test_the_json_from_the_command_line_has_the_documented_keys(app, answered, tmp_path):
    out = tmp_path / "fria.json"
    result = CliRunner().invoke(main, ["fria", str(answered.assessments["a"]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert tuple(data) == FRIA_KEYS and data["notification_id"].startswith("FRIA-")
    missing = CliRunner().invoke(main, ["fria", "999999"])
    assert missing.exit_code == 1 and "There is no assessment 999999." in missing.output


# -- the signed report and the demo


def test_the_signed_report_has_the_coverage_annex(app, keyed):
    with app.app_context():
        assessment = db.session.get(Assessment, keyed.assessments["a"])
        report = reporting.issue(assessment, "risk", None)
        db.session.commit()
        path = report.path
    text = " ".join(subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True).stdout.split())
    assert "Annex D: Frameworks covered" in text
    # a scoping assessment asks nothing of human oversight (e)
    assert f"{ART27} · 5 of 6 elements covered" in text
    assert "D.2 All assessments of the system" in text
    # every scoping question is answered: (c) is covered by each question that supplies it
    assert "SCO-06, SCO-07, SCO-23, SCO-25" in text


def test_the_demo_welfare_system_shows_real_coverage(app):
    with app.app_context():
        demo.seed(app.instance_path)
        welfare = db.session.query(System).filter_by(name="Welfare fraud risk score").one()
        scoping = next(a for a in welfare.assessments if a.stage == "scoping")
        own = crosswalk.of_assessment(scoping)[0]
        across = crosswalk.of_assessments(crosswalk.system_assessments(scoping))[0]
    assert [e.covered_by for e in own.elements] == [
        ["SCO-01", "SCO-03"],
        ["SCO-28"],
        ["SCO-06", "SCO-07", "SCO-23", "SCO-25"],
        ["SCO-04", "SCO-05", "SCO-09", "SCO-13", "SCO-17", "SCO-18", "SCO-19", "SCO-21", "SCO-24"],
        [],
        ["SCO-15"],
    ]
    # the welfare system has no deployment assessment yet: nothing answers Art. 27(1)(e) human oversight
    assert [e.ref for e in across.open] == ["Art. 27(1)(e)"]
    assert across.elements[5].covered_by == [
        "SCO-15",
        "PRO-08",
        "PRO-20",
        "OPS-06",
        "OPS-07",
        "OPS-08",
        "OPS-20",
    ]
