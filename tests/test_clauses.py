"""Contract clauses from a procurement-stage assessment: which clauses the register and the plan call for,
what each answers, the buyer's fairness thresholds in the text, the PDF and DOCX read back, who may see them,
and the command line."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import date

import pytest
from click.testing import CliRunner

from fairness.plans import AuditPlan as Plan
from hria.cli import main
from hria.domain import clauses, demo, fairness_audits, risk_register
from hria.domain.models import Answer, Assessment, RemediationAction, RiskRating, System, User
from hria.extensions import db
from reports.clauses import build_clauses_docx, build_clauses_pdf

BASELINE = ["scope", "incident_notification", "retirement_deletion"]


@pytest.fixture
def procurement(app, world, make_assessment) -> int:
    """City A's procurement assessment of its benefit scoring system (supplied by Vendor A), unanswered."""
    return make_assessment("a", stage="procurement")


def _document(app, assessment_id: int, lang: str = "en") -> clauses.ClauseDocument:
    with app.app_context():
        return clauses.document(db.session.get(Assessment, assessment_id), lang)


def _by_key(data) -> dict:
    return {c["key"]: c for c in data["clauses"]}


def _rate(app, assessment_id: int, right: str, dims: tuple[int, int, int, int], treatment: str = "") -> None:
    with app.app_context():
        scale, scope, reversibility, likelihood = dims
        db.session.add(
            RiskRating(
                assessment_id=assessment_id,
                right=right,
                scale=scale,
                scope=scope,
                reversibility=reversibility,
                likelihood=likelihood,
                treatment=treatment,
            )
        )
        db.session.commit()


def _answer(app, assessment_id: int, answers: dict) -> None:
    with app.app_context():
        for question_id, value in answers.items():
            db.session.add(
                Answer(assessment_id=assessment_id, question_id=question_id, value=json.dumps(value))
            )
        db.session.flush()
        risk_register.recompute(db.session.get(Assessment, assessment_id))
        db.session.commit()


def test_an_empty_register_gives_the_baseline_clauses_filled_in(app, procurement):
    data = _document(app, procurement)
    assert [c["key"] for c in data["clauses"]] == BASELINE
    assert [c["number"] for c in data["clauses"]] == [1, 2, 3]
    scope, incident, retirement = data["clauses"]
    assert (
        "City A (the Buyer) and Vendor A (the Supplier) for Benefit scoring A (the System)" in scope["text"]
    )
    assert "whose intended purpose is: Scores applications." in scope["text"]
    assert '"Oversight Body" means Board A.' in scope["text"]
    assert "within 72 hours of becoming aware of it, or 24 hours where" in incident["text"]
    assert "within 30 days, including copies in backups" in retirement["text"]
    assert incident["answers"] == ["Baseline clause, in every contract"]
    assert "Data governance and protection" in data["omitted"]
    assert "{" not in " ".join(c["text"] for c in data["clauses"])


def test_a_high_privacy_risk_brings_data_governance_with_its_treatment_and_reference(app, procurement):
    # severity 3 + 3 + 3 = 9: the top of the "high" band
    _rate(app, procurement, "privacy", (3, 3, 3, 2), "Pseudonymise applicants before scoring.")
    data = _document(app, procurement)
    assert [c["key"] for c in data["clauses"]] == ["scope", "data_governance", *BASELINE[1:]]
    clause = _by_key(data)["data_governance"]
    assert clause["number"] == 2
    assert clause["answers"] == ["risk R-1: Privacy and data protection (High)"]
    assert clause["mitigation"] == ["Pseudonymise applicants before scoring. (treatment, R-1)"]
    assert clause["section"] == "Requirements on the system"


def test_a_low_privacy_risk_brings_no_data_governance_clause(app, procurement):
    _rate(app, procurement, "privacy", (1, 1, 1, 1), "Nothing more needed.")
    data = _document(app, procurement)
    assert [c["key"] for c in data["clauses"]] == BASELINE
    assert "Data governance and protection" in data["omitted"]


