"""`hria explain`: explanations of a model's outputs from the command line."""

from __future__ import annotations

import click

from fairness import InputError
from fairness.explain import explain
from hria.cli.fairness import emit, fail


def _columns(text: str | None) -> list[str] | None:
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def render_text(result) -> str:
    f = result.fidelity
    out = [
        f"{result.rows:,} rows; surrogate fitted to '{result.target}' from {len(result.features)} features; "
        f"SHAP on a stratified sample of {result.sample_size:,} rows.",
        "",
        (
            f"Fidelity: {f.measure} {f.value:.3f} (bar {f.threshold:.2f}) — "
            f"{'faithful' if f.passed else 'NOT faithful'}"
        ),
        f"  {f.message}",
    ]
    out += [f"Warning: {w}" for w in result.warnings]
    title = (
        "Global importance (mean |SHAP|)"
        if result.explains_model
        else "Importance in the surrogate (not an explanation of the model: fidelity is below the bar)"
    )
    out += ["", title]
    width = max(len(r["feature"]) for r in result.global_importance)
    out += [
        (
            f"  {r['feature']:<{width}}  {r['mean_abs_shap']:.4f}  {r['share']:6.1%}  "
            f"{'#' * round(r['share'] * 40)}"
        )
        for r in result.global_importance
    ]
    if result.explains_model:
        out += ["", "What pushes each group towards the positive output (mean SHAP, largest first)"]
        for g in result.per_group:
            top = sorted(g["mean_shap"].items(), key=lambda kv: -kv[1])[:3]
            out.append(
                f"  {g['attribute']}={g['group']} ({g['count']} rows): "
                + ", ".join(f"{k} {v:+.3f}" for k, v in top)
            )
        out += ["", "Individual explanations"]
        out += [f"  row {e['row']} (output {e['output']}): {e['text']}" for e in result.individual]
    out += ["", f"Proxies ({result.parameters['proxy_measure']})"]
    for p in result.proxies[:15]:
        auc = "—" if p["auc"] is None else f"{p['auc']:.3f}"
        out.append(f"  {p['feature']} → {p['attribute']} ({p['group']}): AUC {auc}")
    flagged = [x for x in result.flags if x["flagged"]]
    out += ["", f"Flags: {len(flagged)} feature(s) both strong proxies and important in the decisions"]
    out += [f"  - {x['text']}" for x in result.flags]
    return "\n".join(out)


@click.command(
    "explain", help="Explain a model's outputs from its features: surrogate fidelity, SHAP, proxies."
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--prediction", help="Column of the model's binary decisions.")
@click.option("--score", help="Column of the model's scores.")
@click.option(
    "--sensitive", "sensitive", multiple=True, required=True, help="A protected attribute (repeat)."
)
@click.option("--features", help="The columns the model saw, comma-separated (default: all others).")
@click.option("--exclude", help="Columns to leave out of the default features, comma-separated.")
@click.option("--positive-label", help="Value(s) of the decision meaning positive, comma-separated.")
@click.option("--use-sensitive", is_flag=True, help="The model used the protected attributes: include them.")
@click.option("--sample", default=2000, show_default=True, type=int, help="Rows given SHAP attributions.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--json", "json_path", help="Write the full result as JSON to this path ('-' for standard output)."
)
def explain_command(
    file,
    prediction,
    score,
    sensitive,
    features,
    exclude,
    positive_label,
    use_sensitive,
    sample,
    seed,
    json_path,
) -> None:
    if features and exclude:
        fail("Give --features or --exclude, not both.")
    try:
        result = explain(
            file,
            prediction,
            score=score,
            sensitive_features=list(sensitive),
            features=_columns(features),
            exclude=_columns(exclude),
            pos_label=positive_label,
            use_sensitive=use_sensitive,
            sample=sample,
            random_state=seed,
        )
    except InputError as error:
        fail(str(error))
    emit(result, render_text, json_path)
