"""Particle releases in space (point, disk, polygon) and time (instant or continuous).

A release is an ``xarray.Dataset`` on dim ``particle`` with ``lon``, ``lat`` (degrees) and ``time`` (release
time, datetime64). Combine several with ``xarray.concat(releases, dim="particle")``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.path import Path

from bayesgeo.drift._time import to_datetime64
from bayesgeo.drift.kernels import EARTH_RADIUS
from bayesgeo.drift.landmask import is_land

_MAX_REDRAWS = 200


def as_rng(seed) -> np.random.Generator:
    """``numpy.random.Generator`` from an int seed or a generator (used as is)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def release_times(time, n: int, end=None) -> np.ndarray:
    """``n`` release times: all at ``time`` (instant) or evenly from ``time`` to ``end`` (continuous)."""
    start = to_datetime64(time, "release time")
    if end is None:
        return np.full(n, start)
    stop = to_datetime64(end, "release end")
    if stop < start:
        raise ValueError(f"release end {stop} is before release time {start}")
    return start + (np.linspace(0.0, 1.0, n) * (stop - start).astype(np.int64)).astype("timedelta64[ns]")


def _release(lon, lat, times) -> xr.Dataset:
    return xr.Dataset(
        {
            "lon": (
                "particle",
                np.asarray(lon, float),
                {"standard_name": "longitude", "units": "degrees_east"},
            ),
            "lat": (
                "particle",
                np.asarray(lat, float),
                {"standard_name": "latitude", "units": "degrees_north"},
            ),
            "time": ("particle", times, {"long_name": "release time"}),
        }
    )


def release_point(lon: float, lat: float, time, n: int = 1, *, end=None) -> xr.Dataset:
    """``n`` particles at one point (degrees), released at ``time`` or evenly from ``time`` to ``end``."""
    return _release(np.full(n, float(lon)), np.full(n, float(lat)), release_times(time, n, end))


def _sample_sea(draw, n: int, land: xr.DataArray | None, where: str, rng) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points with ``draw(m, rng)``, redrawing those on land."""
    lon, lat = draw(n, rng)
    if land is None:
        return lon, lat
    for _ in range(_MAX_REDRAWS):
        bad = is_land(land, lon, lat)
        if not bad.any():
            return lon, lat
        lon[bad], lat[bad] = draw(int(bad.sum()), rng)
    raise ValueError(f"release {where} is (almost) entirely on land; move it to sea or enlarge it")


def release_disk(
    lon: float, lat: float, radius: float, time, n: int, *, end=None, seed=0, land: xr.DataArray | None = None
) -> xr.Dataset:
    """``n`` particles uniformly in a disk of ``radius`` metres (great-circle) around (lon, lat).

    With ``land`` (see :func:`~bayesgeo.drift.land_mask`), points on land are redrawn, so the release covers
    the sea around an island volcano. ``seed`` is an int or a ``numpy.random.Generator``.
    """
    lon0, lat0 = np.deg2rad(lon), np.deg2rad(lat)

    def draw(m, rng):
        delta = radius / EARTH_RADIUS * np.sqrt(rng.random(m))
        theta = 2.0 * np.pi * rng.random(m)
        lat2 = np.arcsin(np.sin(lat0) * np.cos(delta) + np.cos(lat0) * np.sin(delta) * np.cos(theta))
        lon2 = lon0 + np.arctan2(
            np.sin(theta) * np.sin(delta) * np.cos(lat0), np.cos(delta) - np.sin(lat0) * np.sin(lat2)
        )
        return np.rad2deg(lon2), np.rad2deg(lat2)

    where = f"disk at ({lon}, {lat}) of radius {radius} m"
    x, y = _sample_sea(draw, n, land, where, as_rng(seed))
    return _release(x, y, release_times(time, n, end))


def release_polygon(
    vertices, time, n: int, *, end=None, seed=0, land: xr.DataArray | None = None
) -> xr.Dataset:
    """``n`` particles uniformly (by area) inside a lon/lat polygon given as ``[(lon, lat), ...]``."""
    v = np.asarray(vertices, dtype=float)
    if v.ndim != 2 or v.shape[1] != 2 or v.shape[0] < 3:
        raise ValueError(f"release polygon needs at least 3 (lon, lat) vertices, got shape {v.shape}")
    path = Path(v)
    (x0, y0), (x1, y1) = v.min(0), v.max(0)
    s0, s1 = np.sin(np.deg2rad(y0)), np.sin(np.deg2rad(y1))

    def draw(m, rng):
        out = np.empty((0, 2))
        for _ in range(_MAX_REDRAWS):
            if out.shape[0] >= m:
                return out[:m, 0].copy(), out[:m, 1].copy()
            pts = np.column_stack(
                [
                    x0 + (x1 - x0) * rng.random(2 * m + 8),
                    np.rad2deg(np.arcsin(s0 + (s1 - s0) * rng.random(2 * m + 8))),
                ]
            )
            out = np.vstack([out, pts[path.contains_points(pts)]])
        raise ValueError(f"release polygon {v.tolist()} encloses (almost) no area")

    x, y = _sample_sea(draw, n, land, "polygon", as_rng(seed))
    return _release(x, y, release_times(time, n, end))
