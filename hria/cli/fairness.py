"""`hria audit`: the fairness audit of an outputs file from the command line."""

from __future__ import annotations

import json
import sys

import click

import fairness
from fairness import compare as comparison
from fairness import power as stats
from fairness.analysis import INTERSECTION
from fairness.serialise import to_json

TEXT_METRICS = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "precision",
)
SHORT = {
    "selection_rate": "selected",
    "true_positive_rate": "TPR",
    "false_positive_rate": "FPR",
    "false_negative_rate": "FNR",
    "precision": "precision",
    "accuracy": "accuracy",
}


def parse_reference(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    reference = {}
    for part in text.split(","):
        if "=" not in part:
            raise click.BadParameter(f"'{part}' should look like column=value.", param_hint="--reference")
        column, value = part.split("=", 1)
        reference[column.strip()] = value.strip()
    return reference


def _pct(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def _interval(pair) -> str:
    low, high = pair
    return "" if low is None else f"[{low:.3f}, {high:.3f}]"


def _name(group: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in group.items())


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def render_text(result: fairness.AuditResult) -> str:
    out = [
        f"{result.rows} rows audited"
        + (f" ({result.rows_read - result.rows} left out)" if result.rows_read != result.rows else "")
        + f"; intervals at {result.parameters['confidence']:.0%}."
    ]
    out += [f"Warning: {w}" for w in result.warnings]
    out.append("\nGroups")
    rows = []
    for g in result.groups:
        rows.append(
            [_name(g.group), str(g.count), f"{g.share:.1%}"]
            + [f"{_pct(g.metrics[m])} {_interval(g.intervals[m])}" for m in TEXT_METRICS[:3]]
            + [_pct(g.metrics["accuracy"]), "too small" if g.too_small else ""]
        )
    out.append(_table(["group", "rows", "share", "selected", "TPR", "FPR", "accuracy", ""], rows))
    method = result.parameters["multiple_comparisons"]
    out.append(
        f"\nDisparities against the reference group (adjusted for multiple comparisons: "
        f"{stats.METHOD_LABELS[method]}; 'detectable' is the smallest difference the data could detect "
        f"at 80 % power, 'more rows' how many the group needs to detect "
        f"{result.parameters['difference_threshold']:.2f})"
    )
    out.append(_references(result))
    shown = [d for d in result.disparities if d.metric in TEXT_METRICS]
    rows = [_disparity_row(d) for d in shown]
    out.append(
        _table(
            [
                "group",
                "reference",
                "metric",
                "difference",
                "ratio",
                "detectable",
                "more rows",
                "verdict",
                "adjusted p",
                "adjusted verdict",
            ],
            rows,
        )
    )
    unestimable = _unestimable(shown)
    if unestimable:
        out.append("Ratios not estimable (the verdict rests on the difference):")
        out += unestimable
    out.append("\nImpact ratios (NYC Local Law 144: selection rate over the most-selected group's)")
    rows = [
        [
            r.family if r.family != INTERSECTION else "intersection",
            _name(r.group),
            _pct(r.selection_rate),
            "excluded (<{:.0%} of rows)".format(result.parameters["impact_ratio_min_share"])
            if r.excluded
            else _pct(r.impact_ratio),
        ]
        for r in result.impact_ratios
    ]
    out.append(_table(["by", "group", "selection rate", "impact ratio"], rows))
    out.append("\nSummary (as fairlearn computes it, over all sensitive columns together)")
    out += [f"  {name.replace('_', ' ')}: {_pct(value)}" for name, value in result.summary.items()]
    findings = result.findings()
    judged = [d for d in result.disparities if d.verdict]
    raw = sum(d.verdict == fairness.DISPARITY for d in judged)
    tested = sum(d.p_value is not None for d in judged)
    out.append(
        f"\n{raw} disparities found with the whole interval beyond the threshold; {len(findings)} remain "
        f"after adjusting {tested} comparisons ({stats.METHOD_LABELS[method]}). "
        f"{sum(d.adjusted_verdict == fairness.INCONCLUSIVE for d in judged)} inconclusive, "
        f"{sum(d.verdict == fairness.TOO_SMALL for d in judged)} too small to judge."
    )
    return "\n".join(out)


def _ratio(d: fairness.Disparity) -> str:
    if d.ratio_not_estimable:
        return "not estimable*"
    return f"{d.ratio:.3f} {_interval(d.ratio_interval)}" if d.ratio is not None else "—"


def _unestimable(disparities: list[fairness.Disparity]) -> list[str]:
    """Why each ratio marked "not estimable*" in the table could not be estimated."""
    return [
        f"  * {_name(d.group)}, {SHORT[d.metric]}: {d.ratio_not_estimable.removeprefix('not estimable: ')}"
        for d in disparities
        if d.ratio_not_estimable
    ]


def _references(result: fairness.AuditResult) -> str:
    basis = result.parameters.get("reference_basis", {})
    named = [
        ("for the intersections, " if family == INTERSECTION else "") + f"{_name(group)} ({basis[family]})"
        for family, group in result.parameters["references"].items()
    ]
    return "Reference groups: " + "; ".join(named)


def _disparity_row(d: fairness.Disparity) -> list[str]:
    return [
        _name(d.group),
        _name(d.reference),
        SHORT[d.metric],
        f"{d.difference:+.3f} {_interval(d.difference_interval)}" if d.difference is not None else "—",
        _ratio(d),
        _pct(d.detectable_difference),
        "—" if d.rows_needed is None else f"{d.rows_needed:,}",
        d.verdict or "",
        "" if d.adjusted_p_value is None else f"{d.adjusted_p_value:.3g}",
        d.adjusted_verdict or "",
    ]


@click.command(
    "audit", help="Audit a table of model outputs (CSV or Parquet) for differences between groups."
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--label",
    help="Column of observed outcomes. Without it the audit is of decisions alone: selection rates and "
    "impact ratios only (error rates, precision and accuracy need outcomes).",
)
@click.option("--prediction", help="Column of the model's binary decisions.")
@click.option("--score", help="Column of the model's scores (with --threshold).")
@click.option("--threshold", type=float, help="A score at or above it is a positive decision.")
@click.option(
    "--sensitive", "sensitive", multiple=True, required=True, help="A protected attribute column (repeat)."
)
@click.option("--positive-label", help="Value(s) of the label meaning positive, comma-separated.")
@click.option(
    "--prediction-positive", help="Value(s) of the prediction meaning positive (default: --positive-label)."
)
@click.option("--reference", help="Reference groups, e.g. 'race=Caucasian,sex=Male' (default: the largest).")
@click.option("--min-group-size", default=30, show_default=True, type=int)
@click.option("--confidence", default=0.95, show_default=True, type=float)
@click.option("--bootstrap", default=1000, show_default=True, type=int, help="Resamples for the intervals.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--multiple-comparisons",
    type=click.Choice(stats.METHODS),
    default=stats.HOLM,
    show_default=True,
    help="Adjust the verdicts over all comparisons: Holm (family-wise), bh (Benjamini–Hochberg) or none.",
)
@click.option(
    "--compare",
    "earlier_path",
    type=click.Path(dir_okay=False, exists=True),
    help="An earlier audit's JSON (from --json) of the same system with the same columns: print and "
    "write what changed, with an interval for each change.",
)
@click.option(
    "--json", "json_path", help="Write the full result as JSON to this path ('-' for standard output)."
)
def audit_command(
    file,
    label,
    prediction,
    score,
    threshold,
    sensitive,
    positive_label,
    prediction_positive,
    reference,
    min_group_size,
    confidence,
    bootstrap,
    seed,
    multiple_comparisons,
    earlier_path,
    json_path,
) -> None:
    if not prediction and not score:
        fail("Give --prediction COLUMN, or --score COLUMN with --threshold.")
    try:
        result = fairness.audit(
            file,
            label,
            prediction,
            sensitive_features=list(sensitive),
            score=score,
            threshold=threshold,
            pos_label=positive_label,
            pred_pos_label=prediction_positive,
            reference=parse_reference(reference),
            min_group_size=min_group_size,
            confidence=confidence,
            n_bootstrap=bootstrap,
            random_state=seed,
            multiple_comparisons=multiple_comparisons,
        )
        changes = _compare_with(earlier_path, result) if earlier_path else None
    except fairness.InputError as error:
        fail(str(error))
    if changes is None:
        emit(result, render_text, json_path)
    else:
        emit(
            _WithComparison(result, changes),
            lambda r: render_text(r.result) + "\n" + render_changes(r.changes, earlier_path),
            json_path,
        )


def _compare_with(earlier_path: str, result: fairness.AuditResult) -> list[comparison.Change]:
    try:
        with open(earlier_path, encoding="utf-8") as handle:
            earlier = json.load(handle)
        if not isinstance(earlier, dict) or "disparities" not in earlier or "columns" not in earlier:
            raise ValueError
    except (OSError, ValueError):
        raise fairness.InputError(
            f"{earlier_path} is not the JSON of an audit: write one with hria audit … --json FILE."
        ) from None
    return comparison.compare(earlier, result.to_dict())


class _WithComparison:
    """An audit result whose JSON carries its comparison with an earlier audit."""

    def __init__(self, result: fairness.AuditResult, changes: list[comparison.Change]):
        self.result, self.changes = result, changes

    def to_json(self, **kwargs) -> str:
        data = self.result.to_dict() | {"comparison": comparison.changes_to_dict(self.changes)}
        return to_json(data, **kwargs)


def render_changes(changes: list[comparison.Change], earlier_path: str) -> str:
    changed = [c for c in changes if c.changed]
    out = [
        f"\nChanges since {earlier_path}: {len(changed)} of {len(changes)} comparisons changed "
        f"(the later interval excludes the earlier difference, or the verdict moved)"
    ]
    rows = [
        [
            _name(c.group),
            SHORT.get(c.metric, c.metric),
            _pct(c.earlier),
            _pct(c.later),
            f"{c.change:+.3f} {_interval(c.change_interval)}" if c.change is not None else "—",
            f"{c.earlier_verdict or '—'} → {c.later_verdict or '—'}",
            "; ".join(c.reasons),
        ]
        for c in changed
    ]
    out.append(_table(["group", "metric", "earlier", "later", "change", "verdict", "why"], rows))
    return "\n".join(out)


def emit(result, render, json_path: str | None) -> None:
    """The result as JSON on standard output ('-'), or as text, with the JSON also written to a file."""
    if json_path == "-":
        click.echo(result.to_json(indent=2))
        return
    click.echo(render(result))
    if json_path:
        with open(json_path, "w", encoding="utf-8") as handle:
            handle.write(result.to_json(indent=2))
        click.echo(f"\nFull result written to {json_path}")


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)
