"""Running a fairness audit in the background and keeping its result."""

from __future__ import annotations

import json

from flask import current_app

import fairness
from fairness.explain import explain
from hria.domain import risk_register, trail
from hria.domain.evidence import path_of
from hria.domain.models import FairnessAudit, utcnow
from hria.extensions import db

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
AUDIT, EXPLANATION = "audit", "explanation"


def run(audit_id: int) -> None:
    record = db.session.get(FairnessAudit, audit_id)
    if record is None or record.status != QUEUED:
        return
    actor = record.created_by.email if record.created_by else "system"
    with trail.acting_as(actor, record.created_by_id):
        record.status, record.started_at, record.progress = RUNNING, utcnow(), "Reading the file…"
        db.session.commit()
        settings = json.loads(record.settings)
        try:
            if record.kind == EXPLANATION:
                explanation = explain(path_of(record.evidence.sha256), **settings)
                record.progress = f"{explanation.rows:,} rows explained."
                _record_proxy_findings(record, explanation)
                record.result = explanation.to_json()
            else:
                result = fairness.audit(
                    path_of(record.evidence.sha256),
                    progress=lambda rows: _progress(audit_id, rows),
                    **settings,
                )
                record.progress = f"{result.rows:,} rows audited."
                _record_findings(record, result)
                record.result = result.to_json()
            record.status = DONE
        except fairness.InputError as error:
            record.status, record.error = FAILED, str(error)
        except Exception:
            current_app.logger.exception("Fairness audit %s failed", audit_id)
            record.status = FAILED
            record.error = (
                "The audit stopped because of an error on our side. Nothing is lost; try running it again."
            )
        record.finished_at = utcnow()
        db.session.commit()


def _progress(audit_id: int, rows: int) -> None:
    # Progress is transient display state, so it is written around the event trail, not through it.
    db.session.execute(
        FairnessAudit.__table__.update()
        .where(FairnessAudit.id == audit_id)
        .values(progress=f"{rows:,} rows counted…")
    )
    db.session.commit()


def fail_interrupted() -> int:
    """Audits left queued or running by a stopped server are marked failed, so nobody waits forever."""
    stuck = db.session.query(FairnessAudit).filter(FairnessAudit.status.in_([QUEUED, RUNNING])).all()
    for record in stuck:
        record.status = FAILED
        record.error = "The server stopped before this audit finished. Run it again."
        record.finished_at = utcnow()
    db.session.commit()
    return len(stuck)


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
