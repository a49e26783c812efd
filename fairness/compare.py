"""Two audits of one system with the same definitions, compared: what changed between them.

A comparison is a *change* when the later interval of a difference excludes the earlier estimate, or when
the verdict (after the multiple-comparison adjustment) moves between disparity, no evidence and
inconclusive. The change in the difference gets its own interval, a normal approximation built from the
two audits' intervals taken as independent: ``change ± z · sqrt(se_earlier² + se_later²)``, each standard
error being an interval's half-width over ``z``, so that the half-width of the change is the root of the
sum of the squared half-widths.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

from .analysis import DISPARITY, INCONCLUSIVE, NO_EVIDENCE
from .errors import InputError
from .serialise import json_safe

# The choices that make two audits measure the same thing.
DEFINITION_COLUMNS = ("y_true", "y_pred", "score", "threshold", "sensitive_features", "pos_label")
MOVING_VERDICTS = (DISPARITY, NO_EVIDENCE, INCONCLUSIVE)


@dataclass
class Change:
    """One disparity in both audits: the earlier and later difference, the change, and whether it counts.

    Attributes
    ----------
    metric, family : str
    group, reference : dict of str to str
    earlier, later : float or None
        The difference from the reference in each audit.
    later_interval : list of float or None
        The later audit's interval of the difference.
    change : float or None
        ``later - earlier``.
    change_interval : list of float or None
        Interval of the change, at the audits' confidence; ``[None, None]`` without both intervals.
    earlier_verdict, later_verdict : str or None
        The adjusted verdicts.
    changed : bool
        The later interval excludes the earlier estimate, or the verdict moved.
    reasons : list of str
        Why, in words.
    """

    metric: str
    family: str
    group: dict[str, str]
    reference: dict[str, str]
    earlier: float | None
    later: float | None
    later_interval: list[float | None]
    change: float | None
    change_interval: list[float | None]
    earlier_verdict: str | None
    later_verdict: str | None
    changed: bool
    reasons: list[str]


def definition(result: dict[str, Any]) -> str:
    """What must be equal for two audits to form a series: the columns, positive value and references."""
    columns = result["columns"]
    key = {name: columns.get(name) for name in DEFINITION_COLUMNS}
    key["sensitive_features"] = sorted(columns.get("sensitive_features") or [])
    key["references"] = result["parameters"].get("references")
    return json.dumps(json_safe(key), sort_keys=True)


def compare(
    earlier: dict[str, Any], later: dict[str, Any], metrics: tuple[str, ...] | None = None
) -> list[Change]:
    """Every disparity the two audits share, later against earlier.

    Parameters
    ----------
    earlier, later : dict
        Audit results as ``AuditResult.to_dict()`` gives them (or as read from its JSON).
    metrics : tuple of str, optional
        Only these metrics; by default all.

    Returns
    -------
    list of Change
        In the later audit's order.

    Raises
    ------
    InputError
        When the audits do not share their definitions (columns, positive value, reference groups).
    """
    if definition(earlier) != definition(later):
        raise InputError(
            "The two audits do not use the same definitions (outcome, decision, protected attributes, "
            "positive value and reference groups), so their disparities cannot be compared. Audit the new "
            "data with the same columns and --reference as the earlier audit."
        )
    before = {_key(d): d for d in earlier["disparities"]}
    out = []
    for d in later["disparities"]:
        if metrics is not None and d["metric"] not in metrics:
            continue
        e = before.get(_key(d))
        if e is None or d["verdict"] is None:
            continue
        out.append(_change(e, d))
    return out


def _key(d: dict[str, Any]) -> str:
    return json.dumps([d["metric"], d["family"], d["group"], d["reference"]], sort_keys=True)


def _verdict(d: dict[str, Any]) -> str | None:
    verdict: str | None = d.get("adjusted_verdict", d["verdict"])
    return verdict


def _change(e: dict[str, Any], d: dict[str, Any]) -> Change:
    reasons = []
    low, high = d["difference_interval"]
    earlier, later = e["difference"], d["difference"]
    if earlier is not None and low is not None and not low <= earlier <= high:
        reasons.append(
            f"the later interval {low:+.3f} to {high:+.3f} excludes the earlier difference {earlier:+.3f}"
        )
    was, now = _verdict(e), _verdict(d)
    if was != now and was in MOVING_VERDICTS and now in MOVING_VERDICTS:
        reasons.append(f"the verdict moved from {was} to {now}")
    change = later - earlier if later is not None and earlier is not None else None
    return Change(
        metric=d["metric"],
        family=d["family"],
        group=d["group"],
        reference=d["reference"],
        earlier=earlier,
        later=later,
        later_interval=[low, high],
        change=change,
        change_interval=_change_interval(e["difference_interval"], d["difference_interval"], change),
        earlier_verdict=was,
        later_verdict=now,
        changed=bool(reasons),
        reasons=reasons,
    )


def _change_interval(
    earlier: list[float | None], later: list[float | None], change: float | None
) -> list[float | None]:
    if change is None or None in earlier or None in later:
        return [None, None]
    e_low, e_high, l_low, l_high = (float(v) for v in (*earlier, *later) if v is not None)
    half = math.hypot((e_high - e_low) / 2, (l_high - l_low) / 2)
    return [change - half, change + half]


def changes_to_dict(changes: list[Change]) -> list[dict[str, Any]]:
    """The comparison as plain data for JSON."""
    safe: list[dict[str, Any]] = json_safe([asdict(c) for c in changes])
    return safe
