"""The ``drift.hazard`` case through the spec: "if volcano X erupted, where and when would pumice arrive?"

A forward ensemble, not an inversion: every source x release date x windage class is one scenario
(member); each member drifts ``n_particles`` pumice clasts on the forcing field with diffusion and stranding.
The result reports, per source and coastal region,

* ``arrival_fraction`` — fraction of the released particles that strand there, its mean over members in
  ``/summary`` with the spread over members (``_sd``, ``_q05``, ``_q95``) and per-member values in
  ``/posterior`` (``draw`` = member);
* ``arrival_probability`` — fraction of members with at least one arrival, with its Monte Carlo
  uncertainty (binomial s.d., Jeffreys 90 % interval);
* ``/hazard`` — first-arrival quantiles (days after the eruption; NaN where nothing arrives) and
  arrival-time histograms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import stats

from bayesgeo.errors import SpecError
from bayesgeo.spec import Inference, Spec, check_keys, integer, number

from . import fields, hazard, landmask, sources
from ._time import to_datetime64

DATA_KEYS = (
    "field",
    "wind",
    "release_start",
    "release_count",
    "release_interval_days",
    "duration_days",
    "n_particles",
    "diffusivity",
    "radius_km",
    "dt_hours",
    "earth",
)
SWITCH_KEYS = ("source", "windage")


@dataclass(frozen=True)
class Problem:
    """Validated inputs of a hazard ensemble."""

    field: xr.Dataset
    land: xr.DataArray
    vents: list[sources.Volcano]
    releases: np.ndarray
    windages: list[float]
    duration_days: float
    n_particles: int
    diffusivity: float
    radius_m: float
    dt: float
    earth: str


def _field(data: dict, spec: Spec, start: np.datetime64, end: np.datetime64, windy: bool) -> xr.Dataset:
    f = fields.spec_field({"field": "builtin:northwest_pacific", **data}, spec, start, end)
    if windy and "uwind" not in f:
        raise SpecError(
            "switches.windage", "windage > 0 needs 10 m wind in the field (data.wind or uwind/vwind)"
        )
    return f


def _vents(value) -> list[sources.Volcano]:
    if value in (None, "hazard"):
        return list(sources.HAZARD_SOURCES)
    if value == "izu_bonin":
        return list(sources.IZU_BONIN_CANDIDATES)
    if not isinstance(value, list) or not value:
        raise SpecError(
            "switches.source",
            'expected "hazard", "izu_bonin" or a list of {name = ..., lon = ..., lat = ...} tables',
        )
    vents = []
    for i, item in enumerate(value):
        where = f"switches.source[{i}]"
        check_keys(item, ("name", "lon", "lat"), where)
        if "name" not in item:
            raise SpecError(f"{where}.name", "missing")
        vents.append(
            sources.Volcano(
                str(item["name"]),
                number(f"{where}.lon", item.get("lon"), unit="°E"),
                number(f"{where}.lat", item.get("lat"), low=-90, high=90, unit="°N"),
                "",
            )
        )
    return vents


def prepare(spec: Spec) -> Problem:
    """Validate the spec and build the field, land mask and scenario list."""
    if spec.variant not in (None, "ensemble"):
        raise SpecError("model.variant", f"unknown variant {spec.variant!r}; expected 'ensemble'")
    data, switches = spec.section("data"), spec.section("switches")
    check_keys(data, DATA_KEYS, "data")
    check_keys(switches, SWITCH_KEYS, "switches")
    check_keys(spec.section("priors"), (), "priors")
    try:
        start = to_datetime64(data.get("release_start", "2021-08-13"), "data.release_start")
    except ValueError as exc:
        raise SpecError("data.release_start", str(exc)) from None
    count = integer("data.release_count", data.get("release_count", 1), minimum=1)
    interval = number("data.release_interval_days", data.get("release_interval_days", 30.0), low=0.0)
    releases = start + (np.arange(count) * interval * 86400).astype("timedelta64[s]")
    duration = number(
        "data.duration_days", data.get("duration_days", 180.0), low=0.0, strict=True, unit="days"
    )
    windages = switches.get("windage", [0.0, 0.01, 0.02])
    windages = [number("switches.windage", w, low=0.0, high=0.1) for w in np.atleast_1d(windages).tolist()]
    end = releases[-1] + np.timedelta64(int(duration * 86400), "s")
    field = _field(data, spec, releases[0], end, max(windages) > 0)
    vents = _vents(switches.get("source"))
    radius_m = number("data.radius_km", data.get("radius_km", 10.0), low=0.0, unit="km") * 1e3
    lon0, lon1, lat0, lat1 = fields.field_bounds(field)
    land = landmask.land_mask(lon0, lon1, lat0, lat1)
    for i, v in enumerate(vents):
        if not (lon0 <= v.lon <= lon1 and lat0 <= v.lat <= lat1):
            raise SpecError(
                f"switches.source[{i}]",
                f"{v.name} ({v.lon}, {v.lat}) is outside the field ({lon0}-{lon1}°E, {lat0}-{lat1}°N)",
            )
        if not _sea_within(land, v, radius_m):
            raise SpecError(
                f"switches.source[{i}]",
                f"{v.name} ({v.lon}, {v.lat}) is on land, with no sea within {radius_m / 1e3} km",
            )
    earth = data.get("earth", "sphere")
    if earth not in ("sphere", "wgs84"):
        raise SpecError("data.earth", f"expected 'sphere' or 'wgs84', got {earth!r}")
    return Problem(
        field,
        land,
        vents,
        releases,
        windages,
        duration,
        integer("data.n_particles", data.get("n_particles", 2000), minimum=1),
        number("data.diffusivity", data.get("diffusivity", 10.0), low=0.0, unit="m2/s"),
        radius_m,
        number("data.dt_hours", data.get("dt_hours", 1.0), low=0.0, strict=True, unit="h") * 3600.0,
        earth,
    )


def _sea_within(land: xr.DataArray, vent: sources.Volcano, radius_m: float) -> bool:
    """Whether any sea point lies within ``radius_m`` of the vent (island volcanoes release at sea)."""
    r = np.sqrt(np.linspace(0.0, 1.0, 12))[:, None] * radius_m
    a = np.linspace(0.0, 2 * np.pi, 24, endpoint=False)[None, :]
    lat = vent.lat + np.rad2deg(r * np.sin(a) / 6.371e6)
    lon = vent.lon + np.rad2deg(r * np.cos(a) / (6.371e6 * np.cos(np.deg2rad(vent.lat))))
    return not bool(np.all(landmask.is_land(land, lon.ravel(), lat.ravel())))


def run(problem: Problem, seed: int, n_particles: int | None = None) -> xr.Dataset:
    """The drift ensemble of a problem (see :func:`bayesgeo.drift.run_ensemble`)."""
    from .ensemble import run_ensemble

    return run_ensemble(
        problem.field,
        problem.vents,
        problem.releases,
        problem.windages,
        n_particles=n_particles or problem.n_particles,
        duration=problem.duration_days * 86400.0,
        radius=problem.radius_m,
        dt=problem.dt,
        diffusivity=problem.diffusivity,
        land=problem.land,
        seed=seed,
        earth=problem.earth,
    )


def fit(problem: Problem, settings: Inference) -> xr.DataTree:
    """Run the ensemble and reduce it to hazard statistics (``settings.quick``: at most 300 particles)."""
    n = min(problem.n_particles, 300) if settings.quick else problem.n_particles
    ens = run(problem, settings.seed, n)
    per_member = hazard.hazard_by_region(ens, by=("source", "release", "windage"))
    pooled = hazard.hazard_by_region(ens, by=("source",))
    frac = per_member["mean_fraction"].stack(draw=("release", "windage"))
    frac = frac.drop_vars(["draw", "release", "windage"]).assign_coords(draw=np.arange(frac.sizes["draw"]))
    frac = frac.expand_dims(chain=[0]).transpose("chain", "draw", "source", "region")
    frac.attrs = {"units": "1", "long_name": "fraction of released particles stranding in the region"}
    members = frac.sizes["draw"]
    reached = (per_member["p_arrival"] > 0).sum(("release", "windage"))
    p = (reached / members).assign_attrs(units="1", long_name="probability that pumice reaches the region")
    lo, hi = stats.beta.ppf([[[0.05]], [[0.95]]], reached.values + 0.5, members - reached.values + 0.5)
    summary = xr.Dataset(
        {
            "arrival_fraction": frac.mean(("chain", "draw")).assign_attrs(frac.attrs),
            "arrival_fraction_sd": frac.std(("chain", "draw")),
            "arrival_fraction_q05": frac.quantile(0.05, ("chain", "draw")).drop_vars("quantile"),
            "arrival_fraction_q95": frac.quantile(0.95, ("chain", "draw")).drop_vars("quantile"),
            "arrival_probability": p,
            "arrival_probability_sd": np.sqrt(p * (1 - p) / members),
            "arrival_probability_q05": (p.dims, np.minimum(lo, p.values)),
            "arrival_probability_q95": (p.dims, np.maximum(hi, p.values)),
        }
    )
    stranded = np.isfinite(ens["arrival_time"]).mean(("release", "windage", "particle"))
    where = ens[["stranding_lon", "stranding_lat"]].stack(sample=("release", "windage", "particle"))
    where = where.isel(sample=slice(None, None, max(1, where.sizes["sample"] // 3000)))
    where = where.drop_vars(["sample", "release", "windage", "particle"]).assign_coords(
        sample=np.arange(where.sizes["sample"])
    )
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({"arrival_fraction": frac}),
            "summary": summary.drop_vars("region_box", errors="ignore"),
            "hazard": pooled,
            "sources": xr.Dataset({"stranded_fraction": stranded.assign_attrs(units="1")}),
            "strandings": where,
        }
    )
    tree.attrs.update(
        case="drift.hazard",
        field_bounds=list(fields.field_bounds(problem.field)),
        variant="ensemble",
        inference_method="forward ensemble",
        n_members=members,
        n_particles=n,
        duration_days=problem.duration_days,
        diffusivity_m2_s=problem.diffusivity,
        earth=problem.earth,
        particle_steps=int(
            ens.sizes["particle"] * members * len(problem.vents) * problem.duration_days * 86400 / problem.dt
        ),
    )
    return tree


def figures(tree: xr.DataTree) -> dict:
    """Hazard bars per source and arrival-time distributions."""
    from .plots import plot_arrival_times, plot_hazard

    def bars():
        import matplotlib.pyplot as plt

        srcs = list(tree["summary"]["arrival_probability"].source.values)
        fig, axes = plt.subplots(
            len(srcs), 1, figsize=(8, 2.6 * len(srcs)), layout="constrained", squeeze=False
        )
        hz = tree["hazard"].to_dataset()
        for ax, s in zip(axes.flat, srcs, strict=True):
            plot_hazard(hz, source=str(s), ax=ax, var="mean_fraction")
            ax.set_title(f"{s}: fraction of pumice stranding per region", fontsize=10)
        return fig

    def times():
        hz = tree["hazard"].to_dataset()
        ax = plot_arrival_times(hz)
        return ax.figure

    def where():
        import matplotlib.pyplot as plt

        from bayesgeo.plots import PALETTE

        from .plots import plot_coastline

        lon0, lon1, lat0, lat1 = (float(b) for b in tree.attrs["field_bounds"])
        fig, ax = plt.subplots(figsize=(8, 6.5), layout="constrained")
        plot_coastline(landmask.land_mask(lon0, lon1, lat0, lat1), ax)
        st = tree["strandings"].to_dataset()
        colors = [PALETTE[i] for i in (0, 1, 2, 5, 4, 3, 7)]  # Okabe-Ito without the pale yellow
        for color, s in zip(colors * 2, st.source.values, strict=False):
            one = st.sel(source=s)
            ax.plot(one.stranding_lon, one.stranding_lat, ".", ms=3, color=color, alpha=0.5)
            ax.plot(
                float(one.source_lon), float(one.source_lat), "^", ms=10, color=color, mec="k", label=str(s)
            )
        ax.set(xlabel="longitude (°E)", ylabel="latitude (°N)", title="where the pumice strands (sample)")
        ax.legend(fontsize=8, loc="lower right")
        return fig

    return {"hazard_map": where, "hazard_regions": bars, "hazard_arrival_times": times}


def demo_spec() -> dict:
    """Quick example: two sources, one eruption, two windage classes, 120 days on the idealised field."""
    return {
        "model": {"case": "drift.hazard"},
        "data": {"release_start": "2021-08-13", "duration_days": 120, "n_particles": 500},
        "switches": {
            "source": [
                {"name": v.name, "lon": v.lon, "lat": v.lat}
                for v in (sources.HAZARD_SOURCES[-1], sources.HAZARD_SOURCES[0])
            ],
            "windage": [0.0, 0.02],
        },
        "inference": {"seed": 1},
    }
