"""The particle drift simulator: releases + field (+ land mask) -> CF trajectory dataset.

:func:`simulate` checks its inputs at the boundary (one-line ``ValueError`` naming the field and what is
expected), then advances all particles with the compiled kernel in blocks of steps. Only the current field
time window and the particle state are held in memory; trajectories are kept every ``output_every`` steps,
in memory or streamed to a NetCDF file.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import xarray as xr
from tqdm import tqdm

from bayesgeo._version import __version__
from bayesgeo.drift import kernels
from bayesgeo.drift._time import seconds, to_datetime64
from bayesgeo.drift.fields import FieldArrays, field_window
from bayesgeo.drift.landmask import is_land

# numba's default threading layers must not run one parallel kernel from two threads at once (Dask's threaded
# scheduler would); the kernel already uses every core, so concurrent calls simply queue here.
_KERNEL_LOCK = threading.Lock()
_BLOCK_STEPS = 48  # steps per kernel call when no trajectory output is requested
_WINDOW_LEVELS = 16  # field time levels loaded beyond what a block needs
STATUS_ATTRS = {
    "flag_values": np.arange(5, dtype=np.int8),
    "flag_meanings": kernels.STATUS_MEANINGS,
    "long_name": "particle status",
}
GEO_ATTRS = {
    "lon": {"standard_name": "longitude", "units": "degrees_east"},
    "lat": {"standard_name": "latitude", "units": "degrees_north"},
}
TRAJECTORY_ATTRS = GEO_ATTRS | {"status": STATUS_ATTRS}


def seed_value(seed) -> int:
    """An integer seed from an int or a ``numpy.random.Generator`` (which is advanced once)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if isinstance(seed, int | np.integer) and seed >= 0:
        return int(seed)
    raise ValueError(f"seed must be a non-negative int or a numpy Generator, got {seed!r}")


def _per_particle(value, n: int, what: str, lo: float, hi: float) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    a = np.full(n, float(a)) if a.ndim == 0 else a
    if a.shape != (n,):
        raise ValueError(f"{what} must be a scalar or have one value per particle ({n}), got shape {a.shape}")
    if not np.all(np.isfinite(a)) or a.min(initial=lo) < lo or a.max(initial=lo) > hi:
        raise ValueError(
            f"{what} must be finite and within [{lo}, {hi}], got range [{np.nanmin(a)}, {np.nanmax(a)}]"
        )
    return a


def _mask_arrays(land: xr.DataArray | None):
    if land is None:
        return np.zeros((1, 1), np.uint8), 0.0, 0.0, 1.0, False
    res = float(land.attrs.get("resolution_deg", land.lon[1] - land.lon[0]))
    return (
        np.ascontiguousarray(land.values, dtype=np.uint8),
        float(land.lon[0]) - res / 2,
        float(land.lat[0]) - res / 2,
        1.0 / res,
        True,
    )


class _Windows:
    """Field time windows on demand (times in seconds since ``epoch``); reuses the window while it covers."""

    def __init__(self, field: xr.Dataset, epoch: np.datetime64):
        self.field, self.epoch = field, epoch
        self.times = (field.time.values - epoch) / np.timedelta64(1, "s")
        self.span = (-1, -1)
        self.arrays: FieldArrays | None = None

    def covering(self, t_lo: float, t_hi: float) -> FieldArrays:
        nt = self.times.size
        i0 = max(int(np.searchsorted(self.times, t_lo, side="right")) - 1, 0)
        i1 = min(int(np.searchsorted(self.times, t_hi, side="left")), nt - 1)
        if not (self.span[0] <= i0 and i1 <= self.span[1]):
            self.span = (i0, min(i1 + _WINDOW_LEVELS, nt - 1))
            self.arrays = field_window(self.field, self.epoch, *self.span)
        return self.arrays


class _MemoryWriter:
    def __init__(self, n: int, n_out: int):
        self.lon = np.full((n, n_out), np.nan, np.float32)
        self.lat = np.full((n, n_out), np.nan, np.float32)
        self.status = np.zeros((n, n_out), np.int8)

    def write(self, j: int, lon, lat, status):
        self.lon[:, j], self.lat[:, j], self.status[:, j] = lon, lat, status

    def finish(self, meta: xr.Dataset) -> xr.Dataset:
        dims = ("trajectory", "time")
        return meta.assign(
            {k: (dims, getattr(self, k), TRAJECTORY_ATTRS[k]) for k in ("lon", "lat", "status")}
        )


