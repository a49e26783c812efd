"""Audits over time: two audits with the same definitions compared, and the change found with its interval."""

import json
import math

import pytest
from click.testing import CliRunner
from conftest import answer_everything
from test_fairness_verdicts import groups_with_rates

from fairness import DISPARITY, NO_EVIDENCE, InputError, audit
from fairness.compare import compare
from hria.cli import main
from hria.extensions import db


def run(rate_b: float, n_bootstrap=2000):
    df = groups_with_rates({"a": (3000, 0.5), "b": (2000, rate_b)})
    return audit(
        df, "outcome", "decision", sensitive_features="group", n_bootstrap=n_bootstrap, random_state=3
    )


def selection(changes, group="b"):
    return next(c for c in changes if c.metric == "selection_rate" and c.group == {"group": group})


def test_a_later_interval_excluding_the_earlier_estimate_is_a_change():
    earlier, later = run(0.47), run(0.30)
    change = selection(compare(earlier.to_dict(), later.to_dict()))
    assert change.earlier == pytest.approx(-0.03) and change.later == pytest.approx(-0.20)
    assert change.change == pytest.approx(-0.17)
    assert change.changed
    assert change.earlier_verdict == NO_EVIDENCE and change.later_verdict == DISPARITY
    assert len(change.reasons) == 2 and "excludes the earlier difference -0.030" in change.reasons[0]
    e_low, e_high = earlier.disparities[0].difference_interval
    l_low, l_high = later.disparities[0].difference_interval
    half = math.hypot((e_high - e_low) / 2, (l_high - l_low) / 2)
    assert change.change_interval == pytest.approx([-0.17 - half, -0.17 + half])
    assert 0.035 < half < 0.045  # two intervals of about ±0.028 each


def test_the_same_rates_again_are_no_change():
    first, again = run(0.47), run(0.47)
    assert not any(c.changed for c in compare(first.to_dict(), again.to_dict()))


def test_audits_with_other_definitions_are_not_compared():
    earlier = run(0.47).to_dict()
    df = groups_with_rates({"a": (3000, 0.5), "b": (2000, 0.47)})
    other = audit(df, "outcome", "decision", sensitive_features="group", reference={"group": "b"})
    with pytest.raises(InputError, match="same definitions"):
        compare(earlier, other.to_dict())


def test_the_cli_prints_and_writes_the_changes(tmp_path):
    earlier_csv, later_csv = tmp_path / "q1.csv", tmp_path / "q3.csv"
    groups_with_rates({"a": (3000, 0.5), "b": (2000, 0.47)}).to_csv(earlier_csv, index=False)
    groups_with_rates({"a": (3000, 0.5), "b": (2000, 0.30)}).to_csv(later_csv, index=False)
    args = ["--label", "outcome", "--prediction", "decision", "--sensitive", "group"]
    earlier_json, later_json = tmp_path / "q1.json", tmp_path / "q3.json"
    first = CliRunner().invoke(main, ["audit", str(earlier_csv), *args, "--json", str(earlier_json)])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(
        main, ["audit", str(later_csv), *args, "--compare", str(earlier_json), "--json", str(later_json)]
    )
    assert second.exit_code == 0, second.output
    assert f"Changes since {earlier_json}:" in second.output
    assert "no evidence of disparity → disparity" in second.output
    data = json.loads(later_json.read_text())
    moved = next(
        c for c in data["comparison"] if c["metric"] == "selection_rate" and c["group"] == {"group": "b"}
    )
    assert moved["changed"] and moved["change"] == pytest.approx(-0.17)
    assert moved["change_interval"][1] < 0
    not_json = tmp_path / "notes.json"
    not_json.write_text("[1, 2]")
    refused = CliRunner().invoke(main, ["audit", str(later_csv), *args, "--compare", str(not_json)])
    assert refused.exit_code == 2 and "is not the JSON of an audit" in refused.output