def test_a_missing_safeguard_brings_its_clause_with_the_action_and_its_due_date(app, procurement):
    _answer(app, procurement, {"PRO-09": "no"})
    with app.app_context():
        action = db.session.query(RemediationAction).filter_by(assessment_id=procurement).one()
        action.due_date = date(2027, 3, 31)
        db.session.commit()
        action_id = action.id
    clause = _by_key(_document(app, procurement))["data_governance"]
    assert clause["answers"] == [
        "risk R-1: Privacy and data protection (not rated yet)",
        f"action A-{action_id}: Attach a data processing agreement and a security annex to the contract.",
    ]
    assert clause["mitigation"] == [
        f"Attach a data processing agreement and a security annex to the contract. (A-{action_id}, due "
        "2027-03-31)"
    ]


def test_a_fairness_finding_brings_the_reaudit_clause_with_the_buyers_thresholds(app, world, procurement):
    with app.app_context():
        assessment = db.session.get(Assessment, procurement)
        buyer = db.session.query(User).filter_by(email=world.users["procurer_a"]).one()
        plan = Plan(
            sensitive_features=["nationality", "sex"],
            metrics=["false_positive_rate"],
            reference={"nationality": "national"},
            difference_threshold=0.05,
            ratio_threshold=0.85,
            min_group_size=50,
            confidence=0.9,
            multiple_comparisons="bh",
        )
        record = fairness_audits.fix_plan(assessment, buyer, "Pilot audit plan", plan)
        finding = risk_register.add_finding(
            assessment,
            "equality",
            "fairness_audit",
            None,
            "Fairness audit 1 of pilot.csv found 2 disparities",
            "Investigate the disparities and audit again.",
            "§50(d)",
        )
        db.session.commit()
        finding_id, sha = finding.id, record.sha256
        action_id = db.session.query(RemediationAction.id).filter_by(finding_id=finding_id).scalar()
    clause = _by_key(_document(app, procurement))["fairness_reaudit"]
    text = clause["text"]
    assert "(nationality, sex) where the law allows, for an audit of false positive rate." in text
    assert "for a group of at least 50 people" in text
    assert "reference group (nationality: national) lies outside 0.85 to 1.18" in text
    assert (
        "differ by more than 5 percentage points, at a confidence of 90 % with the Benjamini–Hochberg "
        "correction" in text
    )
    assert f"These thresholds are the Buyer's (audit plan “Pilot audit plan”, SHA-256 {sha[:16]}…)" in text
    assert clause["answers"] == [
        "risk R-1: Equality and non-discrimination (not rated yet)",
        f"finding F-{finding_id}: Fairness audit 1 of pilot.csv found 2 disparities",
        f"action A-{action_id}: Investigate the disparities and audit again.",
    ]


def test_without_a_plan_the_reaudit_clause_states_the_default_thresholds(app, procurement):
    with app.app_context():
        system = db.session.get(Assessment, procurement).system
        system.impact_level = "II"  # the bank obliges disparity tests from level II
        db.session.commit()
    clause = _by_key(_document(app, procurement))["fairness_reaudit"]
    assert (
        "lies outside 0.80 to 1.25, or the two rates differ by more than 10 percentage points"
        in clause["text"]
    )
    assert "HRIA's default thresholds, as no audit plan has been fixed for this system" in clause["text"]
    assert clause["answers"] == ["impact level II"]


def test_chinese_clauses_are_filled_in_too(app, procurement):
    data = _document(app, procurement, "zh")
    assert data["title"] == "人工智能系统采购合同条款"
    scope = data["clauses"][0]
    assert scope["title"] == "范围和定义"
    assert "本条款是City A（\u201c采购方\u201d）与Vendor A（\u201c供应商\u201d）之间" in scope["text"]
    assert "预期用途为\uff1aScores applications。“监督机构”指Board A。" in scope["text"]
    assert "最迟不超过72小时" in data["clauses"][1]["text"]
    assert " " not in data["rule"]


def test_other_stages_are_refused_with_the_reason(app, world):
    with app.app_context():
        scoping = db.session.get(Assessment, world.assessments["a"])
        with pytest.raises(clauses.ClauseError) as refused:
            clauses.document(scoping)
    assert str(refused.value).startswith(
        "Contract clauses come from a procurement-stage assessment; assessment "
        f"{world.assessments['a']} is at the Scoping stage."
    )


