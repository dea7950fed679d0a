"""Built-in forcing fields with no files: analytic flows with exact properties and an idealised NW Pacific.

Every flow is returned as a gridded field (see :mod:`bayesgeo.drift.fields`), so it goes through the same
interpolation path as a user's reanalysis file. Non-divergent flows derive from a streamfunction psi (m2 s-1)
on the sphere: ``u = -(1/R) dpsi/dlat``, ``v = 1/(R cos lat) dpsi/dlon``, so psi is conserved along exact
paths; each such field also carries ``psi``. Analytic boxes sit in the open North Pacific (no land).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import xarray as xr

from bayesgeo.drift._time import seconds, to_datetime64
from bayesgeo.drift.fields import make_field
from bayesgeo.drift.kernels import EARTH_RADIUS

Bounds = tuple[float, float, float, float]  # lon_min, lon_max, lat_min, lat_max (degrees)
_H = 1e-4  # degrees, finite-difference step for velocities from psi


def _grid(bounds: Bounds, resolution: float) -> tuple[np.ndarray, np.ndarray]:
    lon0, lon1, lat0, lat1 = bounds
    nx = int(round((lon1 - lon0) / resolution)) + 1
    ny = int(round((lat1 - lat0) / resolution)) + 1
    return np.linspace(lon0, lon1, nx), np.linspace(lat0, lat1, ny)


def velocity_from_streamfunction(psi: Callable, lon, lat, t: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Eastward/northward velocity (m s-1) of a streamfunction ``psi(lon, lat, t)`` (m2 s-1) on the sphere."""
    h = np.deg2rad(_H)
    dpsi_dlon = (psi(lon + _H, lat, t) - psi(lon - _H, lat, t)) / (2 * h)
    dpsi_dlat = (psi(lon, lat + _H, t) - psi(lon, lat - _H, t)) / (2 * h)
    return -dpsi_dlat / EARTH_RADIUS, dpsi_dlon / (EARTH_RADIUS * np.cos(np.deg2rad(lat)))


def _times(start, duration, time_step) -> np.ndarray:
    t0 = to_datetime64(start, "start")
    n = int(np.ceil(seconds(duration, "duration") / seconds(time_step, "time_step"))) + 1
    return t0 + np.arange(n) * pd.Timedelta(seconds(time_step, "time_step"), "s").to_timedelta64()


def _streamfunction_field(
    psi: Callable,
    bounds: Bounds,
    resolution: float,
    times=None,
    attrs=None,
    wind: Callable | None = None,
    steady: bool = True,
) -> xr.Dataset:
    """Gridded field of ``psi(lon, lat, t)`` (t in s since the first time); ``steady``: psi ignores t."""
    lon, lat = _grid(bounds, resolution)
    LON, LAT = np.meshgrid(lon, lat)
    t_s = np.zeros(1) if times is None else (times - times[0]) / np.timedelta64(1, "s")
    levels = t_s[:1] if steady else t_s
    uv = [velocity_from_streamfunction(psi, LON, LAT, t) for t in levels]
    psis = np.stack([psi(LON, LAT, t) for t in levels])
    reps = (t_s.size, 1, 1) if steady else (1, 1, 1)
    u, v, psis = (np.tile(np.stack(a), reps) for a in ([a for a, _ in uv], [b for _, b in uv], psis))
    winds = {}
    if wind is not None:
        pairs = [wind(LON, LAT, t) for t in times]
        winds = {"uwind": np.stack([a for a, _ in pairs]), "vwind": np.stack([b for _, b in pairs])}
    if times is None:
        u, v, psis = u[0], v[0], psis[0]
    ds = make_field(u, v, lon, lat, times, **winds, attrs=attrs)
    ds["psi"] = (
        ds.uo.dims,
        np.asarray(psis, np.float32).reshape(ds.uo.shape),
        {"long_name": "streamfunction", "units": "m2 s-1"},
    )
    return ds


def uniform_flow(
    u: float,
    v: float,
    *,
    uwind: float = 0.0,
    vwind: float = 0.0,
    bounds: Bounds = (150.0, 180.0, 20.0, 45.0),
    resolution: float = 0.5,
) -> xr.Dataset:
    """Stationary uniform current (u, v) and 10 m wind (uwind, vwind), all m s-1 (zero-mean-shear tests)."""
    lon, lat = _grid(bounds, resolution)
    shape = (lat.size, lon.size)
    return make_field(
        np.full(shape, u),
        np.full(shape, v),
        lon,
        lat,
        uwind=np.full(shape, uwind),
        vwind=np.full(shape, vwind),
        attrs={"title": "uniform flow"},
    )


