"""Plots of a ``drift.source`` result: each takes the result tree and ``ax=None`` and returns the axes."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from bayesgeo.drift.inverse.data import from_days, offset
from bayesgeo.drift.landmask import land_mask
from bayesgeo.drift.plots import plot_coastline
from bayesgeo.plots import PALETTE


def _axes(ax: Axes | None, size=(6.4, 4.2)) -> Axes:
    return plt.subplots(figsize=size, layout="constrained")[1] if ax is None else ax


def _reference(tree: xr.DataTree) -> np.datetime64:
    return np.datetime64(tree.attrs["reference_time"], "ns")


def source_map(tree: xr.DataTree, ax: Axes | None = None, *, pad: float = 1.5) -> Axes:
    """Sightings (coloured by date), candidate sources (marker area = posterior probability) and the posterior
    predictive clouds at the last sighting and the prediction dates, over the land-mask coastline."""
    ax = _axes(ax, (8.0, 6.0))
    obs = tree["observed_data"].to_dataset()
    src = tree["sources"].to_dataset()
    pred = tree["posterior_predictive"].to_dataset()
    p = tree["summary"]["p_source"]
    later = pred.isel(time=np.flatnonzero(pred["kind"].values == "prediction"))
    last = pred.isel(time=[int(np.flatnonzero(pred["kind"].values == "sighting")[-1])])
    clouds = xr.concat([last, later], "time", data_vars="all")
    likely = p.values >= 0.01
    cloud_lon, cloud_lat = clouds.lon.values.ravel(), clouds.lat.values.ravel()
    ok = np.isfinite(cloud_lon)
    qx, qy = np.quantile(cloud_lon[ok], [0.005, 0.995]), np.quantile(cloud_lat[ok], [0.005, 0.995])
    lon = np.concatenate([obs.lon.values, src.lon.values[likely], qx])
    lat = np.concatenate([obs.lat.values, src.lat.values[likely], qy])
    x0, x1, y0, y1 = lon.min() - pad, lon.max() + pad, lat.min() - pad, lat.max() + pad
    dom = tree.attrs["domain"]
    x0, x1, y0, y1 = max(x0, dom[0]), min(x1, dom[1]), max(y0, dom[2]), min(y1, dom[3])
    plot_coastline(land_mask(x0, x1, y0, y1), ax, max_points=800)
    colors = [PALETTE[i % len(PALETTE)] for i in (1, 3, 4, 7, 5, 6)]
    for j in range(clouds.sizes["time"]):
        c = clouds.isel(time=j)
        date = str(c["time"].values)[:10]
        ax.plot(
            c.lon.values.ravel(),
            c.lat.values.ravel(),
            ".",
            ms=1.5,
            alpha=0.35,
            color=colors[j],
            rasterized=True,
        )
        ax.plot([], [], ".", color=colors[j], ms=8, label=f"predictive {date}")
    sc = ax.scatter(
        obs.lon, obs.lat, c=obs["day"], cmap="viridis", s=22, edgecolors="k", linewidths=0.4, zorder=3
    )
    cax = ax.inset_axes([0.04, 0.12, 0.3, 0.03])
    cbar = ax.figure.colorbar(sc, cax=cax, orientation="horizontal")
    cbar.set_label("sighting (days from reference time)", fontsize=7)
    cax.tick_params(labelsize=7)
    ax.scatter(
        src.lon, src.lat, s=30 + 300 * p.values, marker="^", facecolor=PALETTE[0], edgecolor="k", zorder=4
    )
    ax.scatter(
        [], [], s=60, marker="^", facecolor=PALETTE[0], edgecolor="k", label="candidate (size ~ probability)"
    )
    for name, x, y in zip(src.source.values, src.lon.values, src.lat.values, strict=True):
        if x0 <= x <= x1 and y0 <= y <= y1:
            ax.annotate(str(name), (x, y), xytext=(5, 3), textcoords="offset points", fontsize=7)
    if "reference" in tree.children:
        true = src.sel(source=tree["reference"].attrs["source"])
        ax.plot(true.lon, true.lat, "*", ms=14, color=PALETTE[6], mec="k", zorder=5, label="true source")
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="longitude (°E)", ylabel="latitude (°N)")
    ax.set_aspect(1.0 / np.cos(np.deg2rad(0.5 * (y0 + y1))))
    ax.legend(fontsize=7, loc="best", markerscale=1.0)
    ax.set_title("sightings, candidates and posterior predictive", fontsize=10)
    return ax


def source_probabilities(tree: xr.DataTree, ax: Axes | None = None) -> Axes:
    """Posterior probability of each candidate source (bars) against its prior probability (ticks)."""
    ax = _axes(ax)
    p = tree["summary"]["p_source"]
    prior = tree["sources"]["prior_probability"]
    names = [str(n) for n in p.source.values]
    y = np.arange(len(names))
    ax.barh(y, p.values, color=PALETTE[0], label="posterior")
    ax.plot(prior.values, y, "|", color="k", ms=14, mew=2, label="prior")
    for yi, v, w in zip(y, p.values, prior.values, strict=True):
        ax.annotate(
            f"{v:.3g}", (max(v, w), yi), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8
        )
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1.1), xlabel="probability of the source")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def eruption_time(tree: xr.DataTree, ax: Axes | None = None) -> Axes:
    """Posterior of the eruption time in hours before the first sighting, with its 90 % interval (dashed) and
    any true value."""
    ax = _axes(ax)
    ref = _reference(tree)
    first = float(tree["observed_data"]["day"].min())
    s = tree["summary"]

    def hours(day):
        return (np.asarray(day, float) - first) * 24.0

    ax.hist(
        hours(tree["posterior"]["eruption_time"].values.ravel()),
        bins=50,
        density=True,
        color=PALETTE[0],
        alpha=0.85,
    )
    for q in ("eruption_time_q05", "eruption_time_q95"):
        ax.axvline(hours(float(s[q])), color="k", ls="--", lw=1)
    if "reference" in tree.children:
        ax.axvline(hours(float(tree["reference"]["eruption_time"])), color=PALETTE[3], lw=2, label="truth")
        ax.legend(fontsize=8)
    lo, hi = (str(from_days([float(s[q])], ref)[0])[:16] for q in ("eruption_time_q05", "eruption_time_q95"))
    ax.set_title(f"eruption time, 90 % interval {lo} to {hi} UTC", fontsize=9)
    ax.set(xlabel=f"hours after the first sighting ({str(from_days([first], ref)[0])[:16]} UTC)", yticks=[])
    return ax


def arrival_probabilities(tree: xr.DataTree, ax: Axes | None = None) -> Axes:
    """Posterior predictive probability that pumice reaches each coastal region by the horizon, annotated
    with the median first arrival."""
    ax = _axes(ax)
    a = tree["arrival"].to_dataset()
    ref = _reference(tree)
    y = np.arange(a.sizes["coast"])
    ax.barh(y, a["probability"].values, color=PALETTE[3])
    for yi, (p, q) in enumerate(zip(a["probability"].values, a["first_arrival_q50"].values, strict=True)):
        if p > 0 and np.isfinite(q):
            ax.annotate(
                f"median first {str(from_days([q], ref)[0])[:10]}",
                (p, yi),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
    ax.set_yticks(y, [str(c) for c in a.coast.values])
    ax.invert_yaxis()
    horizon = str(from_days([float(tree.attrs["horizon_day"])], ref)[0])[:10]
    ax.set(xlim=(0, 1.25), xlabel=f"probability that pumice arrives by {horizon}")
    return ax


def _observation_draws(pred: xr.Dataset, sd_m: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Predicted observations (lon, lat) at the sighting times: clasts still afloat plus each sighting's
    position error (``sd_m``, m); shape (draw x particle, sighting), NaN for stranded clasts."""
    stranded = pred["stranding_day"].values[..., None] <= pred["day"].values
    lon = np.where(stranded, np.nan, pred["lon"].values).reshape(-1, pred.sizes["time"])
    lat = np.where(stranded, np.nan, pred["lat"].values).reshape(-1, pred.sizes["time"])
    east, north = np.random.default_rng(seed).normal(scale=sd_m, size=(2, *lon.shape))
    return offset(lon, lat, east, north)


