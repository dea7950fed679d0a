"""Ensembles of drift runs: sources x release dates x windage classes in one call, in parallel with Dask.

The result is the "analogue library" of proactive prediction: per particle of every member, where and when it
stranded and where it ended. Save it with :func:`save_ensemble` and reuse it for hazard maps
(:mod:`bayesgeo.drift.hazard`) without re-running the drift.
"""

from __future__ import annotations

import os

import dask
import numpy as np
import xarray as xr

from bayesgeo.drift._time import seconds, to_datetime64
from bayesgeo.drift.kernels import STRANDED
from bayesgeo.drift.release import release_disk
from bayesgeo.drift.simulate import STATUS_ATTRS, seed_value, simulate
from bayesgeo.drift.sources import Volcano

_DAY = 86400.0


def _member_run(
    field,
    land,
    source_index,
    lon,
    lat,
    times,
    windages,
    *,
    n,
    radius,
    release_duration,
    duration,
    dt,
    diffusivity,
    method,
    seed,
    n_members_per_source,
    earth,
) -> dict:
    """Drift every (release time, windage) member of one source in a single simulator call."""
    releases, alpha = [], []
    for i_r, t in enumerate(times):
        end = None if release_duration is None else t + np.timedelta64(int(release_duration * 1e9), "ns")
        for i_w, w in enumerate(windages):
            rng = np.random.default_rng([seed, source_index, i_r, i_w])
            releases.append(release_disk(lon, lat, radius, t, n, end=end, seed=rng, land=land))
            alpha.append(np.full(n, w))
    rel = xr.concat(releases, dim="particle")
    first = source_index * n_members_per_source * n
    rel = rel.assign_coords(particle=np.arange(first, first + rel.sizes["particle"]))
    span = (times.max() - times.min()) / np.timedelta64(1, "s") + (release_duration or 0.0) + duration
    out = simulate(
        field,
        rel,
        duration=span,
        dt=dt,
        method=method,
        windage=np.concatenate(alpha),
        diffusivity=diffusivity,
        land=land,
        max_age=duration,
        output_every=None,
        seed=seed,
        earth=earth,
    )
    shape = (times.size, len(windages), n)
    days = (out.stranding_time - out.release_time).values / np.timedelta64(1, "D")
    return {
        "arrival_time": days.reshape(shape).astype(np.float32),
        "stranding_lon": out.stranding_lon.values.reshape(shape),
        "stranding_lat": out.stranding_lat.values.reshape(shape),
        "final_lon": out.final_lon.values.reshape(shape).astype(np.float32),
        "final_lat": out.final_lat.values.reshape(shape).astype(np.float32),
        "final_status": out.final_status.values.reshape(shape),
    }


def _shared(obj, scheduler):
    """One graph node for a large input; scattered once to the workers of an active distributed client."""
    if obj is None:
        return None
    if scheduler is None:
        try:
            from distributed import get_client

            return get_client().scatter(obj, broadcast=True)
        except (ImportError, ValueError):  # no dask.distributed, or no active client
            pass
    return dask.delayed(obj, pure=True)


