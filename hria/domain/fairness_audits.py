"""What a fairness audit or explanation job computes, and how its result is kept (run by hria.domain.jobs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

import fairness
from fairness import compare as comparison
from fairness.explain import explain
from fairness.plans import AuditPlan as Plan
from fairness.plans import deviations
from hria.domain import access, comments, risk_register
from hria.domain.evidence import path_of
from hria.domain.models import Assessment, AuditPlan, FairnessAudit, System, User, utcnow
from hria.domain.vocabulary import Role
from hria.extensions import db

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
AUDIT, EXPLANATION = "audit", "explanation"


@dataclass
class Outcome:
    """What running a job produced: a result, or the error to show instead."""

    result: Any = None
    error: str = ""


def compute(record: FairnessAudit, progress: Callable[[str], None]) -> Outcome:
    """Run the audit or explanation of ``record``; nothing is written here but progress."""
    settings = json.loads(record.settings)
    path = path_of(record.evidence.sha256)
    try:
        if record.kind == EXPLANATION:
            return Outcome(result=explain(path, **settings))
        return Outcome(
            result=fairness.audit(path, progress=lambda rows: progress(f"{rows:,} rows counted…"), **settings)
        )
    except fairness.InputError as error:
        return Outcome(error=str(error))
    except Exception:
        current_app.logger.exception("Fairness audit %s failed", record.id)
        return Outcome(
            error="The audit stopped because of an error on our side. Nothing is lost; try running it again."
        )


def record_outcome(record: FairnessAudit, outcome: Outcome) -> None:
    """Keep the result and its findings on the record (the caller commits, once)."""
    # The record's fields are all set before the findings are added: adding one flushes, and the trail
    # is to show the record's change as one event.
    record.finished_at = utcnow()
    if outcome.error:
        record.status, record.error = FAILED, outcome.error
        return
    result = outcome.result
    record.result, record.status = result.to_json(), DONE
    if record.kind == EXPLANATION:
        record.progress = f"{result.rows:,} rows explained."
        _record_proxy_findings(record, result)
    else:
        record.progress = f"{result.rows:,} rows audited."
        # a change is recorded first: it is what sets the next review due
        _record_changes(record, result.to_dict())
        _record_findings(record, result)


KEY_METRICS = (
    "false_positive_rate",
    "false_negative_rate",
    "selection_rate",
    "true_positive_rate",
    "precision",
)
SHOWN_IN_FINDING = 6


def _record_findings(record: FairnessAudit, result: fairness.AuditResult) -> None:
    """Disparities go to the risk register under equality and non-discrimination, with an action."""
    found = [d for d in result.findings() if d.metric in KEY_METRICS]
    if not found:
        return
    single = [d for d in found if d.family != "intersection"]
    shown = sorted(single or found, key=lambda d: (KEY_METRICS.index(d.metric), -abs(d.difference or 0)))
    lines = [_describe(d, result.parameters["confidence"]) for d in shown[:SHOWN_IN_FINDING]]
    more = len(found) - len(lines)
    text = (
        f"Fairness audit {record.id} of {record.evidence.filename} found {len(found)} disparities: "
        + "; ".join(lines)
        + (f"; and {more} more." if more > 0 else ".")
    )
    risk_register.add_finding(
        record.assessment,
        "equality",
        "fairness_audit",
        record.id,
        text,
        remediation=(
            f"Investigate the disparities found by fairness audit {record.id}: check the features and the "
            f"threshold that drive them, give the groups concerned human review of adverse decisions, "
            f"and audit again after the change."
        ),
        paragraph="§50(d), §63(d)",
    )


CHANGE_SOURCE = "fairness_change"


def series_of(system: System, assessment_ids: list[int] | None = None) -> list[tuple[FairnessAudit, dict]]:
    """The finished audits of a system (of the given assessments only, if named), oldest first, with their
    results; each audit's place in a series is given by ``comparison.definition`` of its result."""
    query = (
        select(FairnessAudit)
        .join(Assessment, Assessment.id == FairnessAudit.assessment_id)
        .where(
            Assessment.system_id == system.id,
            FairnessAudit.kind == AUDIT,
            FairnessAudit.status == DONE,
            FairnessAudit.result.isnot(None),
        )
        .order_by(FairnessAudit.created_at, FairnessAudit.id)
    )
    if assessment_ids is not None:
        query = query.where(FairnessAudit.assessment_id.in_(assessment_ids))
    return [(record, json.loads(record.result or "null")) for record in db.session.scalars(query)]


