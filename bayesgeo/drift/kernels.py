"""Compiled particle kernels: interpolation, RK4/Euler steps on the sphere, random walk, stranding.

Pure numba functions on plain arrays (the physics layer). Positions are degrees, velocities m s-1, times
seconds, diffusivities m2 s-1; metres become degrees on a sphere (default) or on the WGS84 ellipsoid.
Fields are sampled bilinearly in space and linearly in time on rectilinear axes. Random numbers come from a
counter-based generator (SplitMix64 of seed, particle id and particle step), so a run gives the same
numbers whatever the thread count, chunking or start time.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

EARTH_RADIUS = 6_371_000.0  # m, mean radius
EARTHS = {"sphere": (EARTH_RADIUS, 0.0), "wgs84": (6_378_137.0, 6.69437999014e-3)}  # (a in m, e2)
_RAD = math.pi / 180.0

UNRELEASED, ACTIVE, STRANDED, LEFT_DOMAIN, EXPIRED = 0, 1, 2, 3, 4
STATUS_MEANINGS = "unreleased active stranded left_domain expired"
EULER, RK4 = 0, 1
METHODS = {"euler": EULER, "rk4": RK4}

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_BISECTIONS = 12
_FAST = {"nsz", "arcp", "contract", "afn", "reassoc"}  # no nnan/ninf: max_age may be inf


@njit(cache=True)
def _mix64(z):
    """SplitMix64 finaliser (bijective 64-bit mixing)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def particle_keys(seed, pid):
    """Per-particle random keys from a run seed (uint64) and particle ids (int64 array)."""
    out = np.empty(pid.shape[0], dtype=np.uint64)
    s = _mix64(np.uint64(seed) + _GOLDEN)
    for i in range(pid.shape[0]):
        out[i] = _mix64(s ^ _mix64(np.uint64(pid[i]) * _GOLDEN + np.uint64(1)))
    return out


@njit(cache=True)
def _uniform(key, counter):
    z = _mix64(key + np.uint64(counter) * _GOLDEN)
    return (float(z >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)  # in (0, 1)


@njit(cache=True)
def normal_pair(key, counter):
    """Two independent standard normal numbers for stream ``key`` at position ``counter`` (Box-Muller)."""
    u1 = _uniform(key, 2 * counter)
    u2 = _uniform(key, 2 * counter + 1)
    r = math.sqrt(-2.0 * math.log(u1))
    return r * math.cos(2.0 * math.pi * u2), r * math.sin(2.0 * math.pi * u2)


@njit(cache=True, fastmath=_FAST)
def _locate(axis, x, inv_step, uniform):
    """Index ``i`` and weight ``w`` with ``x = (1-w) axis[i] + w axis[i+1]`` (``x`` clamped to the axis)."""
    n = axis.shape[0]
    if n == 1:
        return 0, 0.0
    g = (x - axis[0]) * inv_step
    i = min(max(int(g), 0), n - 2)
    if uniform:
        return i, min(max(g - i, 0.0), 1.0)
    while i > 0 and axis[i] > x:
        i -= 1
    while i < n - 2 and axis[i + 1] < x:
        i += 1
    return i, min(max((x - axis[i]) / (axis[i + 1] - axis[i]), 0.0), 1.0)


@njit(cache=True, fastmath=_FAST)
def _corner(data, iy, ix, it, jt, wt, q):
    """Variable ``q`` at grid corner (iy, ix), linear in time between levels ``it`` and ``jt``."""
    return data[iy, ix, it, q] + wt * (data[iy, ix, jt, q] - data[iy, ix, it, q])


@njit(cache=True, fastmath=_FAST)
def _bilinear(data, iy, ix, it, jt, wt, w00, w01, w10, w11, q):
    return (
        w00 * _corner(data, iy, ix, it, jt, wt, q)
        + w01 * _corner(data, iy, ix + 1, it, jt, wt, q)
        + w10 * _corner(data, iy + 1, ix, it, jt, wt, q)
        + w11 * _corner(data, iy + 1, ix + 1, it, jt, wt, q)
    )


@njit(cache=True)
def degrees_per_metre(lat, a, e2):
    """Degrees of longitude and latitude per metre east/north at ``lat`` on an ellipsoid (semi-major axis
    ``a`` m, squared eccentricity ``e2``; ``e2 = 0``: sphere of radius ``a``), from the radii of curvature."""
    c = math.cos(lat * _RAD)
    if e2 == 0.0:
        return 1.0 / (a * _RAD * c), 1.0 / (a * _RAD)
    w = 1.0 - e2 * (1.0 - c * c)
    n = a / math.sqrt(w)  # prime vertical
    return 1.0 / (n * _RAD * c), w / (n * (1.0 - e2) * _RAD)  # meridional radius m = n (1 - e2) / w


@njit(cache=True)
def _inside(x, y, flon, flat):
    return flon[0] <= x <= flon[flon.shape[0] - 1] and flat[0] <= y <= flat[flat.shape[0] - 1]


@njit(cache=True)
def _wrap(x, flon, period):
    if period > 0.0:
        return flon[0] + (x - flon[0]) % period
    return x


@njit(cache=True, fastmath=_FAST, inline="always")
def rate(t, x, y, alpha, ftime, flon, flat, inv_step, uniform, data, period, a, e2):
    """Drift velocity ``u_ocean + alpha * U10`` at (t, x, y) as (dlon/dt, dlat/dt) in degrees per second.

    ``data[iy, ix, it, var]`` holds uo, vo (and uwind, vwind). Returns ``ok = False`` outside the field.
    """
    x = _wrap(x, flon, period)
    if not _inside(x, y, flon, flat):
        return 0.0, 0.0, False
    it, wt = _locate(ftime, t, inv_step[0], uniform[0])
    jt = min(it + 1, ftime.shape[0] - 1)
    ix, wx = _locate(flon, x, inv_step[1], uniform[1])
    iy, wy = _locate(flat, y, inv_step[2], uniform[2])
    w00, w01, w10, w11 = (1.0 - wy) * (1.0 - wx), (1.0 - wy) * wx, wy * (1.0 - wx), wy * wx
    u = _bilinear(data, iy, ix, it, jt, wt, w00, w01, w10, w11, 0)
    v = _bilinear(data, iy, ix, it, jt, wt, w00, w01, w10, w11, 1)
    if alpha != 0.0 and data.shape[3] == 4:
        u += alpha * _bilinear(data, iy, ix, it, jt, wt, w00, w01, w10, w11, 2)
        v += alpha * _bilinear(data, iy, ix, it, jt, wt, w00, w01, w10, w11, 3)
    east, north = degrees_per_metre(y, a, e2)
    return u * east, v * north, True


@njit(cache=True, fastmath=_FAST, inline="always")
def step(method, t, dt, x, y, alpha, ftime, flon, flat, inv_step, uniform, data, period, a, e2):
    """One advective step (Euler or classical RK4) from (x, y) at time t; ``ok = False`` off the field."""
    k1x, k1y, ok = rate(t, x, y, alpha, ftime, flon, flat, inv_step, uniform, data, period, a, e2)
    if not ok:
        return x, y, False
    if method == EULER:
        return x + dt * k1x, y + dt * k1y, True
    h = 0.5 * dt
    k2x, k2y, ok2 = rate(
        t + h, x + h * k1x, y + h * k1y, alpha, ftime, flon, flat, inv_step, uniform, data, period, a, e2
    )
    k3x, k3y, ok3 = rate(
        t + h, x + h * k2x, y + h * k2y, alpha, ftime, flon, flat, inv_step, uniform, data, period, a, e2
    )
    k4x, k4y, ok4 = rate(
        t + dt, x + dt * k3x, y + dt * k3y, alpha, ftime, flon, flat, inv_step, uniform, data, period, a, e2
    )
    if not (ok2 and ok3 and ok4):
        return x, y, False
    return (
        x + dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x),
        y + dt / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y),
        True,
    )