class _NetCDFWriter:
    """Streams trajectory columns to a NetCDF-4 file as they are produced (bounded memory)."""

    def __init__(self, path: str, n: int, n_out: int):
        import h5netcdf.legacyapi as nc

        self.path = path
        self.nc = nc.Dataset(path, "w")
        self.nc.createDimension("trajectory", n)
        self.nc.createDimension("time", n_out)
        chunks = (min(n, 4096), 1)
        self.vars = {}
        for k, dtype, fill in (("lon", "f4", np.nan), ("lat", "f4", np.nan), ("status", "i1", 0)):
            self.vars[k] = self.nc.createVariable(
                k, dtype, ("trajectory", "time"), chunksizes=chunks, fill_value=fill
            )
            self.vars[k].attrs.update(TRAJECTORY_ATTRS[k])

    def write(self, j: int, lon, lat, status):
        for k, a in (("lon", lon), ("lat", lat), ("status", status)):
            self.vars[k][:, j : j + 1] = a[:, None]

    def finish(self, meta: xr.Dataset) -> xr.Dataset:
        self.nc.close()
        meta.to_netcdf(self.path, mode="a", engine="h5netcdf")
        return xr.open_dataset(self.path, engine="h5netcdf")


def _check_release(release: xr.Dataset, field: xr.Dataset, land: xr.DataArray | None):
    for key in ("lon", "lat", "time"):
        if key not in release:
            raise ValueError(f"release has no {key!r} variable; build it with release_point/disk/polygon")
    lon, lat = release.lon.values.astype(float), release.lat.values.astype(float)
    if lon.size == 0:
        raise ValueError("release has no particles")
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        raise ValueError("release lon/lat contain NaN or infinite values")
    x = field.lon.values[0] + (lon - field.lon.values[0]) % 360.0  # release lon in the field's convention
    outside = (
        (x < field.lon.values[0])
        | (x > field.lon.values[-1])
        | (lat < field.lat.values[0])
        | (lat > field.lat.values[-1])
    )
    if outside.any():
        i = int(np.argmax(outside))
        raise ValueError(
            f"release particle {i} at lon={lon[i]:.4f}, lat={lat[i]:.4f} is outside the field "
            f"(lon {field.lon.values[0]}..{field.lon.values[-1]}, "
            f"lat {field.lat.values[0]}..{field.lat.values[-1]})"
        )
    if land is not None:
        wet = is_land(land, lon, lat)
        if wet.any():
            i = int(np.argmax(wet))
            raise ValueError(
                f"release particle {i} at lon={lon[i]:.4f}, lat={lat[i]:.4f} is on land "
                f"({int(wet.sum())} of {lon.size} release points); release at sea"
            )
    return x, lat


def _run_times(release_t: np.ndarray, start, duration: float, dt: float):
    t_first, t_last = release_t.min(), release_t.max()
    start = (t_first if dt > 0 else t_last) if start is None else to_datetime64(start, "start")
    offsets = (release_t - start) / np.timedelta64(1, "s")
    if np.any(offsets * np.sign(dt) < -1e-6) or np.any(np.abs(offsets) > duration + 1e-6):
        raise ValueError(
            f"release times {t_first}..{t_last} must lie within the run from {start} over "
            f"{duration / 86400:g} days {'forward' if dt > 0 else 'backward'}"
        )
    n_steps = int(np.ceil(duration / abs(dt) - 1e-9))
    return start, np.rint(offsets / dt).astype(np.int64), n_steps


def _check_field_time(field: xr.Dataset, start: np.datetime64, end: np.datetime64):
    if field.sizes["time"] == 1:
        return
    lo, hi = min(start, end), max(start, end)
    t0, t1 = field.time.values[0], field.time.values[-1]
    if lo < t0 or hi > t1:
        raise ValueError(f"field time covers {t0} to {t1}, but the run needs {lo} to {hi}")


def _output_steps(output_every, n_steps: int, dt: float) -> np.ndarray:
    if output_every is None:
        return np.array([n_steps])
    every = (
        output_every
        if isinstance(output_every, int | np.integer)
        else max(int(round(seconds(output_every, "output_every") / abs(dt))), 1)
    )
    if every < 1:
        raise ValueError(
            f"output_every must be a positive number of steps or a duration, got {output_every!r}"
        )
    return np.unique(np.append(np.arange(0, n_steps + 1, every), n_steps))