def previous_in_series(record: FairnessAudit, result: dict) -> tuple[FairnessAudit, dict] | None:
    """The latest earlier audit of the same system with the same definitions."""
    key = comparison.definition(result)
    earlier = [
        (other, data)
        for other, data in series_of(record.assessment.system)
        if other.id != record.id
        and (other.created_at, other.id) < (record.created_at, record.id)
        and comparison.definition(data) == key
    ]
    return earlier[-1] if earlier else None


def _record_changes(record: FairnessAudit, result: dict) -> None:
    """A change since the previous audit of the series is a finding, sets the next review due at once (see
    ``tracking.timeline``) and is posted on the finding's thread, which notifies the buyer and its oversight
    body."""
    previous = previous_in_series(record, result)
    if previous is None:
        return
    earlier, data = previous
    changed = [c for c in comparison.compare(data, result, KEY_METRICS) if c.changed]
    if not changed:
        return
    changed.sort(key=lambda c: (c.family == "intersection", KEY_METRICS.index(c.metric), -abs(c.change or 0)))
    lines = [_describe_change(c) for c in changed[:SHOWN_IN_FINDING]]
    more = len(changed) - len(lines)
    text = (
        f"Fairness audit {record.id} of {record.evidence.filename} shows {len(changed)} "
        f"{'change' if len(changed) == 1 else 'changes'} since audit "
        f"{earlier.id} of {earlier.evidence.filename}: "
        + "; ".join(lines)
        + (f"; and {more} more." if more > 0 else ".")
    )
    finding = risk_register.add_finding(
        record.assessment,
        "equality",
        CHANGE_SOURCE,
        record.id,
        text,
        remediation=(
            f"Review the system now: find what changed between audits {earlier.id} and {record.id} (the "
            f"population, the data or the model) and whether the groups concerned need human review."
        ),
        paragraph="§56(c), §63(d)",
    )
    if record.created_by is not None:
        comments.post(record.assessment, record.created_by, f"finding:{finding.id}", f"Monitoring: {text}")


def _describe_change(c: comparison.Change) -> str:
    group = ", ".join(f"{k} {v}" for k, v in c.group.items())
    low, high = c.change_interval
    interval = (
        f" (interval {low * 100:+.1f} to {high * 100:+.1f})" if low is not None and high is not None else ""
    )
    return (
        f"{fairness.METRIC_LABELS[c.metric]} of {group} against {', '.join(c.reference.values())}: "
        f"difference {_points(c.earlier)} → {_points(c.later)} points, a change of "
        f"{_points(c.change)}{interval}; {'; '.join(c.reasons)}"
    )


def _points(value: float | None) -> str:
    """A difference of rates in percentage points; a verdict can move where a rate is undefined."""
    return "undefined" if value is None else f"{value * 100:+.1f}"


def _describe(d, confidence: float) -> str:
    group = ", ".join(f"{k} {v}" for k, v in d.group.items())
    reference = ", ".join(f"{k} {v}" for k, v in d.reference.items())
    if d.ratio is None or d.ratio_not_estimable:
        gap = f"difference {d.difference * 100:+.1f} points"
        if d.ratio_not_estimable:
            gap += f"; ratio {d.ratio_not_estimable}"
    else:
        low, high = d.ratio_interval
        gap = f"ratio {d.ratio:.2f}" + (
            f", {confidence:.0%} interval {low:.2f}–{high:.2f}" if low is not None else ""
        )
    return (
        f"{fairness.METRIC_LABELS[d.metric]} of {group} {d.value:.1%} against {d.reference_value:.1%} for "
        f"{reference} ({gap})"
    )


