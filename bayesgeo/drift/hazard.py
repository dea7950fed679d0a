"""Hazard maps from a drift ensemble: probability of arrival and arrival-time distribution per coast.

"If volcano X erupted, where and when would pumice arrive?" For each zone (a named coastal region or a
coastal grid cell) and each ensemble member (release date x windage class), count the particles that
stranded there. Members are the scenarios: ``p_arrival`` is the fraction of members with at least
``min_particles`` arrivals, ``mean_fraction`` the mean fraction of released particles arriving (Nishikawa et
al. 2023 report its equivalent, e.g. 7318 of 49000), ``first_arrival_qXX`` quantiles over members of the
first arrival (days after release).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

Box = tuple[float, float, float, float]  # lon_min, lon_max, lat_min, lat_max (degrees)

# Approximate coastal regions of southern Japan and Taiwan (lon/lat boxes; the first match wins).
JAPAN_REGIONS: dict[str, Box] = {
    "Yaeyama Islands": (122.8, 124.4, 23.9, 24.8),
    "Miyako Islands": (124.9, 125.6, 24.5, 25.0),
    "Okinawa Islands": (126.5, 128.5, 25.8, 27.0),
    "Amami Islands": (128.3, 130.1, 27.0, 28.6),
    "Tokara and Osumi Islands": (129.2, 131.2, 28.8, 30.9),
    "Kyushu": (129.4, 132.2, 30.9, 34.0),
    "Shikoku": (132.2, 134.8, 32.6, 34.4),
    "Kii Peninsula": (134.9, 136.9, 33.3, 34.5),
    "Tokai": (136.9, 138.75, 34.2, 35.2),
    "Izu Peninsula": (138.75, 139.2, 34.55, 35.2),
    "Izu Islands": (139.1, 140.5, 32.3, 34.8),
    "Kanto": (139.2, 141.0, 34.8, 36.3),
    "Ogasawara Islands": (141.9, 142.4, 26.5, 27.8),
    "Taiwan": (120.0, 122.1, 21.8, 25.4),
}
QUANTILES = (0.05, 0.5, 0.95)
_MEMBER_DIMS = ("source", "release", "windage")


def region_index(lon, lat, regions: Mapping[str, Box]) -> np.ndarray:
    """Index of the first region box containing each point, -1 outside all (NaN positions give -1)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    out = np.full(lon.shape, -1, np.int64)
    for i, (x0, x1, y0, y1) in reversed(list(enumerate(regions.values()))):
        out[(lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)] = i
    return out