def run_ensemble(
    field: xr.Dataset,
    sources,
    release_times,
    windages=(0.0,),
    *,
    n_particles: int = 1000,
    duration="180D",
    radius: float = 10e3,
    release_duration=None,
    dt: float = 3600.0,
    diffusivity: float = 10.0,
    land: xr.DataArray | None = None,
    method: str = "rk4",
    seed: int = 0,
    earth: str = "sphere",
    scheduler=None,
) -> xr.Dataset:
    """Drift ``n_particles`` from every source, release time and windage class; one Dask task per source.

    Parameters
    ----------
    field : xarray.Dataset
        Forcing field (with wind when any windage > 0); it must cover the releases plus ``duration``.
    sources : sequence of Volcano or (name, lon, lat)
        Candidate vents, e.g. :data:`~bayesgeo.drift.sources.HAZARD_SOURCES`.
    release_times : sequence of times
        Eruption dates (ISO strings or datetime64).
    windages : sequence of float
        Windage classes alpha (fraction of U10).
    n_particles : int
        Particles per member, released in a disk of ``radius`` m (sea points only when ``land`` is given).
    duration : float or str
        Drift time of every particle (s or "180D").
    release_duration : float or str, optional
        Continuous release over this long after each release time; default instantaneous.
    dt, diffusivity, land, method, seed, earth
        As in :func:`~bayesgeo.drift.simulate`; diffusivity in m2 s-1.
    scheduler : optional
        Dask scheduler; default the active ``dask.distributed`` client if any, else local threads.

    Returns
    -------
    xarray.Dataset
        On dims (``source``, ``release``, ``windage``, ``particle``): ``arrival_time`` (days from release to
        stranding, NaN if it did not strand), ``stranding_lon``, ``stranding_lat``, ``final_lon``,
        ``final_lat``, ``final_status``; coordinates ``source`` (names) with ``source_lon``, ``source_lat``,
        ``release`` (datetime64) and ``windage``.
    """
    vents = [
        v if isinstance(v, Volcano) else Volcano(str(v[0]), float(v[1]), float(v[2]), "") for v in sources
    ]
    if not vents:
        raise ValueError("run_ensemble needs at least one source")
    times = np.array([to_datetime64(t, "release time") for t in np.atleast_1d(release_times)])
    windages = [float(w) for w in np.atleast_1d(windages)]
    duration_s = seconds(duration, "duration")
    spread_s = None if release_duration is None else seconds(release_duration, "release_duration")
    seed = seed_value(seed)
    field_node, land_node = _shared(field, scheduler), _shared(land, scheduler)
    common = dict(
        n=n_particles,
        radius=radius,
        release_duration=spread_s,
        duration=duration_s,
        dt=dt,
        diffusivity=diffusivity,
        method=method,
        seed=seed,
        n_members_per_source=times.size * len(windages),
        earth=earth,
    )
    tasks = [
        dask.delayed(_member_run, pure=True)(
            field_node, land_node, i, v.lon, v.lat, times, windages, **common
        )
        for i, v in enumerate(vents)
    ]
    results = dask.compute(*tasks, scheduler=scheduler)
    dims = ("source", "release", "windage", "particle")
    geo = {
        "stranding_lon": "degrees_east",
        "final_lon": "degrees_east",
        "stranding_lat": "degrees_north",
        "final_lat": "degrees_north",
    }
    data = {
        k: (dims, np.stack([r[k] for r in results]), {"units": geo[k]} if k in geo else {})
        for k in results[0]
    }
    data["arrival_time"][2].update({"units": "days", "long_name": "time from release to stranding"})
    data["final_status"] = (dims, data["final_status"][1], STATUS_ATTRS)
    return xr.Dataset(
        data,
        coords={
            "source": [v.name for v in vents],
            "source_lon": ("source", [v.lon for v in vents], {"units": "degrees_east"}),
            "source_lat": ("source", [v.lat for v in vents], {"units": "degrees_north"}),
            "release": ("release", times),
            "windage": ("windage", windages, {"units": "1", "long_name": "wind drift factor"}),
            "particle": np.arange(n_particles),
        },
        attrs={
            "title": "bayesgeo drift ensemble",
            "n_particles": n_particles,
            "duration_days": duration_s / _DAY,
            "radius_m": radius,
            "dt": dt,
            "diffusivity": diffusivity,
            "method": method,
            "seed": seed,
            "field_title": str(field.attrs.get("title", "")),
        },
    )


def stranded(ensemble: xr.Dataset) -> xr.DataArray:
    """Boolean mask of particles that stranded."""
    return ensemble.final_status == STRANDED


def save_ensemble(ensemble: xr.Dataset, path: str | os.PathLike) -> None:
    """Write an ensemble (the analogue library) to NetCDF, atomically."""
    tmp = f"{os.fspath(path)}.tmp"
    ensemble.to_netcdf(tmp, engine="h5netcdf")
    os.replace(tmp, path)


def load_ensemble(path: str | os.PathLike) -> xr.Dataset:
    """Read an ensemble written by :func:`save_ensemble` (into memory)."""
    if not os.path.exists(path):
        raise ValueError(f"ensemble file {os.fspath(path)!r} does not exist")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()
