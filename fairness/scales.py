"""The scale on which group rates are drawn, and the band of rates no disparity is called in.

Both the web page and the PDF report draw a bar per group; they share these so that the same audit looks the
same in both. A rate axis ends a little above the largest figure drawn rather than at 100 %, or rates of
2–7 % would be slivers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

# Axis ends, times a power of ten, with the number of divisions that gives round ticks for each.
NICE_ENDS = ((1, 4), (1.5, 3), (2, 4), (2.5, 5), (3, 3), (4, 4), (5, 5), (6, 3), (8, 4), (10, 4))
# How far above the largest figure the axis ends at least: a whisker never touches the frame.
HEADROOM = 1.05


def rate_axis(values: Iterable[float | None]) -> tuple[float, list[float]]:
    """The end of a rate axis and its ticks.

    Parameters
    ----------
    values : iterable of float or None
        The rates drawn and the bounds of their intervals; None is skipped. A threshold band is cut at the
        axis end rather than widening it.

    Returns
    -------
    (float, list of float)
        The axis end: the smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten that is at least
        5 % above the largest value, and at most 1 (100 %); 1 when nothing is above 0. Then the ticks from 0
        to that end, 3 to 5 divisions, e.g. 0, 2.5, 5, 7.5 and 10 % for rates up to 9.5 %.
    """
    largest = max((v for v in values if v is not None and math.isfinite(v)), default=0.0)
    if largest <= 0:
        return 1.0, [0.0, 0.25, 0.5, 0.75, 1.0]
    wanted = min(largest * HEADROOM, 1.0)
    power = 10.0 ** math.floor(math.log10(wanted))
    top, divisions = next(
        (round(end * power, 12), n) for end, n in NICE_ENDS if round(end * power, 12) >= wanted
    )
    return top, [round(top * k / divisions, 12) for k in range(divisions + 1)]


def threshold_band(reference_rate: float | None, ratio_threshold: float) -> tuple[float, float] | None:
    """The rates within the ratio thresholds of the reference group's rate: ``ratio_threshold`` to
    ``1 / ratio_threshold`` times it (0.80–1.25 by default), capped at 1; None without a reference rate."""
    if reference_rate is None or not math.isfinite(reference_rate):
        return None
    return reference_rate * ratio_threshold, min(reference_rate / ratio_threshold, 1.0)


def tick_label(tick: float) -> str:
    """A tick as a percentage without needless decimals: 0%, 2.5%, 10%."""
    return f"{tick * 100:g}%"
