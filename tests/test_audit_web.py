"""The fairness audit on an assessment: upload, map the columns, run in the background, read the results."""

import hashlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import csrf_token, form_fields

from hria.domain import jobs
from hria.domain.models import Evidence, FairnessAudit
from hria.extensions import db


def outputs_csv(n=2000, seed=5) -> bytes:
    rng = np.random.default_rng(seed)
    race = rng.choice(["Black", "White", "Other"], n, p=[0.45, 0.45, 0.10])
    y = rng.integers(0, 2, n)
    # the model flags Black people who did not reoffend far more often
    flagged = np.where(y == 1, rng.random(n) < 0.7, rng.random(n) < np.where(race == "Black", 0.45, 0.2))
    df = pd.DataFrame(
        {
            "two_year_recid": y,
            "high_risk": flagged.astype(int),
            "race": race,
            "sex": rng.choice(["Female", "Male"], n),
            "decile_score": rng.integers(1, 11, n),
        }
    )
    return df.to_csv(index=False).encode()


def upload(client, assessment_id, content: bytes, name="outputs.csv"):
    page = client.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    return client.post(
        f"/assessments/{assessment_id}/audits/upload",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def run_audit(client, assessment_id, content: bytes, **mapping):
    response = upload(client, assessment_id, content)
    assert response.status_code == 302, response.get_data(as_text=True)
    configure_url = response.headers["Location"]
    page = client.get(configure_url).get_data(as_text=True)
    data = form_fields(page)
    data.update({"score": "", "min_group_size": "30", "confidence": "0.95", **mapping})
    return configure_url, page, client.post(configure_url, data=data)


def test_upload_guess_run_and_read_results(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    content = outputs_csv()
    _configure_url, page, response = run_audit(
        client,
        world.assessments["a"],
        content,
        y_true="two_year_recid",
        y_pred="high_risk",
        score="",
        sensitive_features=["race", "sex"],
        reference="race=White",
        min_group_size="30",
        confidence="0.95",
    )
    # the mapping form guessed the usual column names
    assert re.search(r'<option selected value="two_year_recid">', page)
    assert re.search(r'checked[^>]*value="race"|value="race"[^>]*checked', page)
    assert hashlib.sha256(content).hexdigest() in page
    assert response.status_code == 302
    audit_url = response.headers["Location"]
    jobs.wait_all(timeout=60)

    body = client.get(audit_url).get_data(as_text=True)
    assert "What the audit found" in body
    assert hashlib.sha256(content).hexdigest() in body
    assert re.search(r"Race Black: false positive rate 4\d\.\d % against 2\d\.\d % for race White", body)
    assert "<svg" in body and "whisker" in body
    with app.app_context():
        record = db.session.get(FairnessAudit, int(audit_url.rsplit("/", 1)[1]))
        assert record.status == "done"
        result = json.loads(record.result)
        black = next(g for g in result["groups"] if g["group"] == {"race": "Black"})
        assert black["count"] == 914  # rows of outputs_csv() with race Black
        fpr = next(
            d
            for d in result["disparities"]
            if d["metric"] == "false_positive_rate" and d["group"] == {"race": "Black"}
        )
        assert fpr["verdict"] == "disparity"
        stored = app.config["UPLOAD_FOLDER"] + "/" + record.evidence.sha256[:2] + "/" + record.evidence.sha256
        assert Path(stored).read_bytes() == content


def test_the_page_names_the_adjustment_and_shows_raw_and_adjusted_verdicts(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    _url, page, response = run_audit(
        client,
        world.assessments["a"],
        outputs_csv(),
        y_true="two_year_recid",
        y_pred="high_risk",
        sensitive_features=["race", "sex"],
        multiple_comparisons="bh",
    )
    assert 'value="holm" selected' in page or '<option selected value="holm">' in page
    jobs.wait_all(timeout=60)
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        record = db.session.get(FairnessAudit, int(response.headers["Location"].rsplit("/", 1)[1]))
        result = json.loads(record.result)
    tested = sum(d["p_value"] is not None for d in result["disparities"])
    raw = sum(d["verdict"] == "disparity" for d in result["disparities"])
    adjusted = sum(d["adjusted_verdict"] == "disparity" for d in result["disparities"])
    assert result["parameters"]["multiple_comparisons"] == "bh"
    assert (
        f"{tested} comparisons were judged together, adjusted by Benjamini–Hochberg (false discovery rate)"
        in body
    )
    assert f"{raw} disparities before the adjustment, {adjusted} after it" in body
    assert '<th scope="col">Adjusted verdict</th>' in body and '<th scope="col">Detectable</th>' in body


def test_progress_page_asks_for_progress_instead_of_reloading(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    with app.app_context():
        record = db.session.get(FairnessAudit, world.audits["a"])
        record.status, record.progress = "running", "500,000 rows counted…"
        db.session.commit()
    body = client.get(f"/audits/{world.audits['a']}").get_data(as_text=True)
    assert "http-equiv" not in body  # a page that reloads itself every 2 s loses the reader's place
    assert f'data-poll="/audits/{world.audits["a"]}/status"' in body
    assert '<p role="status" aria-live="polite">' in body and "500,000 rows counted…" in body
    assert client.get(f"/audits/{world.audits['a']}/status").get_json() == {
        "status": "running",
        "progress": "500,000 rows counted…",
    }
    assert client.get(f"/audits/{world.audits['b']}/status").status_code == 404  # another city's


@pytest.mark.browser
def test_the_progress_changes_in_place_and_the_results_load_when_done(app, world):
    from browser import chromium_page, live_server, sign_in
    from conftest import PASSWORD
    from playwright.sync_api import expect

    def set_state(status: str, progress: str) -> None:
        with app.app_context():
            record = db.session.get(FairnessAudit, world.audits["a"])
            record.status, record.progress = status, progress
            db.session.commit()

    set_state("running", "1 of 3 groups counted")
    with live_server(app) as base, chromium_page() as page:
        sign_in(page, base, world.users["procurer_a"], PASSWORD)
        page.goto(f"{base}/audits/{world.audits['a']}")
        page.evaluate("window.stillTheSamePage = true")
        set_state("running", "2 of 3 groups counted")
        expect(page.locator("[data-poll-progress]")).to_have_text("2 of 3 groups counted", timeout=10000)
        assert page.evaluate("window.stillTheSamePage") is True  # changed in place, not reloaded
        set_state("failed", "")
        page.wait_for_selector("text=The audit could not be completed.", timeout=10000)
        assert page.evaluate("window.stillTheSamePage === undefined")


def test_bad_mapping_is_explained_and_nothing_runs(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    _, _, response = run_audit(
        client,
        world.assessments["a"],
        outputs_csv(),
        y_true="two_year_recid",
        y_pred="",
        score="",
        sensitive_features=[],
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose at least one protected attribute." in body
    assert "Choose the model&#39;s decision column, or a score column and a threshold." in body
    with app.app_context():
        assert db.session.query(FairnessAudit).filter_by(assessment_id=world.assessments["a"]).count() == 1


def test_failed_audit_says_why(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    _, _, response = run_audit(
        client,
        world.assessments["a"],
        outputs_csv(),
        y_true="two_year_recid",
        y_pred="race",
        sensitive_features=["sex"],
    )
    jobs.wait_all(timeout=60)
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The audit could not be completed." in body
    assert "The decision column &#39;race&#39; must be binary" in body


def test_double_submitted_mapping_runs_once(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    response = upload(client, world.assessments["a"], outputs_csv())
    url = response.headers["Location"]
    data = form_fields(client.get(url).get_data(as_text=True))
    data.update(
        y_true="two_year_recid",
        y_pred="high_risk",
        score="",
        sensitive_features=["race"],
        min_group_size="30",
        confidence="0.95",
    )
    client.post(url, data=data)
    second = client.post(url, data=data, follow_redirects=True)
    jobs.wait_all(timeout=60)
    assert "already started: the form was sent twice" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(FairnessAudit).filter_by(assessment_id=world.assessments["a"]).count() == 2


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"\x80\x04\x95pickle\x00\x00data", "not a text table"),
    ],
)
def test_unusable_uploads_are_refused_and_not_kept(app, client, world, auth, content, message):
    auth.login(world.users["procurer_a"])
    response = upload(client, world.assessments["a"], content, "bad.csv")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in page
    with app.app_context():
        assert db.session.query(Evidence).filter_by(filename="bad.csv").count() == 0
    import os

    leftovers = [f for _, _, files in os.walk(app.config["UPLOAD_FOLDER"]) for f in files]
    assert leftovers == []


def test_too_large_upload_gets_413(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    response = upload(client, world.assessments["a"], outputs_csv(5000))
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)


def test_invited_vendor_uploads_oversight_only_reads(app, client, world, auth):
    auth.login(world.users["vendor_a"])
    assert upload(client, world.assessments["a"], outputs_csv()).status_code == 302
    auth.logout()
    auth.login(world.users["oversight_a"])
    assert upload(client, world.assessments["a"], outputs_csv()).status_code == 403
    assert client.get(f"/audits/{world.audits['a']}").status_code == 200


def test_evidence_download_for_those_who_may_see_it(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    content = outputs_csv(300)
    response = upload(client, world.assessments["a"], content)
    evidence_id = int(response.headers["Location"].rsplit("/", 1)[1])
    download = client.get(f"/evidence/{evidence_id}/download")
    assert download.status_code == 200 and download.data == content
    auth.logout()
    auth.login(world.users["procurer_b"])
    assert client.get(f"/evidence/{evidence_id}/download").status_code == 404


def test_repeated_header_names_are_explained_on_the_form(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    text = "outcome,decision,race,score,score\n" + "\n".join(
        f"{i % 2},{i % 3 == 0:d},{'ab'[i % 2]},{i},{i}" for i in range(100)
    )
    _configure_url, page, response = run_audit(
        client,
        world.assessments["a"],
        text.encode(),
        y_true="outcome",
        y_pred="",
        score="score",
        threshold="50",
        sensitive_features=["race"],
    )
    assert '<th scope="col">score</th>' in page
    assert (
        "The header repeats column names: &#39;score&#39; twice (columns 4, 5). Those columns cannot be "
        "chosen "
        "until the copies are renamed in the file."
    ) in page
    assert response.status_code == 200
    assert "The file&#39;s header names “score” more than once" in response.get_data(as_text=True)
    _, _, ok = run_audit(
        client,
        world.assessments["a"],
        text.encode(),
        y_true="outcome",
        y_pred="decision",
        sensitive_features=["race"],
    )
    assert ok.status_code == 302


def test_disparities_feed_the_risk_register_and_the_plan(app, client, world, auth):
    from hria.domain.models import Finding, RemediationAction

    auth.login(world.users["procurer_a"])
    _, _, _response = run_audit(
        client,
        world.assessments["a"],
        outputs_csv(),
        y_true="two_year_recid",
        y_pred="high_risk",
        sensitive_features=["race"],
        reference="race=White",
    )
    jobs.wait_all(timeout=60)
    with app.app_context():
        finding = db.session.query(Finding).filter_by(assessment_id=world.assessments["a"]).one()
        assert finding.right == "equality" and finding.source == "fairness_audit"
        assert "false positive rate of race Black" in finding.text
        action = db.session.query(RemediationAction).filter_by(finding_id=finding.id).one()
        assert action.status == "open" and action.paragraph == "§50(d), §63(d)"
    risks = client.get(f"/assessments/{world.assessments['a']}/risks").get_data(as_text=True)
    assert "Equality and non-discrimination" in risks and "false positive rate of race Black" in risks
    plan = client.get(f"/assessments/{world.assessments['a']}/remediation").get_data(as_text=True)
    assert "Investigate the disparities found by fairness audit" in plan


def proxy_csv(n=3000, seed=9) -> bytes:
    rng = np.random.default_rng(seed)
    race = rng.choice(["Black", "White"], n)
    postcode_signal = (race == "Black") + rng.normal(scale=0.3, size=n)
    income, tenure = rng.normal(size=n), rng.normal(size=n)
    risk = 2 * income + 1.5 * postcode_signal + 0.2 * tenure
    df = pd.DataFrame(
        {
            "outcome": rng.integers(0, 2, n),
            "flagged": (risk > np.median(risk)).astype(int),
            "race": race,
            "postcode_index": postcode_signal.round(3),
            "income": income.round(3),
            "tenure": tenure.round(3),
        }
    )
    return df.to_csv(index=False).encode()


def test_explanation_beside_the_audit(app, client, world, auth):
    from hria.domain.models import Finding

    auth.login(world.users["procurer_a"])
    aid = world.assessments["a"]
    _, _, response = run_audit(
        client, aid, proxy_csv(), y_true="outcome", y_pred="flagged", sensitive_features=["race"]
    )
    jobs.wait_all(timeout=60)
    audit_page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(/assessments/\d+/explanations/new/\d+)"', audit_page).group(1)
    page = client.get(link).get_data(as_text=True)
    # the audit's mapping is carried over: the outcome and the decision are not offered as features
    assert re.search(r'checked[^>]*value="income"|value="income"[^>]*checked', page)
    assert not re.search(
        r'checked[^>]*value="outcome"|value="outcome"[^>]*checked', page.split("Features the model saw")[1]
    )
    data = form_fields(page)
    data.update(
        output="flagged",
        sensitive_features=["race"],
        features=["postcode_index", "income", "tenure"],
        sample="1000",
    )
    started = client.post(link, data=data)
    assert started.status_code == 302, started.get_data(as_text=True)[:3000]
    jobs.wait_all(timeout=120)
    body = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "Fidelity:" in body and "faithful" in body
    assert "What drives the decisions" in body
    assert "postcode_index predicts race" in body
    with app.app_context():
        rights = {
            f.right for f in db.session.query(Finding).filter_by(assessment_id=aid, source="explanation")
        }
        assert rights == {"equality", "privacy"}


def test_a_result_kept_before_power_and_adjustment_still_reads(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    _url, _page, response = run_audit(
        client,
        world.assessments["a"],
        outputs_csv(),
        y_true="two_year_recid",
        y_pred="high_risk",
        sensitive_features=["race"],
    )
    jobs.wait_all(timeout=60)
    new = ("detectable_difference", "rows_needed", "p_value", "adjusted_p_value", "adjusted_verdict")
    with app.app_context():
        record = db.session.get(FairnessAudit, int(response.headers["Location"].rsplit("/", 1)[1]))
        old = json.loads(record.result)
        del old["parameters"]["multiple_comparisons"], old["labelled"], old["metrics_needing_labels"]
        old["disparities"] = [{k: v for k, v in d.items() if k not in new} for d in old["disparities"]]
        db.session.execute(
            FairnessAudit.__table__.update()
            .where(FairnessAudit.id == record.id)
            .values(result=json.dumps(old))
        )
        db.session.commit()
        raw = sum(d["verdict"] == "disparity" for d in old["disparities"])
    page = client.get(response.headers["Location"])
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The verdicts were not adjusted for multiple comparisons." in body
    assert f'<span class="verdict verdict-disparity">{raw}</span> disparities' in body