def _unit(lon, lat):
    lam, phi = np.deg2rad(lon), np.deg2rad(lat)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1)


def solid_body_rotation(
    *,
    center: tuple[float, float] = (165.0, 35.0),
    period="10D",
    half_width: float = 12.0,
    resolution: float = 0.1,
) -> xr.Dataset:
    """Rigid rotation of the sphere about the axis through ``center`` (lon, lat), counter-clockwise, one turn
    per ``period``. Exact paths are small circles: the great-circle distance to the centre is conserved
    (:func:`solid_body_rotation_exact`). Grid: ``center +- half_width`` degrees.
    """
    omega = 2 * np.pi / seconds(period, "period")
    c = _unit(*center)
    lon0, lat0 = center
    lon, lat = _grid((lon0 - half_width, lon0 + half_width, lat0 - half_width, lat0 + half_width), resolution)
    LON, LAT = np.meshgrid(lon, lat)
    vel = omega * EARTH_RADIUS * np.cross(c, _unit(LON, LAT))
    lam, phi = np.deg2rad(LON), np.deg2rad(LAT)
    u = -np.sin(lam) * vel[..., 0] + np.cos(lam) * vel[..., 1]
    v = (
        -np.sin(phi) * np.cos(lam) * vel[..., 0]
        - np.sin(phi) * np.sin(lam) * vel[..., 1]
        + np.cos(phi) * vel[..., 2]
    )
    return make_field(
        u,
        v,
        lon,
        lat,
        attrs={
            "title": "solid-body rotation",
            "center_lon": lon0,
            "center_lat": lat0,
            "period_s": seconds(period, "period"),
        },
    )


def solid_body_rotation_exact(
    lon, lat, elapsed, *, center: tuple[float, float] = (165.0, 35.0), period="10D"
):
    """Exact positions after ``elapsed`` seconds of :func:`solid_body_rotation` (Rodrigues rotation)."""
    angle = 2 * np.pi * np.asarray(elapsed, float) / seconds(period, "period")
    k = _unit(*center)
    r = _unit(np.asarray(lon, float), np.asarray(lat, float))
    c, s = np.cos(angle)[..., None], np.sin(angle)[..., None]
    rot = r * c + np.cross(k, r) * s + k * (r @ k)[..., None] * (1 - c)
    return np.rad2deg(np.arctan2(rot[..., 1], rot[..., 0])) % 360.0, np.rad2deg(np.arcsin(rot[..., 2]))


