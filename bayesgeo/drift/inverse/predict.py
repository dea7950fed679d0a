"""Posterior predictive by simulation: where the raft should be later, and which coasts it reaches.

For a thinned set of posterior draws, each draw's source releases a few clasts at its eruption time into its
drift (tier 1: the uniform current ``(u, v)``; tier 2: the field scaled by ``c`` with windage ``alpha``) with
its diffusivity, and :func:`bayesgeo.drift.simulate` carries them, stranding on the land mask, to the
horizon. The clouds at the sighting and prediction times, and the strandings per coastal region, are the
posterior predictive distribution.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import xarray as xr

from bayesgeo.drift.hazard import region_index
from bayesgeo.drift.inverse.data import DAY, from_days, to_days
from bayesgeo.drift.sources import Volcano

Box = tuple[float, float, float, float]


def thin(n_total: int, n: int) -> np.ndarray:
    """``n`` evenly spaced indices of ``n_total`` draws (all when fewer)."""
    return np.unique(np.linspace(0, n_total - 1, min(n, n_total)).round().astype(int))


def simulate_draws(
    draws: dict[str, np.ndarray],
    sources: list[Volcano],
    field_of: Callable[[dict[str, float]], xr.Dataset],
    land: xr.DataArray | None,
    reference: np.datetime64,
    days: np.ndarray,
    horizon: float,
    n_particles: int,
    seed: int,
) -> xr.Dataset:
    """Clouds of each draw at ``days`` and its strandings up to ``horizon`` (days from the reference).

    ``draws`` hold one value per draw of ``source_index``, ``eruption_time``, ``diffusivity`` and what
    ``field_of(draw) -> (field)`` and ``windage`` need. Returns ``lon``, ``lat`` on (sample, particle, time)
    and ``stranding_day``, ``stranding_lon``, ``stranding_lat`` on (sample, particle).
    """
    from bayesgeo.drift import release_point, simulate

    n = draws["eruption_time"].size
    lon = np.full((n, n_particles, days.size), np.nan)
    lat = np.full_like(lon, np.nan)
    strand = {k: np.full((n, n_particles), np.nan) for k in ("day", "lon", "lat")}
    rng = np.random.default_rng(seed)
    hours = np.rint(days * 24.0).astype(np.int64)
    every = int(np.gcd.reduce(hours)) or 1  # record only every `every` hours, aligned on the reference time
    for i in range(n):
        one = {k: float(v[i]) for k, v in draws.items()}
        src = sources[int(one["source_index"])]
        t0 = one["eruption_time"]
        first = int(np.floor(t0 * 24.0 / every)) * every  # run start (hours from the reference)
        rel = release_point(src.lon, src.lat, from_days([t0], reference)[0], n_particles)
        traj = simulate(
            field_of(one),
            rel,
            duration=(np.ceil(horizon * 24.0) - first) * 3600.0,
            windage=one.get("windage", 0.0),
            diffusivity=one["diffusivity"],
            land=land,
            start=from_days([first / 24.0], reference)[0],
            output_every=every,
            seed=rng,
        )
        cols = (hours - first) // every
        ok = days >= t0
        lon[i][:, ok] = traj.lon.values[:, cols[ok]]
        lat[i][:, ok] = traj.lat.values[:, cols[ok]]
        st = traj.stranding_time.values
        hit = ~np.isnat(st)
        strand["day"][i, hit] = to_days(st[hit], reference)
        strand["lon"][i], strand["lat"][i] = traj.stranding_lon.values, traj.stranding_lat.values
    geo = {"lon": {"units": "degrees_east"}, "lat": {"units": "degrees_north"}}
    return xr.Dataset(
        {
            "lon": (("sample", "particle", "time"), lon, geo["lon"]),
            "lat": (("sample", "particle", "time"), lat, geo["lat"]),
            "stranding_day": (
                ("sample", "particle"),
                strand["day"],
                {"units": "days", "long_name": "stranding time (days from reference_time)"},
            ),
            "stranding_lon": (("sample", "particle"), strand["lon"], geo["lon"]),
            "stranding_lat": (("sample", "particle"), strand["lat"], geo["lat"]),
        },
        coords={
            "time": ("time", from_days(days, reference)),
            "day": ("time", days, {"units": "days", "long_name": "days from reference_time"}),
            "source": ("sample", [sources[int(s)].name for s in draws["source_index"]]),
        },
    )


def arrivals(pred: xr.Dataset, coasts: Mapping[str, Box]) -> xr.Dataset:
    """Per coastal region: probability that pumice arrives (fraction of draws with at least one stranded
    clast), mean fraction of clasts stranding there and quantiles of the first arrival (days from the
    reference)."""
    zone = region_index(pred["stranding_lon"].values, pred["stranding_lat"].values, coasts)
    day = pred["stranding_day"].values
    names = list(coasts)
    prob, frac, first = [], [], []
    for j in range(len(names)):
        here = zone == j
        prob.append(here.any(1).mean())
        frac.append(here.mean())
        f = np.where(here, day, np.inf).min(1)
        first.append(
            np.quantile(f[np.isfinite(f)], [0.05, 0.5, 0.95]) if np.isfinite(f).any() else [np.nan] * 3
        )
    first = np.asarray(first)
    days = {"units": "days", "long_name": "first arrival (days from reference_time), over draws that arrive"}
    return xr.Dataset(
        {
            "probability": (
                "coast",
                np.asarray(prob),
                {"units": "1", "long_name": "probability that pumice arrives"},
            ),
            "fraction": (
                "coast",
                np.asarray(frac),
                {"units": "1", "long_name": "mean fraction of clasts stranding"},
            ),
            **{f"first_arrival_q{q}": ("coast", first[:, i], days) for i, q in enumerate(("05", "50", "95"))},
        },
        coords={"coast": names, "coast_box": (("coast", "box"), np.array(list(coasts.values())))},
        attrs={"n_samples": pred.sizes["sample"], "n_particles": pred.sizes["particle"]},
    )


def cost(pred: xr.Dataset, horizon: float, eruption_times: np.ndarray) -> int:
    """Particle-steps (hourly) the predictive simulations took (to within a recording interval per draw)."""
    return int(pred.sizes["particle"] * np.sum(np.ceil((horizon - eruption_times) * DAY / 3600.0)))
