"""Fairness checks on a model's outputs: group metrics, disparities with intervals, verdicts, and
explanations of the outputs without the model.

A plain library: no Flask, no database. ``from fairness import audit, explain``.
"""

from .analysis import (
    DISPARITY,
    INCONCLUSIVE,
    NO_EVIDENCE,
    TOO_SMALL,
    UNDEFINED,
    VERDICTS,
    AuditResult,
    Disparity,
    Group,
    ImpactRatio,
    audit,
    fairlearn_summary,
)
from .errors import InputError
from .explain import ExplanationResult, Fidelity, explain
from .loading import MISSING, PosLabel
from .metrics import METRIC_LABELS, METRIC_NAMES

__all__ = [
    "DISPARITY",
    "INCONCLUSIVE",
    "METRIC_LABELS",
    "METRIC_NAMES",
    "MISSING",
    "NO_EVIDENCE",
    "TOO_SMALL",
    "UNDEFINED",
    "VERDICTS",
    "AuditResult",
    "Disparity",
    "ExplanationResult",
    "Fidelity",
    "Group",
    "ImpactRatio",
    "InputError",
    "PosLabel",
    "audit",
    "explain",
    "fairlearn_summary",
]
