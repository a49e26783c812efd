"""Surrogate fit, fidelity and SHAP on 100,000 rows × 30 features (target: under 20 s on this machine).

.venv/bin/python benchmarks/explain_benchmark.py [--rows 100000] [--features 30]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from fairness.explain import (
    _Encoder,
    _fit_surrogate,
    _group_labels,
    _proxies,
    _shap,
    _stratified_sample,
    explain,
)


def make_frame(rows: int, features: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {f"x{i}": rng.normal(size=rows) for i in range(features - 5)}
    for i in range(5):
        data[f"c{i}"] = rng.choice([f"k{j}" for j in range(12)], rows)
    frame = pd.DataFrame(data)
    group = rng.choice(["a", "b", "c"], rows)
    signal = frame["x0"] * 2 + frame["x1"] - frame["x2"] * 0.5 + (frame["c0"] == "k1") + (group == "a") * 0.3
    frame["group"] = group
    frame["decision"] = (signal > signal.median()).astype(int)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=30)
    args = parser.parse_args()
    frame = make_frame(args.rows, args.features)
    features = [c for c in frame.columns if c not in ("group", "decision")]
    print(f"{args.rows:,} rows × {len(features)} features (5 categorical)")
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    encoded = _Encoder(frame, features)
    model, fidelity = _fit_surrogate(
        encoded.matrix, frame["decision"].to_numpy(float), True, 0, 0.85, 0.8, rng
    )
    fitted = time.perf_counter()
    rows = _stratified_sample({"group": _group_labels(frame["group"])}, len(frame), 2000, rng)
    _shap(model, encoded.matrix[rows], encoded)
    done = time.perf_counter()
    print(f"  encode + fit + fidelity ({fidelity.measure} {fidelity.value:.3f}): {fitted - start:6.2f} s")
    print(f"  SHAP on a stratified sample of {len(rows):,} rows:        {done - fitted:6.2f} s")
    print(f"  fit + fidelity + SHAP:                            {done - start:6.2f} s (target < 20 s)")
    start = time.perf_counter()
    _proxies(frame, features, {"group": _group_labels(frame["group"])}, 0)
    print(
        f"  proxy detection ({len(features)} features × 1 attribute):    {time.perf_counter() - start:6.2f} s"
    )
    start = time.perf_counter()
    explain(frame, "decision", sensitive_features="group")
    print(f"  fairness.explain end to end:                      {time.perf_counter() - start:6.2f} s")


if __name__ == "__main__":
    main()