def monitored_system(app, world, make_assessment, rates):
    """An approved operation-stage assessment of system a with one audit of the same definitions per rate of
    group b, a month apart; gives the operation assessment's id and the audits' ids."""
    from datetime import datetime

    from hria.domain import evidence, fairness_audits, jobs, workflow
    from hria.domain.models import Assessment, FairnessAudit, User

    operation_id = make_assessment("a", stage="operation", status="in_progress")
    ids = []
    with app.app_context():
        procurer = db.session.query(User).filter_by(email=world.users["procurer_a"]).one()
        board = db.session.query(User).filter_by(email=world.users["oversight_a"]).one()
        answer_everything(operation_id)
        operation = db.session.get(Assessment, operation_id)
        for user, step in ((procurer, "submit"), (board, "start_review"), (board, "approve")):
            workflow.apply(user, operation, step)
        db.session.commit()
        for month, rate in enumerate(rates, start=1):
            frame = groups_with_rates({"a": (3000, 0.5), "b": (2000, rate)})
            stored = evidence.store_bytes(
                frame.to_csv(index=False).encode(),
                f"month-{month}.csv",
                operation,
                "model_outputs",
                procurer.id,
            )
            record = FairnessAudit(
                assessment=operation,
                evidence=stored,
                kind=fairness_audits.AUDIT,
                status=fairness_audits.QUEUED,
                created_by_id=procurer.id,
                created_at=datetime(2026, month, 1),
                settings=json.dumps(
                    {
                        "y_true": "outcome",
                        "y_pred": "decision",
                        "sensitive_features": ["group"],
                        "n_bootstrap": 500,
                    }
                ),
            )
            db.session.add(record)
            db.session.commit()
            jobs.run(record.id)
            ids.append(record.id)
    return operation_id, ids


def test_a_change_is_a_finding_notifies_the_oversight_body_and_makes_the_review_due(
    app, client, world, auth, make_assessment
):
    from datetime import date

    from hria.domain import tracking
    from hria.domain.models import Finding, Notification, System, User

    _operation, (_first, second, third) = monitored_system(app, world, make_assessment, [0.50, 0.50, 0.43])
    with app.app_context():
        changes = db.session.query(Finding).filter_by(source="fairness_change").all()
        assert [f.source_id for f in changes] == [third]  # nothing changed between the first two
        assert f"shows 4 changes since audit {second}" in changes[0].text
        assert (
            "selection rate of group b against a: difference +0.0 → -7.0 points, a change of -7.0 (interval "
            "-11.1 to -2.9); the later interval -0.101 to -0.040 excludes the earlier difference +0.000; the "
            "verdict moved from no evidence of disparity to inconclusive"
        ) in changes[0].text
        board = db.session.query(User).filter_by(email=world.users["oversight_a"]).one()
        vendor = db.session.query(User).filter_by(email=world.users["vendor_a"]).one()
        told = db.session.query(Notification).filter_by(user_id=board.id).all()
        assert [n.comment.target for n in told] == [f"finding:{changes[0].id}"]
        assert not db.session.query(Notification).filter_by(user_id=vendor.id).count()
        procurer = db.session.query(User).filter_by(email=world.users["procurer_a"]).one()
        _entries, due, reason = tracking.timeline(procurer, db.session.get(System, world.systems["a"]))
        assert (
            due == date.today() and reason == "A monitoring audit found a change in a disparity: review now."
        )
    auth.login(world.users["oversight_a"])
    page = client.get(f"/systems/{world.systems['a']}").get_data(as_text=True)
    assert "Monitoring: disparities over time" in page
    assert "3 audits from 2026-01-01 to 2026-03-01" in page and "<strong>4 changes</strong> detected" in page
    assert page.count('class="point point-change"') == 4
    assert "Selection rate: group b against group a — <strong>changed</strong>" in page
    assert '<tr class="changed"><th scope="row">2026-03-01</th>' in page
    assert "excludes the earlier difference +0.000" in page
    auth.logout()
    auth.login(world.users["procurer_b"])
    assert client.get(f"/systems/{world.systems['a']}").status_code == 404
