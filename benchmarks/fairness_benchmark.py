"""Fairness engine against fairlearn's MetricFrame, on the same data in the same run.

    .venv/bin/python benchmarks/fairness_benchmark.py [--rows 1000000] [--big-rows 10000000]

Prints each timing, the ratios the targets are stated in, and checks the values agree.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fairness import METRIC_NAMES, audit
from fairness.analysis import _add_power, _adjust, _bootstrap, _groups, _references
from fairness.counts import CellCounts
from fairness.loading import coded

METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate", "accuracy")


def make_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    race = rng.choice(["A", "B", "C", "D", "E"], rows, p=[0.4, 0.25, 0.15, 0.12, 0.08])
    sex = rng.choice(["F", "M", "X"], rows, p=[0.49, 0.49, 0.02])
    y = (rng.random(rows) < 0.35).astype(np.int8)
    p = np.where(rng.random(rows) < 0.8, y, 1 - y).astype(np.int8)
    return pd.DataFrame({"y": y, "p": p, "race": race, "sex": sex})


def timed(label, func, *args, **kwargs):
    start = time.perf_counter()
    value = func(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"  {label:<58} {seconds:8.3f} s")
    return value, seconds


def fairlearn_frame(df):
    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetricFrame(
            metrics={
                "selection_rate": selection_rate,
                "true_positive_rate": true_positive_rate,
                "false_positive_rate": false_positive_rate,
                "false_negative_rate": false_negative_rate,
                "accuracy": accuracy_score,
            },
            y_true=df["y"],
            y_pred=df["p"],
            sensitive_features=df[["race", "sex"]],
        )


def compare(frame, result) -> float:
    ours = {(g.group["race"], g.group["sex"]): g.metrics for g in result.groups if g.family == "intersection"}
    worst = 0.0
    for key, row in frame.by_group.iterrows():
        for metric in METRICS:
            worst = max(worst, abs(row[metric] - ours[key][metric]))
    return worst


def peak_memory_of(command: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=10_000_000, help="0 skips the memory check")
    args = parser.parse_args()
    df = make_frame(args.rows)
    print(f"{args.rows:,} rows, 5 × 3 sensitive values (15 intersectional groups), 5 metrics")

    print("\n1. Group metrics on an in-memory frame")
    frame, t_fairlearn = timed("fairlearn MetricFrame", fairlearn_frame, df)
    result, t_ours = timed(
        "fairness.audit (no bootstrap)",
        audit,
        df,
        "y",
        "p",
        sensitive_features=["race", "sex"],
        n_bootstrap=0,
    )
    print(f"  largest difference from fairlearn: {compare(frame, result):.2e}")
    print(f"  ratio: {t_fairlearn / t_ours:,.0f}× faster than MetricFrame (target ≥ 100×)")

    print("\n2. Bootstrap")
    cells = CellCounts(columns=("race", "sex"))
    cells.add({"race": coded(df["race"]), "sex": coded(df["sex"])}, df["y"].to_numpy(), df["p"].to_numpy())
    _, membership, _ = _groups(cells)
    _, t_boot = timed(
        "1,000 resamples of the counts (23 groups, 12 metrics)", _bootstrap, cells.counts, membership, 1000, 0
    )
    print(f"  target: within 1 s → {'met' if t_boot <= 1 else 'missed'}")

    print("\n2b. Power and multiple-comparison adjustment (added to every audit)")
    families, membership, descriptors = _groups(cells.canonical())
    group_counts = membership @ cells.canonical().counts
    references = _references(families, descriptors, group_counts, None)
    full = audit(df, "y", "p", sensitive_features=["race", "sex"], n_bootstrap=200)

    def power_and_adjustment():
        _add_power(
            METRIC_NAMES, full.disparities, families, references, group_counts, full.groups, 0.95, (0.8, 0.1)
        )
        _adjust(full.disparities, "holm", 0.05)

    timed(
        f"detectable differences, p-values, Holm ({len(full.disparities)} comparisons)", power_and_adjustment
    )

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "outputs.csv"
        df.to_csv(path, index=False)
        print(f"\n3. End to end on a {args.rows:,}-row CSV ({path.stat().st_size / 1e6:.0f} MB)")
        _, t_read = timed("pandas.read_csv alone", pd.read_csv, path)
        _, t_audit = timed(
            "fairness.audit(path) with 1,000 bootstrap resamples",
            audit,
            str(path),
            "y",
            "p",
            sensitive_features=["race", "sex"],
        )
        hria = Path(sys.executable).with_name("hria")
        _, t_cli = timed(
            "hria audit (a new process, imports included)",
            subprocess.run,
            [
                str(hria),
                "audit",
                str(path),
                "--label",
                "y",
                "--prediction",
                "p",
                "--sensitive",
                "race",
                "--sensitive",
                "sex",
                "--json",
                os.devnull,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        _, t_read_cli = timed(
            "python -c 'pandas.read_csv(...)' (a new process)",
            subprocess.run,
            [sys.executable, "-c", f"import pandas; pandas.read_csv({str(path)!r})"],
            check=True,
        )
        print(
            f"  ratio to reading alone: {t_audit / t_read:.2f}× in process; {t_cli / t_read_cli:.2f}× as "
            f"commands, each in a new process (target ≤ 2×)"
        )

        if args.big_rows:
            big = Path(folder) / "big.csv"
            print(f"\n4. Peak memory on a {args.big_rows:,}-row CSV")
            chunk = make_frame(1_000_000, seed=1)
            for i in range(args.big_rows // 1_000_000):
                chunk.to_csv(big, index=False, header=i == 0, mode="w" if i == 0 else "a")
            print(f"  file: {big.stat().st_size / 1e9:.2f} GB")
            seconds, peak = peak_memory_of(
                [
                    str(hria),
                    "audit",
                    str(big),
                    "--label",
                    "y",
                    "--prediction",
                    "p",
                    "--sensitive",
                    "race",
                    "--sensitive",
                    "sex",
                    "--json",
                    os.devnull,
                ]
            )
            print(f"  hria audit: {seconds:.1f} s, peak resident memory {peak:.2f} GiB (target < 1.5 GiB)")


if __name__ == "__main__":
    main()
