"""Turning an audit result into what a person reads: findings in plain words and chart data."""

from __future__ import annotations

import math

from fairness import DISPARITY, INCONCLUSIVE, METRIC_LABELS, NO_EVIDENCE, TOO_SMALL
from fairness import compare as comparison
from fairness.analysis import DECISION_ONLY_WARNING, INTERSECTION
from fairness.power import HOLM, METHOD_LABELS
from fairness.ratios import counts_array, min_events, not_estimable
from fairness.scales import rate_axis, threshold_band, tick_label

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
    """A comparison in one sentence: the two rates, then the ratio with its interval, or the difference
    with its interval and why the ratio is not estimable."""
    label = METRIC_LABELS[d["metric"]]
    name = group_name(d["group"])
    unestimable = d.get("ratio_not_estimable")
    if d["ratio"] is not None and not unestimable:
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
        difference = "undefined" if d["difference"] is None else f"{d['difference'] * 100:+.1f} points"
        gap = f"a difference of {difference}{interval}"
        if unestimable:
            gap += f"; the ratio is {unestimable}"
    return (
        f"{name[:1].upper() + name[1:]}: {label} {_pct(d['value'])} against {_pct(d['reference_value'])} "
        f"for {group_name(d['reference'])}, {gap}."
    )


def with_ratio_notes(result: dict) -> dict:
    """The result with ``ratio_not_estimable`` on every comparison: results kept before the engine wrote it
    get it from their groups' counts, by the same rule (``fairness.ratios``)."""
    if all("ratio_not_estimable" in d for d in result["disparities"]):
        return result
    if not all("counts" in g for g in result["groups"]):
        return result  # no counts to apply the rule to: the sentences say what they always said
    counts = {(g["family"], _key(g["group"])): counts_array(g["counts"]) for g in result["groups"]}
    confidence = result["parameters"]["confidence"]
    disparities = []
    for d in result["disparities"]:
        if "ratio_not_estimable" not in d:
            group, reference = (
                counts[d["family"], _key(d["group"])],
                counts[d["family"], _key(d["reference"])],
            )
            note = not_estimable(d["metric"], group, reference, confidence)
            d = d | {"ratio_not_estimable": note}
            if note:
                d["ratio_interval"] = [None, None]
        disparities.append(d)
    return result | {"disparities": disparities}


def _key(group: dict) -> tuple:
    return tuple(sorted(group.items()))


def reference_sentence(result: dict) -> str:
    """Which group each comparison is made against, and how it was chosen, in one sentence."""
    parameters = result["parameters"]
    basis = parameters.get("reference_basis", {})
    parts = []
    for family, reference in parameters.get("references", {}).items():
        how = basis.get(family)
        named = group_name(reference) + (f" ({how})" if how else "")
        parts.append(f"for the intersections, {named}" if family == INTERSECTION else named)
    return "Reference groups: " + "; ".join(parts) + "." if parts else ""


def adjusted_verdict(d: dict) -> str | None:
    """The verdict after the multiple-comparison adjustment; results kept before it existed had none."""
    return d.get("adjusted_verdict", d["verdict"])


def adjustment_sentence(result: dict) -> str:
    """How the verdicts of one audit were adjusted for its many comparisons, in one sentence."""
    method = result["parameters"].get("multiple_comparisons")
    if method is None:
        return "The verdicts were not adjusted for multiple comparisons."
    judged = [d for d in result["disparities"] if d["verdict"]]
    tested = sum(d.get("p_value") is not None for d in judged)
    raw = sum(d["verdict"] == DISPARITY for d in judged)
    kept = sum(adjusted_verdict(d) == DISPARITY for d in judged)
    return (
        f"{tested} comparisons were adjusted together by {METHOD_LABELS[method]}: {raw} disparities before "
        f"the adjustment, {kept} after it."
    )