@njit(cache=True)
def on_land(x, y, mask, m_lon0, m_lat0, m_inv_res):
    """True on a land cell of ``mask`` (uint8, lat x lon from south-west corner); outside counts as sea."""
    i = int(math.floor((y - m_lat0) * m_inv_res))
    j = int(math.floor(((x - m_lon0) % 360.0) * m_inv_res))
    if i < 0 or i >= mask.shape[0] or j < 0 or j >= mask.shape[1]:
        return False
    return mask[i, j] != 0


@njit(cache=True)
def _coast_crossing(x0, y0, x1, y1, mask, m_lon0, m_lat0, m_inv_res):
    """Fraction of the segment (x0, y0) -> (x1, y1) where it first reaches land (bisection)."""
    lo, hi = 0.0, 1.0
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        if on_land(x0 + mid * (x1 - x0), y0 + mid * (y1 - y0), mask, m_lon0, m_lat0, m_inv_res):
            hi = mid
        else:
            lo = mid
    return hi


@njit(parallel=True, cache=True)
def advance(
    lon,
    lat,
    status,
    stop_time,
    release_step,
    key,
    alpha,
    kh,
    k0,
    nsteps,
    t0,
    dt,
    method,
    max_age,
    ftime,
    flon,
    flat,
    inv_step,
    uniform,
    data,
    period,
    a,
    e2,
    mask,
    m_lon0,
    m_lat0,
    m_inv_res,
    has_land,
):
    """Advance all particles through steps ``k0 .. k0 + nsteps - 1`` in place (parallel over particles).

    Step ``k`` goes from ``t0 + k dt`` to ``t0 + (k + 1) dt`` (``dt < 0``: backward run). A particle takes
    part from step ``release_step``; it stops when it strands on land (position and time of the coast
    crossing are kept), leaves the field, or reaches ``max_age`` seconds. ``stop_time`` receives the
    stopping time (s).
    """
    sigma_scale = math.sqrt(2.0 * abs(dt))
    for p in prange(lon.shape[0]):
        s = status[p]
        if s >= STRANDED:
            continue
        x = lon[p]
        y = lat[p]
        r = release_step[p]
        for k in range(max(k0, r), k0 + nsteps):
            s = ACTIVE
            t = t0 + k * dt
            if (k - r) * abs(dt) >= max_age:
                s = EXPIRED
                stop_time[p] = t
                break
            xn, yn, ok = step(
                method, t, dt, x, y, alpha[p], ftime, flon, flat, inv_step, uniform, data, period, a, e2
            )
            if ok and kh[p] > 0.0:
                g1, g2 = normal_pair(key[p], k - r)
                east, north = degrees_per_metre(yn, a, e2)
                sd = sigma_scale * math.sqrt(kh[p])
                xn += g1 * sd * east
                yn += g2 * sd * north
            if not ok or not _inside(_wrap(xn, flon, period), yn, flon, flat):
                s = LEFT_DOMAIN
                stop_time[p] = t
                break
            if has_land and on_land(xn, yn, mask, m_lon0, m_lat0, m_inv_res):
                f = _coast_crossing(x, y, xn, yn, mask, m_lon0, m_lat0, m_inv_res)
                x = _wrap(x + f * (xn - x), flon, period)
                y = y + f * (yn - y)
                s = STRANDED
                stop_time[p] = t + f * dt
                break
            x = _wrap(xn, flon, period)
            y = yn
        lon[p] = x
        lat[p] = y
        status[p] = s