def _zone_statistics(
    ensemble: xr.Dataset,
    zone: np.ndarray,
    n_zones: int,
    by: Sequence[str],
    min_particles: int,
    bins: np.ndarray | None,
) -> xr.Dataset:
    """Per-member counts and first arrivals in each zone, reduced over the member dims not in ``by``."""
    bad = set(by) - set(_MEMBER_DIMS)
    if bad:
        raise ValueError(f"hazard 'by' dims must be among {_MEMBER_DIMS}, got {sorted(bad)}")
    member_shape = tuple(ensemble.sizes[d] for d in _MEMBER_DIMS)
    n_members, n = int(np.prod(member_shape)), ensemble.sizes["particle"]
    member = np.repeat(np.arange(n_members), n)
    zone = zone.reshape(-1)
    days = ensemble.arrival_time.transpose(*_MEMBER_DIMS, "particle").values.reshape(-1).astype(float)
    hit = (zone >= 0) & np.isfinite(days)
    counts = np.bincount(member[hit] * n_zones + zone[hit], minlength=n_members * n_zones)
    first = np.full(n_members * n_zones, np.inf)
    np.minimum.at(first, member[hit] * n_zones + zone[hit], days[hit])
    dims = (*_MEMBER_DIMS, "zone")
    counts = xr.DataArray(counts.reshape(*member_shape, n_zones), dims=dims)
    first = xr.DataArray(np.where(np.isinf(first), np.nan, first).reshape(*member_shape, n_zones), dims=dims)
    pooled = [d for d in _MEMBER_DIMS if d not in by]
    out = xr.Dataset(
        {
            "p_arrival": ((counts >= min_particles).mean(pooled)).assign_attrs(
                long_name=f"probability that at least {min_particles} particle(s) arrive", units="1"
            ),
            "mean_fraction": (counts / n)
            .mean(pooled)
            .assign_attrs(long_name="mean fraction of released particles arriving", units="1"),
        }
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)  # zones never reached: NaN
        q = first.quantile(list(QUANTILES), dim=pooled, skipna=True)
    for qi in QUANTILES:
        out[f"first_arrival_q{round(qi * 100):02d}"] = q.sel(quantile=qi, drop=True).assign_attrs(
            long_name=f"{qi:.0%} quantile over members of the first arrival", units="days"
        )
    if bins is not None:
        b = np.digitize(days, bins) - 1
        ok = hit & (b >= 0) & (b < bins.size - 1)
        nb = bins.size - 1
        hist = np.bincount((member[ok] * n_zones + zone[ok]) * nb + b[ok], minlength=n_members * n_zones * nb)
        hist = xr.DataArray(hist.reshape(*member_shape, n_zones, nb) / n, dims=(*dims, "arrival_day"))
        out["arrival_histogram"] = hist.mean(pooled).assign_attrs(
            long_name="mean fraction of released particles arriving per arrival-time bin", units="1"
        )
        out = out.assign_coords(
            arrival_day=("arrival_day", 0.5 * (bins[1:] + bins[:-1]), {"units": "days"}),
            arrival_day_edges=("arrival_edge", bins, {"units": "days"}),
        )
    coords = {d: ensemble[d] for d in by}
    if "source" in by:
        coords |= {"source_lon": ensemble.source_lon, "source_lat": ensemble.source_lat}
    out = out.assign_coords(coords)
    out.attrs = {
        "n_particles": n,
        "min_particles": min_particles,
        "pooled_over": " ".join(pooled),
        "n_members_pooled": int(np.prod([ensemble.sizes[d] for d in pooled])),
    }
    return out


def hazard_by_region(
    ensemble: xr.Dataset,
    regions: Mapping[str, Box] = JAPAN_REGIONS,
    *,
    by: Sequence[str] = ("source",),
    min_particles: int = 1,
    bin_days: float = 10.0,
) -> xr.Dataset:
    """Arrival probability and arrival times per named region (lon/lat boxes, first match wins).

    Parameters
    ----------
    ensemble : xarray.Dataset
        From :func:`~bayesgeo.drift.run_ensemble` or :func:`~bayesgeo.drift.load_ensemble`.
    regions : mapping of name to (lon_min, lon_max, lat_min, lat_max)
        Coastal regions; default :data:`JAPAN_REGIONS`.
    by : sequence of str
        Member dims kept in the result (others are pooled as scenarios): subset of source, release, windage.
    min_particles : int
        Arrivals needed to count a member as "pumice arrived".
    bin_days : float
        Width of the arrival-time histogram bins (days).

    Returns
    -------
    xarray.Dataset
        ``p_arrival``, ``mean_fraction``, ``first_arrival_q05/q50/q95`` (days) on (``by``..., ``region``) and
        ``arrival_histogram`` on (``by``..., ``region``, ``arrival_day``).
    """
    zone = region_index(
        ensemble.stranding_lon.transpose(*_MEMBER_DIMS, "particle").values,
        ensemble.stranding_lat.transpose(*_MEMBER_DIMS, "particle").values,
        regions,
    )
    horizon = float(ensemble.attrs.get("duration_days", np.nanmax(ensemble.arrival_time.values, initial=0.0)))
    bins = np.arange(0.0, horizon + bin_days, bin_days)
    out = _zone_statistics(ensemble, zone, len(regions), by, min_particles, bins).rename(zone="region")
    boxes = np.array(list(regions.values()))
    return out.assign_coords(region=list(regions), region_box=(("region", "box"), boxes))