def present(result: dict) -> dict:
    result = with_ratio_notes(result)
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
    charts = [
        rate_chart(result, family, metric)
        for family in families
        for metric in CHART_METRICS
        if metric not in needing_labels
    ]
    return {
        **result,
        "confidence": confidence,
        "findings": [{"sentence": finding_sentence(d, confidence), **d} for d in findings],
        "reference_sentence": reference_sentence(result),
        "min_events": min_events(confidence),
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
        "score_charts": score_charts(result),
        "labelled": result.get("labelled", True),
        # the page states this in its own notice
        "warnings": [w for w in result["warnings"] if w != DECISION_ONLY_WARNING],
        "needing_labels": [METRIC_LABELS[m] for m in result.get("metrics_needing_labels", [])],
    }


def rate_chart(result: dict, family: str, metric: str) -> dict:
    """One metric's bars for the groups of one family, on an axis scaled to them (``fairness.scales``), with
    the reference group's rate as a line and the band of rates within the ratio thresholds of it."""
    groups = [g for g in result["groups"] if g["family"] == family]
    reference = result["parameters"].get("references", {}).get(family)
    bars = [
        {
            "name": group_name(g["group"]),
            "value": g[metric],
            "low": g["intervals"][metric][0],
            "high": g["intervals"][metric][1],
            "small": g["too_small"],
            "reference": g["group"] == reference,
        }
        for g in groups
    ]
    reference_rate = next((bar["value"] for bar in bars if bar["reference"]), None)
    ratio_threshold = result["parameters"]["ratio_threshold"]
    band = threshold_band(reference_rate, ratio_threshold)
    # the axis follows the rates and their intervals; the band is cut at its end rather than widening it
    top, ticks = rate_axis([v for bar in bars for v in (bar["value"], bar["high"])])
    return {
        "family": family,
        "metric": metric,
        "label": METRIC_LABELS[metric],
        "bars": bars,
        "top": top,
        "ticks": [(tick, tick_label(tick)) for tick in ticks],
        "reference_name": group_name(reference) if reference else None,
        "reference_rate": reference_rate,
        "band": band,
        "band_label": f"{ratio_threshold:.2f}–{1 / ratio_threshold:.2f}",
    }


def monitoring(audits: list[tuple]) -> list[dict]:
    """The audits of one system grouped into series (same definitions), each disparity drawn over time.

    ``audits`` are (record, result) pairs, oldest first. A series of two or more audits gives one line per
    group and charted metric against the reference: each audit's difference with its interval and adjusted
    verdict, and whether it changed since the audit before (``fairness.compare``).
    """
    series: dict[str, list[tuple]] = {}
    for record, result in audits:
        series.setdefault(comparison.definition(result), []).append((record, result))
    return [_series(members) for members in series.values() if len(members) > 1]


def _series(members: list[tuple]) -> dict:
    lines: dict[str, dict] = {}
    for position, (record, result) in enumerate(members):
        changes = {}
        if position:
            earlier = members[position - 1][1]
            changes = {_line_key(c.__dict__): c for c in comparison.compare(earlier, result, CHART_METRICS)}
        for d in result["disparities"]:
            if d["family"] == INTERSECTION or d["metric"] not in CHART_METRICS or d["verdict"] is None:
                continue
            line = lines.setdefault(
                _line_key(d),
                {
                    "metric": d["metric"],
                    "label": METRIC_LABELS[d["metric"]],
                    "group": group_name(d["group"]),
                    "reference": group_name(d["reference"]),
                    "threshold": result["parameters"]["difference_threshold"],
                    "points": [],
                },
            )
            change = changes.get(_line_key(d))
            low, high = d["difference_interval"]
            line["points"].append(
                {
                    "audit_id": record.id,
                    "date": record.created_at.strftime("%Y-%m-%d"),
                    "value": d["difference"],
                    "low": low,
                    "high": high,
                    "verdict": adjusted_verdict(d),
                    "change": bool(change and change.changed),
                    "reasons": change.reasons if change else [],
                }
            )
    drawn = [line | {"changed": any(p["change"] for p in line["points"])} for line in lines.values()]
    drawn.sort(key=lambda line: (not line["changed"], CHART_METRICS.index(line["metric"]), line["group"]))
    columns = members[-1][1]["columns"]
    return {
        "outcome": columns["y_true"],
        "decision": columns["y_pred"] or f"{columns['score']} ≥ {columns['threshold']}",
        "attributes": columns["sensitive_features"],
        "audits": [
            {"id": r.id, "date": r.created_at.strftime("%Y-%m-%d"), "filename": r.evidence.filename}
            for r, _ in members
        ],
        "lines": drawn,
        "changes": sum(p["change"] for line in drawn for p in line["points"]),
        "scale": _scale(drawn),
    }


