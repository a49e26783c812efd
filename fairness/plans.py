"""Audit plans fixed before the data is seen, and how an audit deviated from one.

A plan names what will be judged and how: the metrics, the thresholds, the reference groups, the smallest
group reported, the confidence level, the multiple-comparison method, and the data intended (period and
population, in words). Its canonical JSON is hashed, so that anyone can check later that it was not changed
after the results were known.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import InputError
from .metrics import METRIC_LABELS, METRIC_NAMES
from .power import METHODS


@dataclass(frozen=True)
class AuditPlan:
    """What an audit will judge and how, fixed before the data is uploaded.

    Attributes
    ----------
    sensitive_features : list of str
        The protected attributes to audit.
    metrics : list of str
        The metrics whose disparities will be judged (of ``METRIC_NAMES``).
    reference : dict of str to str
        The reference group of each attribute; empty for the largest group.
    difference_threshold, ratio_threshold : float
        As in ``audit``.
    min_group_size : int
        Groups smaller than this are not judged.
    confidence : float
        Level of every interval; alpha is 1 - confidence.
    multiple_comparisons : str
        One of ``power.METHODS``.
    period, population : str
        The data intended, in words: when it was produced and whom it covers.
    """

    sensitive_features: list[str]
    metrics: list[str]
    reference: dict[str, str] = field(default_factory=dict)
    difference_threshold: float = 0.1
    ratio_threshold: float = 0.8
    min_group_size: int = 30
    confidence: float = 0.95
    multiple_comparisons: str = "holm"
    period: str = ""
    population: str = ""

    def __post_init__(self) -> None:
        if not self.sensitive_features:
            raise InputError("A plan names at least one protected attribute.")
        unknown = [m for m in self.metrics if m not in METRIC_NAMES]
        if unknown or not self.metrics:
            raise InputError(
                f"A plan names the metrics to judge, of: {', '.join(METRIC_NAMES)}"
                + (f"; not {', '.join(unknown)}." if unknown else ".")
            )
        if self.multiple_comparisons not in METHODS:
            raise InputError(f"The multiple-comparison method must be one of {', '.join(METHODS)}.")
        if not 0 < self.confidence < 1 or not 0 < self.ratio_threshold <= 1 or self.difference_threshold < 0:
            raise InputError(
                "The confidence must lie between 0 and 1, the ratio threshold in (0, 1] and the difference "
                "threshold be 0 or more."
            )
        if self.min_group_size < 1:
            raise InputError("The smallest group to judge must be 1 row or more.")

    def canonical(self) -> str:
        """The plan as canonical JSON (sorted keys, no spaces): what is hashed."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    @classmethod
    def from_json(cls, text: str) -> AuditPlan:
        data = json.loads(text)
        return cls(**data)

    def audit_settings(self) -> dict[str, Any]:
        """The arguments of ``audit`` the plan fixes."""
        return {
            "sensitive_features": list(self.sensitive_features),
            "reference": dict(self.reference) or None,
            "difference_threshold": self.difference_threshold,
            "ratio_threshold": self.ratio_threshold,
            "min_group_size": self.min_group_size,
            "confidence": self.confidence,
            "multiple_comparisons": self.multiple_comparisons,
        }


def deviations(plan: AuditPlan, result: dict[str, Any]) -> list[str]:
    """How an audit's result departs from the plan, in words; empty when it went as planned.

    Parameters
    ----------
    plan : AuditPlan
    result : dict
        The audit's result as ``AuditResult.to_dict()`` gives it.
    """
    out = []
    parameters, columns = result["parameters"], result["columns"]
    planned, used = sorted(plan.sensitive_features), sorted(columns["sensitive_features"])
    if planned != used:
        out.append(f"Protected attributes: planned {', '.join(planned)}; audited {', '.join(used)}.")
    for name, label in (
        ("difference_threshold", "Difference threshold"),
        ("ratio_threshold", "Ratio threshold"),
        ("min_group_size", "Smallest group judged"),
        ("confidence", "Confidence level"),
        ("multiple_comparisons", "Multiple-comparison method"),
    ):
        if parameters.get(name) != getattr(plan, name):
            out.append(f"{label}: planned {getattr(plan, name)}; used {parameters.get(name)}.")
    references = parameters.get("references", {})
    for family, value in plan.reference.items():
        actual = references.get(family, {}).get(family)
        if actual != value:
            out.append(f"Reference group of {family}: planned {value}; used {actual}.")
    judged = {d["metric"] for d in result["disparities"]}
    missing = [m for m in plan.metrics if m not in judged]
    if missing:
        out.append(
            "Metrics planned but not judged: "
            + ", ".join(METRIC_LABELS[m] for m in missing)
            + (" (the audit had no observed outcomes)." if not result.get("labelled", True) else ".")
        )
    return out
