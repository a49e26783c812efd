"""Results as JSON: what JSON cannot hold (NaN, infinities, numpy scalars, tuples) made plain."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None, numpy scalars as Python ones and tuples as lists.

    Parameters
    ----------
    value : object
        A result: dicts, lists and tuples of numbers, text, booleans and None, nested to any depth.

    Returns
    -------
    object
        The same structure, which ``json.dumps(..., allow_nan=False)`` accepts.
    """
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def to_json(data: dict[str, Any], **kwargs: Any) -> str:
    """``data`` as JSON text, non-ASCII characters kept; ``kwargs`` go to ``json.dumps`` (e.g. ``indent``)."""
    return json.dumps(json_safe(data), ensure_ascii=False, allow_nan=False, **kwargs)