def _band(ax: Axes, t, values: np.ndarray, color: str) -> None:
    """50 % and 90 % intervals over draws (axis 0) against time."""
    lo90, lo50, hi50, hi90 = np.nanquantile(values, [0.05, 0.25, 0.75, 0.95], axis=0)
    ax.fill_between(t, lo90, hi90, color=color, alpha=0.25, lw=0, label="90 % interval")
    ax.fill_between(t, lo50, hi50, color=color, alpha=0.5, lw=0, label="50 % interval")


#: group -> (title, palette index, quantiles of the predicted positions the map shows)
_PREDICTIVE = {
    "prior_predictive": ("prior predictive", 1, (0.02, 0.98)),
    "posterior_predictive": ("posterior predictive", 0, (0.0, 1.0)),
}


def predictive_check(
    tree: xr.DataTree, group: str = "posterior_predictive", axes: np.ndarray | None = None
) -> np.ndarray:
    """Observed sightings against the prior or posterior predictive (``group``) of the observations
    (simulated clasts afloat plus each sighting's position error): a map of the predicted positions at the
    sighting times, and longitude and latitude against time with 50 % and 90 % intervals. Returns the axes
    (map, lon, lat)."""
    title, color, quantiles = _PREDICTIVE[group]
    color = PALETTE[color]
    if axes is None:
        fig = plt.figure(figsize=(12.0, 5.6), layout="constrained")
        grid = fig.add_gridspec(2, 2, width_ratios=(1.0, 1.15))
        axes = np.array(
            [fig.add_subplot(grid[:, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1])]
        )
        axes[2].sharex(axes[1])
    ax_map, ax_lon, ax_lat = axes
    obs = tree["observed_data"].to_dataset()
    pred = tree[group].to_dataset()
    if "kind" in pred.coords:
        pred = pred.isel(time=np.flatnonzero(pred["kind"].values == "sighting"))
    lon, lat = _observation_draws(pred, obs["sd"].values)
    lon_obs, lat_obs, t = obs["lon"].values, obs["lat"].values, obs["time"].values
    dom = tree.attrs["domain"]
    qx, qy = np.nanquantile(lon, quantiles), np.nanquantile(lat, quantiles)
    x0 = max(min(qx[0], lon_obs.min()) - 0.5, dom[0])
    x1 = min(max(qx[1], lon_obs.max()) + 0.5, dom[1])
    y0 = max(min(qy[0], lat_obs.min()) - 0.5, dom[2])
    y1 = min(max(qy[1], lat_obs.max()) + 0.5, dom[3])
    plot_coastline(land_mask(x0, x1, y0, y1), ax_map, max_points=800)
    ax_map.plot(lon.ravel(), lat.ravel(), ".", ms=1.2, alpha=0.25, color=color, rasterized=True)
    ax_map.plot([], [], ".", ms=8, color=color, label=f"{title} (clasts + position error)")
    src = tree["sources"].to_dataset()
    ax_map.scatter(
        src.lon, src.lat, s=45, marker="^", facecolor="0.6", edgecolor="k", zorder=4, label="candidate"
    )
    ax_map.plot(lon_obs, lat_obs, "-", color="k", lw=0.6, zorder=5)
    ax_map.scatter(
        lon_obs, lat_obs, s=16, color="k", edgecolor="w", linewidths=0.5, zorder=6, label="sightings"
    )
    ax_map.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="longitude (°E)", ylabel="latitude (°N)")
    ax_map.set_aspect(1.0 / np.cos(np.deg2rad(0.5 * (y0 + y1))))
    ax_map.legend(fontsize=7, loc="best")
    ax_map.set_title(f"{title}: positions at the sighting times", fontsize=10)
    panels = (
        (ax_lon, lon, lon_obs, "longitude (°E)", dom[:2]),
        (ax_lat, lat, lat_obs, "latitude (°N)", dom[2:]),
    )
    for ax, values, y, name, edges in panels:
        _band(ax, t, values, color)
        ax.plot(t, y, "o", ms=4, color="k", mec="w", mew=0.5, label="sightings", zorder=3)
        lo, hi = np.nanquantile(values, [0.05, 0.95], axis=0)
        for e in edges:  # clasts stop where they leave the simulated domain
            if np.any(np.isclose([lo.min(), hi.max()], e, atol=0.05)):
                ax.axhline(e, color="0.4", ls=":", lw=1, label="domain edge")
        inside = int(np.sum((lo <= y) & (y <= hi)))
        ax.set_ylabel(name)
        ax.set_title(
            f"{name.split()[0]}: {inside} of {y.size} sightings inside the 90 % interval", fontsize=9
        )
        ax.legend(fontsize=7, loc="best")
    ax_lon.tick_params(labelbottom=False)
    ax_lat.set_xlabel("sighting time (UTC)")
    ax_lat.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax_lat.xaxis.get_major_locator()))
    return axes