def simulate(
    field: xr.Dataset,
    release: xr.Dataset,
    *,
    duration,
    dt: float = 3600.0,
    method: str = "rk4",
    windage=0.0,
    diffusivity=0.0,
    land: xr.DataArray | None = None,
    max_age=None,
    start=None,
    output_every: int | str | None = "1D",
    outfile: str | os.PathLike | None = None,
    seed=0,
    progress: bool = False,
    on_leave: str = "stop",
    earth: str = "sphere",
) -> xr.Dataset:
    """Drift particles through a field: RK4 (or Euler) on the sphere, windage, random walk, stranding.

    Particle velocity is ``u_ocean + windage * U10`` (m s-1), integrated in lon/lat degrees on a sphere of
    radius 6371 km (or the WGS84 ellipsoid); diffusion adds ``sqrt(2 Kh |dt|) N(0, 1)`` metres per axis and
    step. Release times are rounded to the nearest step.

    Parameters
    ----------
    field : xarray.Dataset
        Forcing field from :func:`open_field`, :func:`make_field` or a built-in flow (``uo``, ``vo`` and, for
        windage, ``uwind``, ``vwind``; m s-1).
    release : xarray.Dataset
        Particles on dim ``particle`` with ``lon``, ``lat`` (degrees) and ``time`` (release time); an integer
        ``particle`` coordinate, when present, names the particles' random streams.
    duration : float or str
        Length of the run, seconds or a duration string ("60D").
    dt : float
        Time step (s); negative for a backward run (time runs from ``start`` into the past).
    method : {"rk4", "euler"}
        Integrator.
    windage : float or array_like
        Wind drift factor alpha (fraction of U10; 0.02 = 2 %), scalar or one per particle.
    diffusivity : float or array_like
        Horizontal diffusivity Kh (m2 s-1), scalar or one per particle.
    land : xarray.DataArray, optional
        Land mask from :func:`land_mask`; particles reaching land strand there. ``None``: no coast.
    max_age : float or str, optional
        Particles stop ("expired") after drifting this long (s or duration string).
    start : time, optional
        Run start; default the first release (last one for backward runs).
    output_every : int, str or None
        Trajectory output interval in steps (int) or as a duration ("1D"); ``None`` keeps only final states.
    outfile : path, optional
        Stream the trajectories to this NetCDF file instead of memory (the returned dataset is read back).
    seed : int or numpy.random.Generator
        Seed of the diffusion random walk; the same seed gives the same numbers.
    progress : bool
        Show a progress bar.
    on_leave : {"stop", "raise"}
        What happens when a particle leaves the field: it stops with status ``left_domain``, or a
        ``ValueError`` names it.
    earth : {"sphere", "wgs84"}
        Metric that turns metres into degrees: a sphere of radius 6371 km (as the analytic flows) or the WGS84
        ellipsoid's radii of curvature (as OpenDrift; differs by ~0.2-0.4 %).

    Returns
    -------
    xarray.Dataset
        CF trajectory dataset (``featureType = "trajectory"``) on dims ``trajectory`` (and ``time`` for the
        outputs): ``lon``, ``lat`` (degrees, float32) and ``status`` (trajectory, time); per trajectory
        ``release_time``, ``release_lon``, ``release_lat``, ``windage``, ``diffusivity``, ``final_status``,
        ``final_time``, ``final_lon``, ``final_lat`` and ``stranding_time``, ``stranding_lon``,
        ``stranding_lat`` (NaT/NaN unless stranded). Status flags: 0 unreleased, 1 active, 2 stranded,
        3 left_domain, 4 expired.
    """
    if method not in kernels.METHODS:
        raise ValueError(f"method must be one of {sorted(kernels.METHODS)}, got {method!r}")
    if earth not in kernels.EARTHS:
        raise ValueError(f"earth must be one of {sorted(kernels.EARTHS)}, got {earth!r}")
    if on_leave not in ("stop", "raise"):
        raise ValueError(f"on_leave must be 'stop' or 'raise', got {on_leave!r}")
    dt = float(dt)
    if not np.isfinite(dt) or dt == 0.0:
        raise ValueError(f"dt must be a non-zero number of seconds, got {dt}")
    duration = seconds(duration, "duration")
    if not duration > 0:
        raise ValueError(f"duration must be positive, got {duration} s")
    age_limit = np.inf if max_age is None else seconds(max_age, "max_age")
    if not age_limit > 0:
        raise ValueError(f"max_age must be positive, got {max_age!r}")
    lon, lat = _check_release(release, field, land)
    n = lon.size
    alpha = _per_particle(windage, n, "windage", 0.0, 1.0)
    kh = _per_particle(diffusivity, n, "diffusivity", 0.0, 1e6)
    if alpha.any() and "uwind" not in field:
        raise ValueError("windage > 0 needs a field with 10 m wind (eastward_wind/northward_wind, m s-1)")
    release_t = release.time.values.astype("datetime64[ns]")
    start, release_step, n_steps = _run_times(release_t, start, duration, dt)
    end = start + np.timedelta64(int(round(n_steps * dt * 1e9)), "ns")
    _check_field_time(field, start, end)
    pid = release["particle"].values.astype(np.int64) if "particle" in release.coords else np.arange(n)
    seed_int = seed_value(seed)
    keys = kernels.particle_keys(np.uint64(seed_int), pid)
    out_steps = _output_steps(output_every, n_steps, dt)
    writer = (
        _NetCDFWriter(os.fspath(outfile), n, out_steps.size) if outfile else _MemoryWriter(n, out_steps.size)
    )
    record = output_every is not None

    state_lon, state_lat = lon.copy(), lat.copy()
    status = np.zeros(n, np.int8)
    stop_time = np.full(n, np.nan)
    windows = _Windows(field, start)
    mask = _mask_arrays(land)
    stops = np.unique(np.concatenate([out_steps, np.arange(0, n_steps, _BLOCK_STEPS)]))
    j = 0
    with tqdm(total=n_steps, disable=not progress, unit="step", desc="drift") as bar:
        for k0, k1 in zip(stops[:-1], stops[1:], strict=True):
            if record and k0 == out_steps[j]:
                _record(writer, j, k0, state_lon, state_lat, status, release_step)
                j += 1
            fa = windows.covering(*sorted((k0 * dt, k1 * dt)))
            with _KERNEL_LOCK:
                kernels.advance(
                    state_lon,
                    state_lat,
                    status,
                    stop_time,
                    release_step,
                    keys,
                    alpha,
                    kh,
                    int(k0),
                    int(k1 - k0),
                    0.0,
                    dt,
                    kernels.METHODS[method],
                    age_limit,
                    *fa,
                    *kernels.EARTHS[earth],
                    *mask,
                )
            bar.update(int(k1 - k0))
            if on_leave == "raise" and (status == kernels.LEFT_DOMAIN).any():
                _raise_left(status, state_lon, state_lat, stop_time, start)
        if record:
            _record(writer, j, n_steps, state_lon, state_lat, status, release_step)

    meta = _final_state(
        pid, release_t, lon, lat, alpha, kh, status, stop_time, state_lon, state_lat, start, end
    )
    meta.attrs |= {"method": method, "dt": dt, "seed": seed_int, "duration_s": duration, "earth": earth}
    if not record:
        return meta
    times = start + (out_steps * dt * 1e9).astype("timedelta64[ns]")
    return writer.finish(meta.assign_coords(time=("time", times, {"standard_name": "time"})))