def test_the_clause_file_is_checked(app):
    assert clauses.check(clauses.load()) == []
    broken = json.loads(json.dumps(clauses.load()))
    broken["clauses"][0]["text"]["zh"] = ""
    broken["clauses"][1]["text"]["en"] += " {penalty}"
    broken["clauses"][2]["include"] = {"sometimes": True}
    assert clauses.check(broken) == [
        "scope: missing translation: text has no zh text.",
        "data_governance (en): unknown placeholder(s) penalty.",
        "transparency_buyer: include must use some of always, findings, min_impact_level, min_level, "
        "questions, rights.",
    ]


# --- the documents ------------------------------------------------------------------------------------------


def _pdf_text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(result.stdout.decode("utf-8").split())


def test_the_pdf_reads_back_in_english_and_chinese(app, procurement):
    _rate(app, procurement, "privacy", (3, 3, 3, 2), "Pseudonymise applicants before scoring.")
    english = _pdf_text(build_clauses_pdf(_document(app, procurement, "en")))
    assert "Contract clauses for the procurement of an AI system" in english
    assert "2. Data governance and protection" in english
    assert "Answers: risk R-1: Privacy and data protection (High)" in english
    chinese = _pdf_text(build_clauses_pdf(_document(app, procurement, "zh")))
    assert "人工智能系统采购合同条款" in chinese
    assert "2. 数据治理和保护" in chinese
    assert "回应: 风险 R-1: 隐私和数据保护 (高)" in chinese


def _docx_paragraphs(content: bytes):
    from docx import Document

    return Document(io.BytesIO(content)).paragraphs


def test_the_docx_has_clause_headings_references_and_chinese_with_an_east_asian_font(app, procurement):
    _rate(app, procurement, "privacy", (3, 3, 3, 2), "Pseudonymise applicants before scoring.")
    english = _docx_paragraphs(build_clauses_docx(_document(app, procurement, "en")))
    headings = [p.text for p in english if p.style.name.startswith("Heading")]
    assert headings[:4] == [
        "How the clauses were chosen",
        "General provisions",
        "1. Scope and definitions",
        "Requirements on the system",
    ]
    assert "2. Data governance and protection" in headings
    assert "Answers: risk R-1: Privacy and data protection (High)" in [p.text for p in english]
    chinese = _docx_paragraphs(build_clauses_docx(_document(app, procurement, "zh")))
    assert "2. 数据治理和保护" in [p.text for p in chinese]
    body = next(p for p in chinese if p.text.startswith("本条款是City A"))
    qn = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    assert body.runs[0]._element.rPr.rFonts.get(qn) == "SimSun"


# --- the web ------------------------------------------------------------------------------------------------


def test_the_buyer_and_its_oversight_body_preview_and_download(app, client, world, auth, procurement):
    _rate(app, procurement, "privacy", (3, 3, 3, 2), "Pseudonymise applicants before scoring.")
    for user in ("procurer_a", "oversight_a"):
        auth.login(world.users[user])
        page = client.get(f"/assessments/{procurement}/clauses")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "2. Data governance and protection" in html
        assert "risk R-1: Privacy and data protection (High)" in html
        assert f'href="/assessments/{procurement}/clauses.docx?lang=en"' in html
        pdf = client.get(f"/assessments/{procurement}/clauses.pdf?lang=zh")
        assert pdf.mimetype == "application/pdf"
        assert "数据治理和保护" in _pdf_text(pdf.data)
        docx = client.get(f"/assessments/{procurement}/clauses.docx")
        assert docx.headers["Content-Disposition"] == (
            f'attachment; filename="contract-clauses-assessment-{procurement}-en.docx"'
        )
        assert "1. Scope and definitions" in [p.text for p in _docx_paragraphs(docx.data)]
        auth.logout()