def great_circle_distance(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance (m) between points given in degrees (haversine)."""
    p1, p2 = np.deg2rad(lat1), np.deg2rad(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.deg2rad(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def stommel_streamfunction(
    lon,
    lat,
    t=0.0,
    *,
    bounds: Bounds = (150.0, 180.0, 15.0, 45.0),
    epsilon: float = 0.05,
    max_speed: float = 1.0,
) -> np.ndarray:
    """Stommel (1948) gyre streamfunction (m2 s-1), zero on the box edges, clockwise with a northward western
    boundary current of width ~``epsilon`` (fraction of the box) and nominal speed ``max_speed`` (m s-1)."""
    lon0, lon1, lat0, lat1 = bounds
    x = (np.asarray(lon) - lon0) / (lon1 - lon0)
    y = (np.asarray(lat) - lat0) / (lat1 - lat0)
    alpha = 1.0 / epsilon
    root = np.sqrt(alpha**2 + 4 * np.pi**2)
    a, b = (-alpha + root) / 2, (-alpha - root) / 2
    p = (1 - np.exp(b)) / (np.exp(a) - np.exp(b))
    psi0 = (
        max_speed * EARTH_RADIUS * np.cos(np.deg2rad((lat0 + lat1) / 2)) * np.deg2rad(lon1 - lon0) / np.pi**2
    )
    return -psi0 * np.sin(np.pi * y) * (p * np.exp(a * x) + (1 - p) * np.exp(b * x) - 1)


def stommel_gyre(
    *,
    bounds: Bounds = (150.0, 180.0, 15.0, 45.0),
    epsilon: float = 0.05,
    max_speed: float = 1.0,
    resolution: float = 0.1,
) -> xr.Dataset:
    """Stationary Stommel gyre with a western boundary current (see :func:`stommel_streamfunction`)."""

    def psi(lon, lat, t):
        return stommel_streamfunction(lon, lat, bounds=bounds, epsilon=epsilon, max_speed=max_speed)

    return _streamfunction_field(psi, bounds, resolution, attrs={"title": "Stommel gyre", "epsilon": epsilon})


def double_gyre(
    start="2000-01-01",
    duration="30D",
    *,
    bounds: Bounds = (150.0, 170.0, 30.0, 40.0),
    max_speed: float = 0.3,
    epsilon: float = 0.25,
    period="10D",
    time_step="6h",
    resolution: float = 0.1,
) -> xr.Dataset:
    """Time-periodic double gyre: ``psi = A sin(pi f(x, t)) sin(pi y)``, ``f = a x^2 + b x``,
    ``a = eps sin(w t)``, ``b = 1 - 2 eps sin(w t)`` on x in [0, 2], y in [0, 1] mapped onto ``bounds``."""
    lon0, lon1, lat0, lat1 = bounds
    amp = max_speed * EARTH_RADIUS * np.deg2rad(lat1 - lat0) / np.pi
    omega = 2 * np.pi / seconds(period, "period")

    def psi(lon, lat, t):
        x = 2 * (lon - lon0) / (lon1 - lon0)
        y = (lat - lat0) / (lat1 - lat0)
        s = epsilon * np.sin(omega * t)
        return amp * np.sin(np.pi * (s * x**2 + (1 - 2 * s) * x)) * np.sin(np.pi * y)

    return _streamfunction_field(
        psi,
        bounds,
        resolution,
        _times(start, duration, time_step),
        attrs={"title": "double gyre", "epsilon": epsilon},
        steady=False,
    )


def bickley_jet(
    start="2000-01-01",
    duration="30D",
    *,
    bounds: Bounds = (150.0, 180.0, 30.0, 40.0),
    speed: float = 0.6,
    width: float = 150e3,
    eps: tuple[float, float, float] = (0.0075, 0.15, 0.3),
    time_step="6h",
    resolution: float = 0.1,
) -> xr.Dataset:
    """Bickley jet with three travelling waves (Rypina et al. 2007 shape, ocean scales): eastward jet of peak
    ``speed`` (m s-1) and half-width ``width`` (m) along the box's central latitude."""
    lon0, lon1, lat0, lat1 = bounds
    lat_c = (lat0 + lat1) / 2
    length = EARTH_RADIUS * np.cos(np.deg2rad(lat_c)) * np.deg2rad(lon1 - lon0)
    k = 2 * np.pi * np.arange(1, 4) / length
    c = speed * np.array([0.1446, 0.2053, 0.4561])

    def psi(lon, lat, t):
        x = EARTH_RADIUS * np.cos(np.deg2rad(lat_c)) * np.deg2rad(lon - lon0)
        y = EARTH_RADIUS * np.deg2rad(lat - lat_c)
        waves = sum(e * np.cos(kn * (x - cn * t)) for e, kn, cn in zip(eps, k, c, strict=True))
        return -speed * width * np.tanh(y / width) + speed * width / np.cosh(y / width) ** 2 * waves

    return _streamfunction_field(
        psi,
        bounds,
        resolution,
        _times(start, duration, time_step),
        attrs={"title": "Bickley jet"},
        steady=False,
    )


# Kuroshio axis (lon, lat), offshore of the Ryukyu arc and the south coast of Japan; extended beyond 120-150E.
KUROSHIO_PATH = (
    (121.8, 12.0),
    (122.4, 20.0),
    (122.7, 23.0),
    (122.5, 24.4),
    (123.5, 25.2),
    (125.0, 26.0),
    (126.5, 27.0),
    (127.8, 28.1),
    (128.9, 29.0),
    (129.6, 29.4),
    (130.6, 29.9),
    (131.5, 30.5),
    (132.2, 31.6),
    (133.0, 32.3),
    (134.2, 32.8),
    (135.8, 33.0),
    (137.5, 33.6),
    (138.8, 33.9),
    (139.6, 33.6),
    (140.5, 34.4),
    (141.2, 35.2),
    (143.0, 35.6),
    (146.0, 35.8),
    (150.0, 36.0),
    (158.0, 36.2),
)


def kuroshio_path(large_meander: bool = False, spacing: float = 0.25) -> np.ndarray:
    """Kuroshio axis as an (n, 2) lon/lat polyline; ``large_meander`` bends it south (to ~31.5N) off Tokai."""
    p = np.asarray(KUROSHIO_PATH)
    seg = np.hypot(*np.diff(p, axis=0).T)
    s = np.concatenate([[0], np.cumsum(seg)])
    fine = np.linspace(0, s[-1], int(s[-1] / spacing) + 1)
    path = np.column_stack([np.interp(fine, s, p[:, 0]), np.interp(fine, s, p[:, 1])])
    if large_meander:
        path[:, 1] -= 2.2 * np.exp(-(((path[:, 0] - 137.6) / 1.1) ** 2))
    return path


def _signed_distance(lon, lat, path: np.ndarray) -> np.ndarray:
    """Distance (m) to a polyline, positive to the left of its direction (local equirectangular metric)."""
    km = EARTH_RADIUS * np.pi / 180
    cos = np.cos(np.deg2rad(lat))[..., None]
    ax, ay = path[:-1, 0], path[:-1, 1]
    dx, dy = (path[1:, 0] - ax) * cos, path[1:, 1] - ay
    px, py = (lon[..., None] - ax) * cos, lat[..., None] - ay
    f = np.clip((px * dx + py * dy) / (dx**2 + dy**2), 0.0, 1.0)
    dist = np.hypot(px - f * dx, py - f * dy)
    nearest = np.argmin(dist, axis=-1)[..., None]
    side = np.sign(np.take_along_axis(dx * py - dy * px, nearest, axis=-1))[..., 0]
    return side * np.take_along_axis(dist, nearest, axis=-1)[..., 0] * km


def northwest_pacific(
    start="2021-08-01",
    end="2022-02-01",
    *,
    resolution: float = 0.2,
    time_step="5D",
    kuroshio_speed: float = 1.2,
    kuroshio_width: float = 50e3,
    westward_speed: float = 0.15,
    gyre_speed: float = 0.15,
    large_meander: bool = False,
    wind: bool = True,
    bounds: Bounds = (120.0, 150.0, 15.0, 40.0),
) -> xr.Dataset:
    """Idealised north-west Pacific surface field on real lon/lat (default 120-150E, 15-40N).

    Currents (stationary, m s-1) from a streamfunction: a Kuroshio-like jet (peak ``kuroshio_speed``,
    half-width ``kuroshio_width`` m) along the Ryukyu-Japan margin (:data:`KUROSHIO_PATH`, optionally in
    its large meander path), westward flow ``westward_speed`` south of ~27N (North Equatorial Current region)
    and a clockwise recirculation gyre (peak ``gyre_speed``, centred 134E 28N) flowing north along the
    Ryukyus. Wind (``uwind``, ``vwind``): trade easterlies in the south, westerlies in the north, and a
    seasonal monsoon (north-easterly in winter, south-westerly in summer). Time axis from ``start`` to
    ``end`` every ``time_step``. A teaching field, not a reanalysis.
    """
    path = kuroshio_path(large_meander)
    transport = 2 * kuroshio_speed * kuroshio_width
    gyre_amp = gyre_speed * EARTH_RADIUS * np.deg2rad(3.5) * np.sqrt(np.e / 2)  # peak speed ~ gyre_speed
    phi_w, d_w = np.deg2rad(27.0), np.deg2rad(2.0)

    def psi(lon, lat, t):
        jet = transport * (1 - np.tanh(_signed_distance(lon, lat, path) / kuroshio_width)) / 2
        phi = np.deg2rad(lat)
        west = EARTH_RADIUS * westward_speed * 0.5 * (phi - d_w * np.log(np.cosh((phi - phi_w) / d_w)))
        # Kuroshio recirculation gyre: clockwise about (134E, 28N), northward along the Ryukyus
        gyre = gyre_amp * np.exp(-(((lon - 134.0) / 7.0) ** 2) - ((lat - 28.0) / 3.5) ** 2)
        return jet + west + gyre

    times = _times(start, to_datetime64(end, "end") - to_datetime64(start, "start"), time_step)

    def winds(lon, lat, time):
        doy = (time - time.astype("datetime64[Y]")) / np.timedelta64(1, "D")
        monsoon = np.cos(2 * np.pi * (doy - 15) / 365.25)  # +1 mid-January (NE monsoon), -1 mid-July
        return -6.0 + 12.0 * (lat - 15.0) / 25.0 - 2.0 * monsoon + 0 * lon, -4.0 * monsoon + 0 * lat

    ds = _streamfunction_field(
        psi,
        bounds,
        resolution,
        times,
        wind=winds if wind else None,
        attrs={"title": "idealised north-west Pacific (bayesgeo)", "large_meander": int(large_meander)},
    )
    return ds
