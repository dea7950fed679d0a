"""Drift plots: functions of data with ``ax=None`` that return the axes (never ``plt.show()``).

Coastlines are drawn as the 0.5 contour of the offline land mask, so no map data is downloaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from bayesgeo.plots import PALETTE


def _axes(ax: Axes | None) -> Axes:
    return plt.subplots(figsize=(8, 6))[1] if ax is None else ax


def _lonlat_labels(ax: Axes) -> None:
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_aspect(1.0 / np.cos(np.deg2rad(np.mean(ax.get_ylim()))), adjustable="datalim")


def plot_coastline(land: xr.DataArray, ax: Axes | None = None, *, max_points: int = 1500, **kwargs) -> Axes:
    """Coastline of a land mask (0.5 contour), thinned to at most ``max_points`` per axis; fills land grey."""
    ax = _axes(ax)
    step = max(1, int(np.ceil(max(land.shape) / max_points)))
    sub = land[::step, ::step].astype(float)
    ax.contourf(sub.lon, sub.lat, sub, levels=[0.5, 1.5], colors=[kwargs.pop("landcolor", "0.85")])
    ax.contour(
        sub.lon,
        sub.lat,
        sub,
        levels=[0.5],
        colors=kwargs.pop("colors", "k"),
        linewidths=kwargs.pop("linewidths", 0.5),
        **kwargs,
    )
    return ax


def plot_trajectories(
    traj: xr.Dataset,
    land: xr.DataArray | None = None,
    ax: Axes | None = None,
    *,
    max_particles: int = 300,
    color: str = "tab:blue",
    seed: int = 0,
) -> Axes:
    """Trajectories of a :func:`~bayesgeo.drift.simulate` result (a random subset), release points (black) and
    stranding points (red)."""
    ax = _axes(ax)
    if land is not None:
        plot_coastline(land, ax)
    n = traj.sizes["trajectory"]
    pick = np.sort(np.random.default_rng(seed).choice(n, min(n, max_particles), replace=False))
    sub = traj.isel(trajectory=pick)
    if "lon" in sub:
        ax.plot(sub.lon.values.T, sub.lat.values.T, color=color, lw=0.4, alpha=0.6)
    ax.plot(sub.release_lon, sub.release_lat, "k.", ms=3, label="release")
    ax.plot(sub.stranding_lon, sub.stranding_lat, "r.", ms=3, label="stranded")
    ax.legend(loc="lower right", fontsize="small")
    _lonlat_labels(ax)
    return ax


def plot_arrival_density(
    data: xr.Dataset, land: xr.DataArray | None = None, ax: Axes | None = None, *, cell: float = 0.25, **sel
) -> Axes:
    """Map of where particles stranded (count per ``cell``-degree box, log colour) from a trajectory dataset
    or an ensemble (``sel`` picks members, e.g. ``source="Fukutoku-Oka-no-Ba"``)."""
    ax = _axes(ax)
    ds = data.sel(sel) if sel else data
    x, y = ds.stranding_lon.values.ravel(), ds.stranding_lat.values.ravel()
    ok = np.isfinite(x) & np.isfinite(y)
    if land is not None:
        plot_coastline(land, ax)
        x0, x1, y0, y1 = float(land.lon[0]), float(land.lon[-1]), float(land.lat[0]), float(land.lat[-1])
    elif ok.any():
        x0, x1, y0, y1 = x[ok].min(), x[ok].max() + cell, y[ok].min(), y[ok].max() + cell
    else:
        return ax
    h, xe, ye = np.histogram2d(
        x[ok], y[ok], bins=[np.arange(x0, x1 + cell, cell), np.arange(y0, y1 + cell, cell)]
    )
    mesh = ax.pcolormesh(xe, ye, np.ma.masked_equal(h.T, 0), norm="log", cmap="magma_r")
    plt.colorbar(mesh, ax=ax, label="stranded particles per cell")
    _lonlat_labels(ax)
    return ax


def plot_arrival_times(
    hazard: xr.Dataset,
    source: str | None = None,
    regions: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Arrival-time distributions per region (steps of the mean fraction of particles arriving per bin)."""
    ax = _axes(ax)
    h = hazard.arrival_histogram
    if "source" in h.dims:
        h = h.sel(source=source if source is not None else h.source.values[0])
    other = [d for d in h.dims if d not in ("region", "arrival_day")]
    h = h.mean(other) if other else h
    names = (
        list(regions) if regions is not None else [r for r in h.region.values if h.sel(region=r).sum() > 0]
    )
    edges = hazard.arrival_day_edges.values
    for name in names:
        ax.stairs(h.sel(region=name).values, edges, label=str(name))
    ax.set_xlabel("days after release")
    ax.set_ylabel("fraction of released particles per bin")
    ax.set_title(str(source) if source is not None else "")
    if names:
        ax.legend(fontsize="small")
    return ax


def plot_hazard(
    hazard: xr.Dataset,
    source: str | None = None,
    land: xr.DataArray | None = None,
    ax: Axes | None = None,
    *,
    var: str = "p_arrival",
) -> Axes:
    """Hazard map (gridded :func:`hazard_by_cell` result) or bar chart (:func:`hazard_by_region` result)."""
    ax = _axes(ax)
    h = hazard[var]
    if "source" in h.dims:
        source = source if source is not None else str(h.source.values[0])
        h = h.sel(source=source)
    other = [d for d in h.dims if d not in ("region", "lat", "lon")]
    h = h.mean(other) if other else h
    label = h.attrs.get("long_name", var)
    if "region" in h.dims:
        ax.barh(h.region.values.astype(str), h.values, color=PALETTE[3])
        ax.set_xlabel(label)
        ax.invert_yaxis()
    else:
        if land is not None:
            plot_coastline(land, ax)
        mesh = ax.pcolormesh(
            h.lon,
            h.lat,
            h.where(h > 0),
            cmap="inferno_r",
            shading="nearest",
            vmin=0,
            vmax=1 if var == "p_arrival" else None,
        )
        plt.colorbar(mesh, ax=ax, label=label)
        if source is not None and "source_lon" in hazard.coords:
            src = hazard.sel(source=source)
            ax.plot(src.source_lon, src.source_lat, "c*", ms=12, mec="k")
        _lonlat_labels(ax)
    ax.set_title(str(source) if source is not None else "")
    return ax