def _record(writer, j, k, lon, lat, status, release_step):
    released = release_step <= k
    st = np.where(released & (status == kernels.UNRELEASED), kernels.ACTIVE, status).astype(np.int8)
    writer.write(j, np.where(released, lon, np.nan), np.where(released, lat, np.nan), st)


def _raise_left(status, lon, lat, stop_time, start):
    i = int(np.argmax(status == kernels.LEFT_DOMAIN))
    when = start + np.timedelta64(int(stop_time[i] * 1e9), "ns")
    raise ValueError(
        f"particle {i} left the field at lon={lon[i]:.4f}, lat={lat[i]:.4f}, time={when}; "
        "extend the field or use on_leave='stop'"
    )


def _final_state(
    pid, release_t, lon0, lat0, alpha, kh, status, stop_time, lon, lat, start, end
) -> xr.Dataset:
    stopped = np.isfinite(stop_time)
    final_time = np.where(stopped, start + (np.nan_to_num(stop_time) * 1e9).astype("timedelta64[ns]"), end)
    final_time = np.where(status == kernels.UNRELEASED, np.datetime64("NaT"), final_time)
    stranded = status == kernels.STRANDED
    geo = GEO_ATTRS
    per = {
        "release_time": (release_t, {"long_name": "release time"}),
        "release_lon": (lon0, geo["lon"] | {"long_name": "release longitude"}),
        "release_lat": (lat0, geo["lat"] | {"long_name": "release latitude"}),
        "windage": (alpha, {"long_name": "wind drift factor", "units": "1"}),
        "diffusivity": (kh, {"long_name": "horizontal diffusivity", "units": "m2 s-1"}),
        "final_status": (status, STATUS_ATTRS),
        "final_time": (final_time, {"long_name": "time of the final position (stop or end of run)"}),
        "final_lon": (lon, geo["lon"] | {"long_name": "final longitude"}),
        "final_lat": (lat, geo["lat"] | {"long_name": "final latitude"}),
        "stranding_time": (
            np.where(stranded, final_time, np.datetime64("NaT")),
            {"long_name": "stranding time"},
        ),
        "stranding_lon": (np.where(stranded, lon, np.nan), geo["lon"] | {"long_name": "stranding longitude"}),
        "stranding_lat": (np.where(stranded, lat, np.nan), geo["lat"] | {"long_name": "stranding latitude"}),
    }
    ds = xr.Dataset(
        {k: ("trajectory", v, a) for k, (v, a) in per.items()},
        coords={"trajectory": ("trajectory", pid, {"cf_role": "trajectory_id"})},
    )
    ds.attrs = {
        "Conventions": "CF-1.11",
        "featureType": "trajectory",
        "title": "bayesgeo particle drift",
        "bayesgeo_version": __version__,
        "time_coverage_start": str(min(start, end)),
        "time_coverage_end": str(max(start, end)),
    }
    return ds
