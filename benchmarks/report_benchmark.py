"""Build and sign a report of a completed assessment with fairness results (target: under 0.5 s).

.venv/bin/python benchmarks/report_benchmark.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fairness import audit
from reports import SignatureAppearance, build_report, sign_pdf
from reports.keys import create_authority, create_signing_identity, load_identity


def report_data() -> dict:
    rng = np.random.default_rng(0)
    n = 20000
    frame = pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "p": rng.integers(0, 2, n),
            "race": rng.choice(list("ABCDE"), n),
            "sex": rng.choice(["F", "M"], n),
        }
    )
    result = audit(frame, "y", "p", sensitive_features=["race", "sex"]).to_dict()

    def name(group: dict) -> str:
        return ", ".join(f"{k} {v}" for k, v in group.items())

    groups = [{**g, "name": name(g["group"])} for g in result["groups"]]
    verdicts = [
        {
            "group": name(d["group"]),
            "reference": name(d["reference"]),
            "metric": d["metric"],
            "family": d["family"],
            "verdict": d["verdict"],
            "ratio": d["ratio"],
            "low": d["ratio_interval"][0],
            "high": d["ratio_interval"][1],
        }
        for d in result["disparities"]
        if d["verdict"]
        and d["family"] != "intersection"
        and d["metric"] in ("false_positive_rate", "selection_rate")
    ]
    # two comparisons a reader must look at, so that the forest plot and rate charts are drawn
    verdicts[0]["verdict"], verdicts[1]["verdict"] = "disparity", "inconclusive"
    questions = [
        {
            "id": f"SCO-{i:02d}",
            "text": "Is there a documented way to suspend the system quickly?" * 2,
            "answer": "Yes",
            "cites": ["§50(c)", "§56(g)"],
            "evidence": [{"name": "decision.pdf", "sha256": "ab" * 32}],
        }
        for i in range(16)
    ]
    return {
        "kind": "risk",
        "lang": "en",
        "report_id": "HRIA-2026-BENCH-v1",
        "issued_at": "2026-11-22 10:00 UTC",
        "organisation": "City of Riverton",
        "stage": "Scoping",
        "bank_version": "2026.1",
        "system": {
            "name": "Welfare fraud risk score",
            "purpose": "Scores applications",
            "sector": "Welfare",
            "vendor": "Civic Analytics",
        },
        "impact": {
            "level": "III",
            "raw": 14,
            "raw_max": 23,
            "mitigation": 9,
            "mitigation_max": 15,
            "reduced": False,
            "score": 14,
            "share": 0.61,
        },
        "summary": ["A summary sentence."] * 4,
        "risk_matrix": {
            "severity": [3, 12],
            "likelihood": [1, 4],
            "levels": [
                {"key": "low", "label": "Low", "up_to": 9},
                {"key": "medium", "label": "Medium", "up_to": 18},
                {"key": "high", "label": "High", "up_to": 30},
                {"key": "very_high", "label": "Very high", "up_to": 48},
            ],
        },
        "review": {"status": "In progress", "countersigners": ["Oversight Board"]},
        "verify_url": "https://hria.example/verify",
        "method": {"checks": ["A method sentence."] * 2, "paragraphs": ["§50(c)"]},
        "sections": [{"title": f"Section {s}", "questions": questions} for s in range(3)],
        "risks": [
            {
                "right": "Equality",
                "finding": "One line of finding.",
                "findings": ["finding"] * 3,
                "scale": 3,
                "scope": 3,
                "reversibility": 2,
                "likelihood": 3,
                "severity": 8,
                "level": "High",
                "treatment": "Human review.",
                "owner": "Head of Benefits",
                "due": "2027-01-28",
            }
        ]
        * 5,
        "fairness": [
            {
                "file": "outputs.csv",
                "sha256": "cd" * 32,
                "rows": n,
                "findings": ["finding"] * 5,
                "groups": groups,
                "confidence": 0.95,
                "ratio_band": [0.8, 1.25],
                "verdicts": verdicts,
            }
        ],
        "explanations": [
            {
                "file": "outputs.csv",
                "fidelity": "97 % agreement",
                "explains_model": True,
                "importance": [{"feature": f"x{i}", "share": 0.05} for i in range(20)],
                "flags": [],
                "proxies": ["x1"],
            }
        ],
        "remediation": [
            {
                "action": "Consult",
                "paragraph": "§43(a)",
                "right": "Equality",
                "owner": "P",
                "due": "2027-01-01",
                "status": "Open",
                "state": "open",
            }
        ]
        * 12,
        "obligations": ["An obligation."] * 4,
        "signoff": [
            {"organisation": "City", "role": "issuer"},
            {"organisation": "Oversight Board", "role": "countersignature (oversight)"},
        ],
    }


def main() -> None:
    data = report_data()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        create_authority(folder)
        signer = load_identity(create_signing_identity(folder, "City of Riverton", "city.p12", b"pw"), b"pw")
        appearance = SignatureAppearance("Paula Procurer", "issuer", "City of Riverton", data["verify_url"])

        def issue() -> bytes:
            return sign_pdf(
                build_report(data),
                signer,
                name="City of Riverton",
                reason="Issued",
                countersignatures=1,
                appearance=appearance,
            )

        issue()  # warm-up: fonts are read once per process
        times, cpu = [], []
        for _ in range(5):
            start, start_cpu = time.perf_counter(), time.process_time()
            pdf = issue()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    # CPU time too: on a shared machine the wall-clock time measures the neighbours as well
    print(
        f"build + sign a report with fairness results, charts and a visible signature "
        f"({len(pdf) / 1024:.0f} KiB): "
        f"median {sorted(times)[2] * 1000:.0f} ms wall, {sorted(cpu)[2] * 1000:.0f} ms CPU over 5 runs "
        f"(target < 500 ms)"
    )


if __name__ == "__main__":
    main()
