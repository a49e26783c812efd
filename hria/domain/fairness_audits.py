"""What a fairness audit or explanation job computes, and how its result is kept (run by hria.domain.jobs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app

import fairness
from fairness.explain import explain
from hria.domain import risk_register
from hria.domain.evidence import path_of
from hria.domain.models import FairnessAudit, utcnow

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


def _describe(d, confidence: float) -> str:
    group = ", ".join(f"{k} {v}" for k, v in d.group.items())
    reference = ", ".join(f"{k} {v}" for k, v in d.reference.items())
    if d.ratio is None:
        gap = f"difference {d.difference * 100:+.1f} points"
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
