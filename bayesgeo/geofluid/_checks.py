"""Validity-range checks shared by the geofluid laws (raise early, never return NaN silently)."""

from __future__ import annotations

import numpy as np


def check_range(name: str, value, lo: float, hi: float, units: str, law: str) -> None:
    """Raise ValueError naming ``name``, its value and the valid range ``[lo, hi]`` of ``law``."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < lo) or np.any(arr > hi):
        bad = arr[~(np.isfinite(arr) & (arr >= lo) & (arr <= hi))].ravel()[0]
        raise ValueError(
            f"{name} = {bad:g} {units} is outside the valid range [{lo:g}, {hi:g}] {units} of {law}"
        )
