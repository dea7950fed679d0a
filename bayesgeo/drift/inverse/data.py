"""Observations for source inference: sightings, first-stranding reports and non-detections.

Every table is read from a CSV file (header row, ``#`` comment lines allowed) or given inline in the spec as
a list of tables, and checked at the boundary: each bad row raises a :class:`~bayesgeo.errors.SpecError`
naming the field, the row and what is expected. Times are ISO 8601 (UTC when no offset is given; date-only
values mean 00:00 UTC) and are stored as days relative to the reference time.

Geometry: displacements between two points are (east, north) metres on the sphere of the drift simulator
(radius 6371 km), east measured along the mean latitude of the two points, so that a uniform drift ``(u, v)``
over ``t`` seconds moves a particle by ``(u t, v t)`` in these coordinates (the simulator's loxodrome).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from bayesgeo.drift.kernels import EARTH_RADIUS
from bayesgeo.errors import SpecError

DAY = 86400.0
#: Columns of each table: required, optional (with units).
TABLES = {
    "sightings": (("time", "lon", "lat"), ("area",)),
    "strandings": (("time", "lon", "lat"), ("radius",)),
    "non_detections": (("time", "lon", "lat"), ("radius",)),
}
#: Built-in tables, named in specs as ``builtin:NAME`` (shipped with the package).
BUILTIN = {"fob2021": "fob2021_sightings.csv"}


def to_days(times: np.ndarray, reference: np.datetime64) -> np.ndarray:
    """Days from ``reference`` (datetime64) to ``times``."""
    return (np.asarray(times, "datetime64[ns]") - reference) / np.timedelta64(1, "s") / DAY


def from_days(days, reference: np.datetime64) -> np.ndarray:
    """Times (datetime64[ns]) ``days`` after ``reference``."""
    return reference + (np.asarray(days, float) * DAY * 1e9).astype("timedelta64[ns]")


def parse_time(field: str, value) -> np.datetime64:
    """One ISO 8601 time as UTC ``datetime64[ns]``; a :class:`SpecError` names ``field`` otherwise."""
    try:
        ts = pd.Timestamp(value) if isinstance(value, str) else None
    except (ValueError, TypeError, OverflowError):
        ts = None
    if ts is None or ts is pd.NaT:
        raise SpecError(field, f"{value!r} is not an ISO 8601 time; expected e.g. '2021-08-13T00:00Z'")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_datetime64().astype("datetime64[ns]")


def read_table(field: str, value, base_dir: Path, columns: dict[str, str]) -> pd.DataFrame:
    """A table from a CSV path (relative to ``base_dir``), ``builtin:NAME`` or an inline list of tables.

    ``columns`` maps the contract's column names to the file's (e.g. ``{"time": "date_utc"}``); unmapped
    names are used as they are. Only the table's known columns are kept.
    """
    if isinstance(value, list):
        if not all(isinstance(row, dict) for row in value):
            raise SpecError(
                field, "expected a CSV path or a list of tables like {time = ..., lon = ..., lat = ...}"
            )
        frame = pd.DataFrame(value)
    elif isinstance(value, str):
        path = builtin_path(field, value) if value.startswith("builtin:") else Path(value)
        path = path if path.is_absolute() else base_dir / path
        if not path.is_file():
            raise SpecError(field, f"file not found: {path}")
        try:
            frame = pd.read_csv(
                path, comment="#", skipinitialspace=True, dtype={columns.get("time", "time"): str}
            )
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise SpecError(field, f"cannot read {path} as CSV ({str(exc).splitlines()[0]})") from None
    else:
        raise SpecError(field, f"expected a CSV path or a list of tables, got {value!r}")
    required, optional = TABLES[field.split(".")[-1]]
    renamed = {columns.get(k, k): k for k in (*required, *optional)}
    missing = [k for k in required if columns.get(k, k) not in frame.columns]
    if missing:
        names = [columns.get(k, k) for k in missing]
        raise SpecError(
            field,
            f"no column {names} (columns present: {list(map(str, frame.columns))}); "
            "map names with data.columns",
        )
    return frame[[c for c in renamed if c in frame.columns]].rename(columns=renamed)


def builtin_path(field: str, value: str) -> Path:
    """The shipped file of ``builtin:NAME`` (see :data:`BUILTIN`)."""
    name = value.removeprefix("builtin:")
    if name not in BUILTIN:
        raise SpecError(
            field, f"unknown built-in table {value!r}; expected one of {[f'builtin:{k}' for k in BUILTIN]}"
        )
    return Path(__file__).resolve().parents[2] / "datasets" / "data" / BUILTIN[name]


def _numbers(field: str, frame: pd.DataFrame, key: str, low=None, high=None) -> np.ndarray:
    values = pd.to_numeric(frame[key], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(values)
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    if bad.any():
        i = int(np.argmax(bad))
        rng = f" in [{low}, {high}]" if high is not None else (f" >= {low}" if low is not None else "")
        raise SpecError(field, f"row {i + 1}: {key} = {frame[key].iloc[i]!r}; expected a finite number{rng}")
    return values


def _times(field: str, frame: pd.DataFrame) -> np.ndarray:
    return np.array([parse_time(f"{field} row {i + 1} time", str(t)) for i, t in enumerate(frame["time"])])


def table_dataset(
    field: str, frame: pd.DataFrame, reference: np.datetime64, dim: str, default_radius_km: float = 0.0
) -> xr.Dataset:
    """Validated table on dim ``dim``: ``time`` (UTC), ``day`` (days from ``reference``), ``lon``, ``lat`` and
    ``area`` (km2) or ``radius`` (km) when the table has them."""
    times = _times(field, frame)
    ds = xr.Dataset(
        {
            "day": (
                dim,
                to_days(times, reference),
                {"units": "days", "long_name": "days from reference_time"},
            ),
            "lon": (dim, _numbers(field, frame, "lon"), {"units": "degrees_east"}),
            "lat": (dim, _numbers(field, frame, "lat", -90.0, 90.0), {"units": "degrees_north"}),
        },
        coords={dim: np.arange(len(frame)), "time": (dim, times)},
    )
    if "area" in frame:
        ds["area"] = (dim, _numbers(field, frame, "area", 0.0), {"units": "km2", "long_name": "raft area"})
    if field.endswith(("strandings", "non_detections")):
        radius = (
            _numbers(field, frame, "radius", 0.0)
            if "radius" in frame
            else np.full(len(frame), default_radius_km)
        )
        ds["radius"] = (dim, radius, {"units": "km", "long_name": "capture radius of the site"})
    return ds.sortby("day")


@dataclass(frozen=True)
class Observations:
    """Validated data of one source inference (times in days from ``reference``).

    ``sightings`` on dim ``sighting`` (``day``, ``lon``, ``lat``, ``sd`` in m: the position error including
    the raft's extent); ``strandings`` (first-stranding reports) on dim ``stranding`` and ``non_detections``
    on dim ``non_detection`` (``day``, ``lon``, ``lat``, ``radius`` in km), either possibly empty.
    """

    reference: np.datetime64
    sightings: xr.Dataset
    strandings: xr.Dataset
    non_detections: xr.Dataset

    @property
    def last_day(self) -> float:
        days = [ds["day"].values for ds in (self.sightings, self.strandings, self.non_detections)]
        return float(np.concatenate(days).max())


def position_sd(sightings: xr.Dataset, sd_m: float) -> np.ndarray:
    """Per-sighting position error (m): ``sd_m`` and the spread of a disk of the raft's area (A / 4 pi)."""
    extra = sightings["area"].values * 1e6 / (4 * np.pi) if "area" in sightings else 0.0
    return np.sqrt(sd_m**2 + extra + np.zeros(sightings.sizes["sighting"]))


def empty(dim: str, reference: np.datetime64) -> xr.Dataset:
    """A table with no rows (``day``, ``lon``, ``lat``, ``radius`` on ``dim``)."""
    frame = pd.DataFrame({"time": [], "lon": [], "lat": [], "radius": []})
    return table_dataset(f"data.{dim}s", frame, reference, dim)


# --- geometry on the simulator's sphere ---------------------------------------------------------------------


def displacement(lon0, lat0, lon1, lat1, xp=np):
    """(east, north) metres from (lon0, lat0) to (lon1, lat1) (degrees; longitudes wrap at 360)."""
    dlon = xp.mod(lon1 - lon0 + 180.0, 360.0) - 180.0
    mid = np.deg2rad(1.0) * (lat0 + lat1) / 2.0
    k = EARTH_RADIUS * np.deg2rad(1.0)
    return k * dlon * xp.cos(mid), k * (lat1 - lat0)


def offset(lon0, lat0, east, north, xp=np):
    """The point ``(east, north)`` metres from (lon0, lat0): inverse of :func:`displacement`."""
    k = EARTH_RADIUS * np.deg2rad(1.0)
    lat1 = lat0 + north / k
    mid = np.deg2rad(1.0) * (lat0 + lat1) / 2.0
    return lon0 + east / (k * xp.cos(mid)), lat1