def hazard_by_cell(
    ensemble: xr.Dataset,
    cell: float = 0.5,
    *,
    land: xr.DataArray | None = None,
    by: Sequence[str] = ("source",),
    min_particles: int = 1,
) -> xr.Dataset:
    """Arrival probability and first-arrival quantiles on a lon/lat grid of ``cell`` degrees.

    The grid covers the stranding positions. With ``land`` (a :func:`~bayesgeo.drift.land_mask` covering the
    same area), cells that hold no coastline (all sea or all land) are NaN. Dims: (``by``..., ``lat``,
    ``lon``).
    """
    x = ensemble.stranding_lon.transpose(*_MEMBER_DIMS, "particle").values
    y = ensemble.stranding_lat.transpose(*_MEMBER_DIMS, "particle").values
    if land is not None:
        x0, x1 = float(land.lon[0]), float(land.lon[-1])
        y0, y1 = float(land.lat[0]), float(land.lat[-1])
    elif np.isfinite(x).any():
        x0, x1, y0, y1 = np.nanmin(x), np.nanmax(x), np.nanmin(y), np.nanmax(y)
    else:
        raise ValueError("no particle stranded in the ensemble and no land mask given: nothing to map")
    x0, y0 = np.floor(x0 / cell) * cell, np.floor(y0 / cell) * cell
    nx, ny = int(np.floor((x1 - x0) / cell)) + 1, int(np.floor((y1 - y0) / cell)) + 1
    ix, iy = np.floor((x - x0) / cell), np.floor((y - y0) / cell)
    ok = np.isfinite(ix) & (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
    zone = np.where(ok, np.nan_to_num(iy) * nx + np.nan_to_num(ix), -1).astype(np.int64)
    stats = _zone_statistics(ensemble, zone, nx * ny, by, min_particles, None)
    lat, lon = y0 + (np.arange(ny) + 0.5) * cell, x0 + (np.arange(nx) + 0.5) * cell
    out = xr.Dataset(
        {
            k: ((*v.dims[:-1], "lat", "lon"), v.values.reshape(*v.shape[:-1], ny, nx), v.attrs)
            for k, v in stats.data_vars.items()
        },
        coords={k: c for k, c in stats.coords.items() if "zone" not in c.dims}
        | {"lat": ("lat", lat, {"units": "degrees_north"}), "lon": ("lon", lon, {"units": "degrees_east"})},
        attrs=stats.attrs | {"cell_deg": cell},
    )
    if land is not None:
        out = out.where(coastal_cells(land, lat, lon, cell))
    return out


def coastal_cells(land: xr.DataArray, lat: np.ndarray, lon: np.ndarray, cell: float) -> xr.DataArray:
    """True for grid cells (centres ``lat`` x ``lon``, size ``cell`` degrees) holding both land and sea."""
    iy = np.floor((land.lat.values - (lat[0] - cell / 2)) / cell).astype(np.int64)
    ix = np.floor((land.lon.values - (lon[0] - cell / 2)) / cell).astype(np.int64)
    IY, IX = np.meshgrid(iy, ix, indexing="ij")
    ok = (IY >= 0) & (IY < lat.size) & (IX >= 0) & (IX < lon.size)
    flat = IY[ok] * lon.size + IX[ok]
    total = np.bincount(flat, minlength=lat.size * lon.size)
    wet = np.bincount(flat, weights=land.values[ok], minlength=lat.size * lon.size)
    frac = (wet / np.maximum(total, 1)).reshape(lat.size, lon.size)
    return xr.DataArray((frac > 0) & (frac < 1), dims=("lat", "lon"), coords={"lat": lat, "lon": lon})