def test_other_organisations_and_the_invited_vendor_get_404(app, client, world, auth, procurement):
    with app.app_context():
        from hria.domain.models import Invitation

        db.session.add(Invitation(assessment_id=procurement, organisation_id=world.orgs["vendor_a"]))
        db.session.commit()
    for user in ("procurer_b", "oversight_b", "vendor_b", "vendor_a"):
        auth.login(world.users[user])
        for suffix in ("clauses", "clauses.pdf", "clauses.docx"):
            response = client.get(f"/assessments/{procurement}/{suffix}")
            assert response.status_code == 404, (user, suffix)
            assert "Benefit scoring" not in response.get_data(as_text=True)
        auth.logout()
    auth.login(world.users["vendor_a"])
    assert client.get(f"/assessments/{procurement}").status_code == 200  # it reads the assessment itself


def test_a_scoping_assessment_is_refused_on_the_web(client, world, auth):
    auth.login(world.users["procurer_a"])
    for suffix in ("clauses", "clauses.pdf"):
        response = client.get(f"/assessments/{world.assessments['a']}/{suffix}")
        assert response.status_code == 409
        assert "Contract clauses come from a procurement-stage assessment" in response.get_data(as_text=True)


# --- the command line ---------------------------------------------------------------------------------------


def test_the_command_writes_each_format_and_refuses_other_stages(app, world, procurement, tmp_path):
    _rate(app, procurement, "privacy", (3, 3, 3, 2), "Pseudonymise applicants before scoring.")
    runner = CliRunner()
    for fmt in ("pdf", "docx", "json"):
        out = tmp_path / f"clauses.{fmt}"
        result = runner.invoke(main, ["clauses", str(procurement), "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert result.output == f"Wrote 4 clause(s) for assessment {procurement} ({fmt}, en) to {out}\n"
    assert "2. Data governance and protection" in _pdf_text((tmp_path / "clauses.pdf").read_bytes())
    exported = json.loads((tmp_path / "clauses.json").read_text(encoding="utf-8"))
    assert [c["key"] for c in exported["clauses"]] == ["scope", "data_governance", *BASELINE[1:]]
    result = runner.invoke(main, ["clauses", str(world.assessments["a"]), "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1
    assert "Contract clauses come from a procurement-stage assessment" in result.output
    assert not (tmp_path / "x.pdf").exists()


# --- the demo -----------------------------------------------------------------------------------------------


def test_the_demo_welfare_procurement_assessment_gets_its_clause_set(app):
    with app.app_context():
        demo.seed(app.instance_path)
        welfare = db.session.query(System).filter_by(name="Welfare fraud risk score").one()
        assessment = db.session.query(Assessment).filter_by(system_id=welfare.id, stage="procurement").one()
        data = clauses.document(assessment)
    found = _by_key(data)
    assert list(found) == EXPECTED_DEMO_CLAUSES
    assert data["buyer"] == "City of Riverton Procurement Office"
    assert data["supplier"] == "Civic Analytics Ltd"
    assert '"Oversight Body" means Riverton Algorithmic Oversight Board.' in found["scope"]["text"]
    # the thresholds of the buyer's monitoring plan for the same system
    assert (
        "These thresholds are the Buyer's (audit plan “Quarterly monitoring of flags”"
        in (found["fairness_reaudit"]["text"])
    )
    assert "for an audit of selection rate" in found["fairness_reaudit"]["text"]
    assert found["fairness_reaudit"]["answers"] == ["impact level III"]
    assert found["subcontracting"]["answers"][:3] == [
        "risk R-1: Privacy and data protection (not rated yet)",
        "risk R-2: Equality and non-discrimination (not rated yet)",
        "risk R-3: Effective remedy and due process (not rated yet)",
    ]
    assert found["portability"]["answers"][-1] == "question PRO-13"
    assert data["omitted"] == [
        "Data governance and protection",
        "Accessibility",
        "Environmental impact",
        "Changes to the system",
        "Correction, suspension and remedy",
    ]


# The demo's procurement answers flag PRO-03, PRO-07, PRO-11, PRO-13, PRO-18 and PRO-19, no right is rated at
# this stage, and the system's level is III (from scoping): so no data governance, accessibility,
# environment, change or correction clause.
EXPECTED_DEMO_CLAUSES = [
    "scope",
    "transparency_buyer",
    "transparency_people",
    "human_oversight",
    "subcontracting",
    "fairness_reaudit",
    "audit_access",
    "incident_notification",
    "portability",
    "retirement_deletion",
]