REVEALING_AUC = 0.85  # a proxy this strong also reveals the protected attribute itself


def _record_proxy_findings(record: FairnessAudit, result) -> None:
    """Features that are strong proxies and important in the decisions go to the risk risk_register."""
    flagged = [f for f in result.flags if f["flagged"]]
    if not flagged:
        return
    caveat = "" if result.explains_model else " (the surrogate is not faithful enough to speak for the model)"
    text = (
        f"Explanation {record.id} of {record.evidence.filename}{caveat}: "
        + "; ".join(f["text"].rstrip(".") for f in flagged)
        + "."
    )
    risk_register.add_finding(
        record.assessment,
        "equality",
        "explanation",
        record.id,
        text,
        remediation=(
            f"Review the proxies found by explanation {record.id} "
            f"({', '.join(f['feature'] for f in flagged)}): "
            f"remove them or show that they are needed and do not produce disparities."
        ),
        paragraph="§50(d), §63(c)",
    )
    revealing = [f for f in flagged if f["auc"] >= REVEALING_AUC]
    if revealing:
        risk_register.add_finding(
            record.assessment,
            "privacy",
            "explanation",
            record.id,
            f"Explanation {record.id}: "
            + "; ".join(f"{f['feature']} reveals {f['attribute']} (AUC {f['auc']:.2f})" for f in revealing)
            + ": protected data is processed indirectly.",
            remediation=(
                "Treat these features as protected data: check the legal basis for processing "
                "them, or remove them."
            ),
            paragraph="§50(a), §61(d)",
        )


def may_fix_plan(user: User, assessment: Assessment) -> bool:
    """The buyer's procurers, and the oversight bodies of the buyer (who may ask a vendor for an audit)."""
    if user.role == Role.PROCURER:
        return access.can_manage_system(user, assessment.system)
    return user.role == Role.OVERSIGHT and access.takes_part(user, assessment)


def fix_plan(assessment: Assessment, user: User, title: str, plan: Plan) -> AuditPlan:
    """Keep a plan as its canonical JSON and that text's SHA-256; both go into the hash-chained trail."""
    record = AuditPlan(
        assessment=assessment,
        title=title.strip(),
        content=plan.canonical(),
        sha256=plan.sha256(),
        created_by_id=user.id,
    )
    db.session.add(record)
    db.session.flush()
    return record


def plans_of(assessment: Assessment) -> list[AuditPlan]:
    return list(
        db.session.scalars(
            select(AuditPlan).where(AuditPlan.assessment_id == assessment.id).order_by(AuditPlan.id)
        )
    )


def plan_status(record: FairnessAudit, result: dict) -> dict | None:
    """Whether the audit followed its plan: "as planned", or each deviation in words."""
    if record.plan is None:
        return None
    plan = Plan.from_json(record.plan.content)
    found = deviations(plan, result)
    if record.plan.created_at > record.evidence.uploaded_at:
        found.insert(0, "The plan was fixed after the data was uploaded, not before.")
    return {
        "id": record.plan.id,
        "title": record.plan.title,
        "sha256": record.plan.sha256,
        "fixed_at": record.plan.created_at,
        "followed": not found,
        "deviations": found,
        "period": plan.period,
        "population": plan.population,
    }


def plan_sentence(record: FairnessAudit, result: dict) -> str:
    """Whether the audit followed its plan, in one sentence for the report."""
    status = plan_status(record, result)
    if status is None:
        return "The audit was not run under an audit plan."
    fixed = (
        f"the audit plan “{status['title']}” fixed {status['fixed_at']:%Y-%m-%d} (SHA-256 {status['sha256']})"
    )
    if status["followed"]:
        return f"The audit followed {fixed} as planned."
    return f"The audit deviated from {fixed}: " + " ".join(status["deviations"])