def _line_key(d: dict) -> str:
    return f"{d['metric']}|{sorted(d['group'].items())}|{sorted(d['reference'].items())}"


def _scale(lines: list[dict]) -> float:
    """The half-height of the charts of a series: every interval and threshold fits, in steps of 0.05."""
    extent = max(
        [line["threshold"] for line in lines]
        + [abs(v) for line in lines for p in line["points"] for v in (p["value"], p["low"], p["high"]) if v]
        + [0.05]
    )
    return math.ceil(extent * 20) / 20


SWEEP_METRICS = ("selection_rate", "false_positive_rate", "true_positive_rate")


def score_charts(result: dict) -> list[dict]:
    """Calibration by score band and the threshold sweep, per protected attribute: one line per group.

    Each chart carries its own rows for the table beside it, so the figures are readable without the
    picture.
    """
    scores = result.get("scores")
    if not scores:
        return []
    out: list[dict] = []
    families = [f for f in dict.fromkeys(g["family"] for g in result["groups"]) if f != INTERSECTION]
    thresholds = scores["thresholds"]
    for family in families:
        calibration = [c for c in scores["calibration"] if c["family"] == family]
        bands = sorted({b["band"] for c in calibration for b in c["bands"]})
        out.append(
            {
                "id": f"calibration-{len(out)}",
                "kind": "calibration",
                "title": f"Calibration by score band, by {family}",
                "x_label": "score band, lowest first (deciles of all scores; ranges in the table)",
                "y_label": "observed positive rate",
                "x": [_band_label(b, scores["decile_edges"]) for b in bands],
                "ticks": [str(position + 1) for position in range(len(bands))],
                "series": [
                    {
                        "name": group_name(c["group"]),
                        "values": [_band_value(c["bands"], b) for b in bands],
                    }
                    for c in calibration
                ],
            }
        )
        sweeps = [s for s in scores["threshold_sweep"] if s["family"] == family]
        for metric in SWEEP_METRICS:
            out.append(
                {
                    "id": f"sweep-{len(out)}",
                    "kind": "sweep",
                    "title": f"{METRIC_LABELS[metric].capitalize()} at each threshold, by {family}",
                    "x_label": "threshold (a score at or above it is a positive decision)",
                    "y_label": METRIC_LABELS[metric],
                    "x": [f"{t:.3g}" for t in thresholds],
                    "ticks": [f"{t:.3g}" for t in thresholds],
                    "series": [
                        {"name": group_name(s["group"]), "values": [p[metric] for p in s["points"]]}
                        for s in sweeps
                    ],
                }
            )
    return out


def _band_label(band: int, edges: list[float]) -> str:
    low = edges[band - 1] if band > 0 else None
    high = edges[band] if band < len(edges) else None
    if low is None:
        return f"{band + 1}: below {high:.3g}"
    if high is None:
        return f"{band + 1}: {low:.3g} and above"
    return f"{band + 1}: {low:.3g} to below {high:.3g}"


def _band_value(rows: list[dict], band: int) -> float | None:
    row = next((r for r in rows if r["band"] == band), None)
    return None if row is None else row["observed_rate"]
