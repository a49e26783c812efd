"""Fairness checks on a model's outputs: group metrics, disparities with intervals, and verdicts.

A plain library: no Flask, no database. ``from fairness import audit``.
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
from .loading import MISSING
from .metrics import METRIC_LABELS, METRIC_NAMES

__all__ = [
    "audit",
    "AuditResult",
    "Group",
    "Disparity",
    "ImpactRatio",
    "InputError",
    "fairlearn_summary",
    "METRIC_NAMES",
    "METRIC_LABELS",
    "MISSING",
    "VERDICTS",
    "DISPARITY",
    "NO_EVIDENCE",
    "INCONCLUSIVE",
    "TOO_SMALL",
    "UNDEFINED",
]
