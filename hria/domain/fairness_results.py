"""Turning an audit result into what a person reads: findings in plain words and chart data."""

from __future__ import annotations

from fairness import DISPARITY, INCONCLUSIVE, METRIC_LABELS, NO_EVIDENCE, TOO_SMALL
from fairness.analysis import DECISION_ONLY_WARNING, INTERSECTION
from fairness.power import HOLM, METHOD_LABELS

CHART_METRICS = ("selection_rate", "false_positive_rate", "false_negative_rate", "true_positive_rate")
PRIORITY = {
    m: i
    for i, m in enumerate(
        ("false_positive_rate", "false_negative_rate", "selection_rate", "true_positive_rate", "precision")
    )
}
TABLE_METRICS = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision",
    "accuracy",
)


def group_name(group: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in group.items())


def _pct(value) -> str:
    return "undefined" if value is None else f"{value * 100:.1f} %"


def finding_sentence(d: dict, confidence: float) -> str:
    label = METRIC_LABELS[d["metric"]]
    name = group_name(d["group"])
    if d["ratio"] is not None:
        low, high = d["ratio_interval"]
        interval = (
            f" ({confidence:.0%} interval of the ratio {low:.2f}–{high:.2f})" if low is not None else ""
        )
        gap = f"{d['ratio']:.2f} times as much{interval}"
    else:
        low, high = d["difference_interval"]
        interval = (
            f" ({confidence:.0%} interval {low * 100:+.1f} to {high * 100:+.1f})" if low is not None else ""
        )
        gap = f"a difference of {d['difference'] * 100:+.1f} points{interval}"
    return (
        f"{name[:1].upper() + name[1:]}: {label} {_pct(d['value'])} against {_pct(d['reference_value'])} "
        f"for {group_name(d['reference'])}, {gap}."
    )


def adjusted_verdict(d: dict) -> str | None:
    """The verdict after the multiple-comparison adjustment; results kept before it existed had none."""
    return d.get("adjusted_verdict", d["verdict"])


def present(result: dict) -> dict:
    confidence = result["parameters"]["confidence"]
    method = result["parameters"].get("multiple_comparisons", "none")
    judged = [d for d in result["disparities"] if d["verdict"]]
    findings = [d for d in judged if adjusted_verdict(d) == DISPARITY]
    # the rates people argue about first, then the largest gaps
    findings.sort(
        key=lambda d: (
            d["family"] == INTERSECTION,
            PRIORITY.get(d["metric"], len(PRIORITY)),
            -abs(d["difference"] or 0),
        )
    )
    families = list(dict.fromkeys(g["family"] for g in result["groups"]))
    needing_labels = set(result.get("metrics_needing_labels", []))
    charts = []
    for family in families:
        groups = [g for g in result["groups"] if g["family"] == family]
        for metric in (m for m in CHART_METRICS if m not in needing_labels):
            bars = [
                {
                    "name": group_name(g["group"]),
                    "value": g[metric],
                    "low": g["intervals"][metric][0],
                    "high": g["intervals"][metric][1],
                    "small": g["too_small"],
                }
                for g in groups
            ]
            charts.append({"family": family, "metric": metric, "label": METRIC_LABELS[metric], "bars": bars})
    return {
        **result,
        "confidence": confidence,
        "findings": [{"sentence": finding_sentence(d, confidence), **d} for d in findings],
        "counts": {
            verdict: sum(adjusted_verdict(d) == verdict for d in judged)
            for verdict in (DISPARITY, INCONCLUSIVE, NO_EVIDENCE, TOO_SMALL)
        },
        "raw_disparities": sum(d["verdict"] == DISPARITY for d in judged),
        "tested": sum(d.get("p_value") is not None for d in judged),
        "method": method,
        "method_label": METHOD_LABELS.get(method, METHOD_LABELS[HOLM]),
        "families": families,
        "charts": charts,
        "table_metrics": [(m, METRIC_LABELS[m]) for m in TABLE_METRICS if m not in needing_labels],
        "labelled": result.get("labelled", True),
        # the page states this in its own notice
        "warnings": [w for w in result["warnings"] if w != DECISION_ONLY_WARNING],
        "needing_labels": [METRIC_LABELS[m] for m in result.get("metrics_needing_labels", [])],
    }
