"""Build and sign reports with text as long as the forms allow, and a Chinese report; print median times and
sizes.

.venv/bin/python benchmarks/report_layout_benchmark.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_benchmark import report_data

from reports import build_report, sign_pdf
from reports.keys import create_authority, create_signing_identity, load_identity


def cases() -> dict[str, dict]:
    normal = report_data()
    long_answer = " ".join(f"w{i:04d}" for i in range(1666)) + " end."
    long_text = {**normal, "system": {**normal["system"], "purpose": "\n".join("x" * 2500)}}
    long_text["sections"] = [
        {
            "title": "Purpose",
            "questions": [
                {
                    "id": "SCO-01",
                    "text": "What public problem should the system help solve?",
                    "answer": long_answer,
                },
                {
                    "id": "SCO-02",
                    "text": "Describe the data.",
                    "answer": "\n".join(f"{i:04d}" for i in range(2000)),
                },
            ],
        }
    ]
    chinese = {**normal, "lang": "zh", "system": {**normal["system"], "name": "福利欺诈风险评分"}}
    chinese["sections"] = [
        {
            "title": "目的与适当性",
            "questions": [
                {
                    **q,
                    "text": "是否考虑并比较了不使用算法的方案（增加人手、简化规则、改进表格）？",
                    "answer": "是",
                }
                for q in normal["sections"][0]["questions"]
            ],
        }
    ] * 3
    return {
        "normal report (English)": normal,
        "Chinese report": chinese,
        "long-text report (10,000-char answer, 2,000-line answer, 2,500-line purpose)": long_text,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        create_authority(folder)
        signer = load_identity(create_signing_identity(folder, "City of Riverton", "city.p12", b"pw"), b"pw")
        for name, data in cases().items():
            try:
                sign_pdf(build_report(data), signer, name="warm-up", reason="warm-up")
            except Exception as error:  # noqa: BLE001 - the figures of a version that cannot build this report
                print(f"{name}: cannot be built ({type(error).__name__})")
                continue
            times = []
            for _ in range(5):
                start = time.perf_counter()
                pdf = sign_pdf(build_report(data), signer, name="City of Riverton", reason="Issued")
                times.append(time.perf_counter() - start)
            print(
                f"{name}: build + sign median {statistics.median(times) * 1000:.0f} ms over 5 runs, "
                f"{len(pdf) / 1024:.0f} KiB"
            )


if __name__ == "__main__":
    main()
