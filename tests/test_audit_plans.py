"""Audit plans fixed before the data is uploaded: hashed into the trail, followed or deviated from."""

import hashlib
import json
import re

import pytest
from conftest import csrf_token, form_fields
from test_audit_web import outputs_csv, upload
from test_fairness_verdicts import groups_with_rates

from fairness import InputError, audit
from fairness.plans import AuditPlan, deviations
from hria.domain import jobs
from hria.domain.models import AuditPlan as PlanRecord
from hria.domain.models import Event, FairnessAudit
from hria.extensions import db

PLAN = AuditPlan(
    sensitive_features=["group"],
    metrics=["selection_rate", "false_positive_rate"],
    reference={"group": "a"},
    min_group_size=30,
    period="January 2026",
    population="every applicant",
)


def test_the_plan_is_hashed_as_canonical_json():
    text = PLAN.canonical()
    assert text.startswith('{"confidence":0.95,"difference_threshold":0.1,"metrics":["selection_rate",')
    assert PLAN.sha256() == hashlib.sha256(text.encode()).hexdigest()
    assert AuditPlan.from_json(text) == PLAN
    changed = AuditPlan(**{**json.loads(text), "min_group_size": 31})
    assert changed.sha256() != PLAN.sha256()


def test_an_audit_as_planned_has_no_deviation_and_each_departure_is_named():
    df = groups_with_rates({"a": (500, 0.5), "b": (400, 0.4)})
    planned = audit(df, "outcome", "decision", **PLAN.audit_settings())
    assert deviations(PLAN, planned.to_dict()) == []
    other = audit(
        df,
        "outcome",
        "decision",
        **(PLAN.audit_settings() | {"min_group_size": 50, "reference": {"group": "b"}}),
    )
    assert deviations(PLAN, other.to_dict()) == [
        "Smallest group judged: planned 30; used 50.",
        "Reference group of group: planned a; used b.",
    ]
    unlabelled = audit(df, None, "decision", **PLAN.audit_settings())
    assert deviations(PLAN, unlabelled.to_dict()) == [
        "Metrics planned but not judged: false positive rate (the audit had no observed outcomes)."
    ]


def test_a_plan_without_metrics_or_with_an_unknown_one_is_refused():
    with pytest.raises(InputError, match="not fairness"):
        AuditPlan(sensitive_features=["group"], metrics=["fairness"])


def fix_plan(client, assessment_id, **fields):
    url = f"/assessments/{assessment_id}/audit-plans"
    page = client.get(url).get_data(as_text=True)
    data = (
        form_fields(page)
        | {
            "title": "Quarterly monitoring",
            "sensitive_features": "race, sex",
            "metrics": ["selection_rate", "false_positive_rate"],
            "reference": "race=White",
            "difference_threshold": "0.1",
            "ratio_threshold": "0.8",
            "min_group_size": "30",
            "confidence": "0.95",
            "multiple_comparisons": "holm",
            "period": "2026 Q1",
            "population": "all applicants",
            "csrf_token": csrf_token(page),
        }
        | fields
    )
    return client.post(url, data=data)


def run_with(client, assessment_id, content, **changes):
    response = upload(client, assessment_id, content)
    configure_url = response.headers["Location"]
    page = client.get(configure_url).get_data(as_text=True)
    data = form_fields(page)
    data.update(
        {
            "y_true": "two_year_recid",
            "y_pred": "high_risk",
            "score": "",
            # what the browser sends back of the fields the plan filled in
            "reference": re.search(r'name="reference"[^>]*value="([^"]*)"', page).group(1),
            "plan": re.search(r'<option selected value="(\d*)">', page).group(1),
            "sensitive_features": re.findall(r'checked[^>]*value="([^"]+)"', page),
            **changes,
        }
    )
    return page, client.post(configure_url, data=data)


def test_a_plan_fixed_before_upload_is_followed_by_one_audit_and_deviated_from_by_another(
    app, client, world, auth
):
    auth.login(world.users["vendor_a"])
    page = client.get(f"/assessments/{world.assessments['a']}/audit-plans").get_data(as_text=True)
    assert "Fix a plan" not in page  # the buyer and its oversight body fix plans; a vendor reads them
    refused = client.post(
        f"/assessments/{world.assessments['a']}/audit-plans",
        data={"csrf_token": csrf_token(page), "title": "x"},
    )
    assert refused.status_code == 403
    auth.logout()
    auth.login(world.users["oversight_a"])
    assert "Fix a plan" in client.get(f"/assessments/{world.assessments['a']}/audit-plans").get_data(
        as_text=True
    )
    auth.logout()
    auth.login(world.users["procurer_a"])
    response = fix_plan(client, world.assessments["a"])
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.query(PlanRecord).one()
        assert plan.sha256 == hashlib.sha256(plan.content.encode()).hexdigest()
        event = db.session.query(Event).filter_by(object_type="audit_plan", object_id=plan.id).one()
        assert plan.sha256 in event.after
        sha256 = plan.sha256
    page, followed = run_with(client, world.assessments["a"], outputs_csv())
    assert "Quarterly monitoring (SHA-256" in page and '<option selected value="1">' in page
    _page, deviated = run_with(client, world.assessments["a"], outputs_csv(seed=6), min_group_size="50")
    jobs.wait_all(timeout=60)
    assert followed.status_code == deviated.status_code == 302
    first = client.get(followed.headers["Location"]).get_data(as_text=True)
    assert "Audit plan: as planned" in first and sha256 in first
    assert "Intended data: 2026 Q1; all applicants." in first
    second = client.get(deviated.headers["Location"]).get_data(as_text=True)
    assert "Audit plan: 1 deviation" in second
    assert "<li>Smallest group judged: planned 30; used 50.</li>" in second
    with app.app_context():
        assert [
            a.plan_id for a in db.session.query(FairnessAudit).filter(FairnessAudit.plan_id.isnot(None))
        ] == [
            plan.id,
            plan.id,
        ]
    with app.app_context():
        from hria.domain import reporting
        from hria.domain.models import Assessment

        followed_entry, deviated_entry = reporting._checks(
            db.session.get(Assessment, world.assessments["a"])
        )[0]
    assert followed_entry["plan_sha256"] == sha256
    assert followed_entry["plan"].startswith(
        "The audit followed the audit plan “Quarterly monitoring” fixed "
    )
    assert followed_entry["plan"].endswith(f"(SHA-256 {sha256}) as planned.")
    assert deviated_entry["plan"].endswith("Smallest group judged: planned 30; used 50.")
    assert "adjusted together by Holm (family-wise error rate)" in followed_entry["adjustment"]
    summary = client.get(f"/audit-plans/{plan.id}").get_data(as_text=True)
    assert "<strong>as planned</strong>" in summary and "1 deviation: Smallest group judged" in summary
    auth.logout()
    auth.login(world.users["procurer_b"])
    assert client.get(f"/audit-plans/{plan.id}").status_code == 404
