"""Time and duration parsing shared by the drift modules (boundary checks with one-line errors)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def to_datetime64(value, what: str = "time") -> np.datetime64:
    """A single UTC time (ISO 8601 string, datetime, pandas or numpy time) as ``datetime64[ns]``."""
    bad = f"{what} {value!r} is not a valid time; expected ISO 8601 such as '2021-08-13T00:00Z'"
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError) as err:
        raise ValueError(bad) from err
    if ts is pd.NaT:
        raise ValueError(f"{what} is missing (NaT); expected an ISO 8601 time")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    try:
        return ts.to_datetime64().astype("datetime64[ns]")
    except (OverflowError, pd.errors.OutOfBoundsDatetime) as err:
        raise ValueError(bad) from err


def seconds(value, what: str) -> float:
    """A duration in seconds from a number (s) or anything ``pandas.Timedelta`` reads ("60D", "3h", ...)."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, np.timedelta64):
        return float(value)
    try:
        return pd.Timedelta(value).total_seconds()
    except (ValueError, TypeError) as err:
        raise ValueError(f"{what} {value!r} is not a duration; give seconds or a string like '60D'") from err
