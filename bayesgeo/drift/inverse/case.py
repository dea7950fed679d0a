"""The ``drift.source`` case through the spec: which volcano erupted, when, and how the raft drifted.

``model.variant`` picks the tier (``docs/specs.md``):

- ``kernel`` (default, tier 1): uniform drift ``(u, v)``, the advection-diffusion Gaussian kernel
  (:mod:`.kernel`). ``auto``/``exact`` = quadrature with ``u``, ``v`` integrated out (:mod:`.quadrature`);
  ``nuts`` (nutpie) and ``smc`` sample the PyMC model with the source summed out (``switches.handling =
  "marginalize"``) or, with ``smc`` only, sampled (``"sample"``).
- ``ensemble`` (tier 2): any forcing field, clouds from the drift simulator (:mod:`.ensemble`); quadrature.

Every result carries the posterior predictive from the drift simulator: clouds at the sighting and prediction
dates and arrival probabilities per coastal region (:mod:`.predict`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pymc as pm
import xarray as xr
from pymc_extras.prior import Prior

from bayesgeo import inference
from bayesgeo.diagnostics import summarize, switch_probabilities
from bayesgeo.drift import fields, flows, hazard, landmask
from bayesgeo.drift.inverse import data as io
from bayesgeo.drift.inverse import ensemble, model, predict, quadrature
from bayesgeo.drift.sources import Volcano
from bayesgeo.errors import SpecError
from bayesgeo.spec import Inference, Spec, check_keys, choice, flag, integer, merge_priors, number

VARIANTS = ("kernel", "ensemble")
DATA_KEYS = (
    "sightings",
    "reference_time",
    "columns",
    "until",
    "earliest",
    "position_sd",
    "strandings",
    "non_detections",
    "site_radius",
    "reporting_delay",
    "n_effective",
    "predict_days",
    "horizon_days",
    "predictive_draws",
    "predictive_particles",
    "coasts",
    "domain",
    "land",
    "field",
    "wind",
    "particles",
    "truth",
)
SWITCH_KEYS = ("source", "handling")
#: (variant, handling) -> {inference.method: what runs}
METHODS = {
    ("kernel", "marginalize"): {"auto": "exact", "exact": "exact", "nuts": "nuts", "smc": "smc"},
    ("kernel", "sample"): {"auto": "smc", "smc": "smc"},
    ("ensemble", "marginalize"): {"auto": "exact", "exact": "exact"},
}
#: tier-2 grid nodes per axis (full, quick)
ENSEMBLE_GRID = {
    "eruption_time": (24, 12),
    "log_current_scale": (9, 5),
    "windage": (5, 3),
    "log_diffusivity": (24, 12),
}
DEFAULT_WINDOW_DAYS = 30.0


@dataclass(frozen=True)
class Problem:
    """Validated inputs of one source inference (times in days from ``obs.reference``)."""

    variant: str
    obs: io.Observations
    sources: tuple[Volcano, ...]
    weights: np.ndarray
    priors: dict[str, Prior]
    bounds: tuple[float, float]
    handling: str = "marginalize"
    sd_m: float = 5e3
    n_effective: float = 100.0
    mean_delay: float = 2.0
    predict_days: tuple[float, ...] = (10.0, 20.0, 30.0)
    horizon_days: float = 60.0
    predictive_draws: int = 100
    predictive_particles: int = 20
    coasts: dict | None = None
    domain: tuple[float, float, float, float] = (0.0, 1.0, 0.0, 1.0)
    land: xr.DataArray | None = None
    field: xr.Dataset | None = None
    n_particles: int = 48
    infer_windage: bool = False
    truth: dict | None = None

    @property
    def design(self) -> model.Design:
        return model.design(
            self.obs, self.sources, self.weights, self.sd_m, self.n_effective, self.mean_delay
        )


# --- validation -------------------------------------------------------------------------------------------


def _time(data: dict, key: str, required: bool = False) -> np.datetime64 | None:
    if key not in data:
        if required:
            raise SpecError(f"data.{key}", "missing; expected an ISO 8601 time such as '2021-08-13T00:00Z'")
        return None
    return io.parse_time(f"data.{key}", data[key])


def _columns(value) -> dict[str, str]:
    check_keys(value, ("time", "lon", "lat", "area", "radius"), "data.columns")
    for k, v in value.items():
        if not isinstance(v, str):
            raise SpecError(f"data.columns.{k}", f"expected a column name, got {v!r}")
    return dict(value)


def _table(data: dict, key: str, spec: Spec, columns: dict, reference, radius_km: float) -> xr.Dataset:
    dim = key.removesuffix("s")
    if key not in data:
        return io.empty(dim, reference)
    frame = io.read_table(f"data.{key}", data[key], spec.base_dir, columns)
    return io.table_dataset(f"data.{key}", frame, reference, dim, radius_km)


def _sources(value, land_of) -> tuple[tuple[Volcano, ...], np.ndarray]:
    if not isinstance(value, list) or not value:
        raise SpecError(
            "switches.source",
            "missing or empty; expected a list of {name = ..., lon = ..., lat = ...} tables",
        )
    vents, weights = [], []
    for i, item in enumerate(value):
        where = f"switches.source[{i}]"
        check_keys(item, ("name", "lon", "lat", "weight"), where)
        for k in ("name", "lon", "lat"):
            if k not in item:
                raise SpecError(f"{where}.{k}", "missing")
        lon = number(f"{where}.lon", item["lon"], low=-180.0, high=360.0, unit="degrees_east")
        lat = number(f"{where}.lat", item["lat"], low=-85.0, high=85.0, unit="degrees_north")
        vents.append(Volcano(str(item["name"]), lon, lat, ""))
        weights.append(number(f"{where}.weight", item.get("weight", 1.0), low=0.0, strict=True))
    names = [v.name for v in vents]
    if len(set(names)) != len(names):
        raise SpecError("switches.source", f"expected distinct names, got {names}")
    land = land_of(vents)
    on_land = landmask.is_land(land, np.array([v.lon for v in vents]), np.array([v.lat for v in vents]))
    if on_land.any():
        i = int(np.argmax(on_land))
        raise SpecError(
            f"switches.source[{i}]",
            f"{vents[i].name} ({vents[i].lon}, {vents[i].lat}) is on land; give the sea point where pumice "
            "enters the water (e.g. just offshore of an island volcano)",
        )
    return tuple(vents), np.asarray(weights)


def _box(field: str, value) -> tuple[float, float, float, float]:
    if not (isinstance(value, list) and len(value) == 4):
        raise SpecError(field, f"expected [lon_min, lon_max, lat_min, lat_max], got {value!r}")
    b = [number(field, x) for x in value]
    if not (b[0] < b[1] and -90 <= b[2] < b[3] <= 90):
        raise SpecError(field, f"expected lon_min < lon_max and -90 <= lat_min < lat_max <= 90, got {b}")
    return tuple(b)


def _coasts(value) -> dict:
    if value == "japan":
        return dict(hazard.JAPAN_REGIONS)
    if not isinstance(value, dict) or not value:
        raise SpecError(
            "data.coasts",
            f'expected "japan" or a table name = [lon_min, lon_max, lat_min, lat_max], got {value!r}',
        )
    return {str(k): _box(f"data.coasts.{k}", v) for k, v in value.items()}


def _domain(data: dict, sources, obs: io.Observations, field: xr.Dataset | None) -> tuple[float, ...]:
    if field is not None:
        return fields.field_bounds(field)
    if "domain" in data:
        return _box("data.domain", data["domain"])
    tables = (obs.sightings, obs.strandings, obs.non_detections)
    lon = np.concatenate([[v.lon for v in sources], *(t["lon"].values for t in tables)])
    lat = np.concatenate([[v.lat for v in sources], *(t["lat"].values for t in tables)])
    pad = 8.0
    return (lon.min() - pad, lon.max() + pad, max(lat.min() - pad, -85.0), min(lat.max() + pad, 85.0))


def _field(data: dict, spec: Spec, start: float, end: float, reference) -> xr.Dataset:
    if "field" not in data:
        raise SpecError(
            "data.field",
            "missing; the ensemble variant needs a forcing field: builtin:northwest_pacific or a NetCDF path",
        )
    return fields.spec_field(data, spec, *io.from_days([start, end], reference))


def _priors(spec: Spec, variant: str, bounds: tuple[float, float], windy: bool) -> dict[str, Prior]:
    defaults = {"eruption_time": Prior("Uniform", lower=bounds[0], upper=bounds[1])}
    if variant == "kernel":
        defaults |= model.DEFAULT_PRIORS
    else:
        defaults |= {"diffusivity": model.DEFAULT_PRIORS["diffusivity"], **ensemble.DEFAULT_PRIORS}
    table = spec.section("priors")
    if "windage" in table and not windy:
        raise SpecError("priors.windage", "windage needs a field with 10 m wind (data.wind or uwind/vwind)")
    priors = merge_priors(defaults, table)
    for name, prior in priors.items():  # the quadrature evaluates each prior's density on its own grid
        if any(isinstance(p, Prior) for p in prior.parameters.values()):
            raise SpecError(f"priors.{name}", "expected fixed parameters (numbers, not nested priors)")
    try:
        lo, hi = quadrature.prior_box(priors["eruption_time"], *bounds)
    except Exception as exc:  # noqa: BLE001 - any failure to draw from the prior is the finding
        raise SpecError("priors.eruption_time", f"cannot draw from the prior ({exc})") from None
    if not hi > lo:
        raise SpecError(
            "priors.eruption_time",
            f"has no mass between the earliest allowed time ({bounds[0]:.3g} d) and the first sighting "
            f"({bounds[1]:.3g} d, days from reference_time)",
        )
    return priors


def _truth(value, names: list[str], variant: str) -> dict | None:
    if value is None:
        return None
    keys = (
        "source",
        "eruption_time",
        "diffusivity",
        *(("u", "v") if variant == "kernel" else ("current_scale", "windage")),
    )
    check_keys(value, keys, "data.truth")
    if value.get("source") not in names:
        raise SpecError(
            "data.truth.source", f"expected one of the candidates {names}, got {value.get('source')!r}"
        )
    return {
        "source": value["source"],
        **{k: number(f"data.truth.{k}", v) for k, v in value.items() if k != "source"},
    }


def prepare(spec: Spec) -> Problem:
    """Validate the spec's sections for this case and read the observations."""
    variant = choice("model.variant", spec.variant or "kernel", VARIANTS)
    data, switches = spec.section("data"), spec.section("switches")
    check_keys(data, DATA_KEYS, "data")
    check_keys(switches, SWITCH_KEYS, "switches")
    reference = _time(data, "reference_time", required=True)
    columns = _columns(data.get("columns", {}))
    radius = number("data.site_radius", data.get("site_radius", 20.0), low=0.0, strict=True, unit="km")
    if "sightings" not in data:
        raise SpecError(
            "data.sightings", "missing; expected a CSV with columns time, lon, lat (optionally area)"
        )
    tables = {
        k: _table(data, k, spec, columns, reference, radius)
        for k in ("sightings", "strandings", "non_detections")
    }
    until = _time(data, "until")
    if until is not None:
        cut = io.to_days([until], reference)[0]
        tables = {k: t.isel({t["day"].dims[0]: t["day"].values <= cut}) for k, t in tables.items()}
    if tables["sightings"].sizes["sighting"] == 0:
        raise SpecError("data.sightings", "no sightings" + (" up to data.until" if until is not None else ""))
    first = float(tables["sightings"]["day"].min())
    earliest = _time(data, "earliest")
    lower = first - DEFAULT_WINDOW_DAYS if earliest is None else io.to_days([earliest], reference)[0]
    for key, t in tables.items():
        before = t["day"].values < lower
        if before.any():
            i = int(np.argmax(before))
            raise SpecError(
                f"data.{key}",
                f"row {int(t[t['day'].dims[0]].values[i]) + 1} at {str(t['time'].values[i])[:16]} is before "
                f"the earliest allowed eruption time {str(io.from_days([lower], reference)[0])[:16]} "
                "(data.earliest)",
            )
    if not lower < first:
        raise SpecError("data.earliest", "expected a time before the first sighting")
    obs = io.Observations(reference, tables["sightings"], tables["strandings"], tables["non_detections"])
    if variant == "ensemble":
        for key in ("strandings", "non_detections"):
            if key in data:
                raise SpecError(
                    f"data.{key}", "the ensemble variant uses sightings only; use variant 'kernel'"
                )
    handling = choice("switches.handling", switches.get("handling", "marginalize"), model.HANDLINGS)
    methods = METHODS.get((variant, handling))
    if methods is None:
        raise SpecError(
            "switches.handling", f"the {variant} variant sums the source out; expected 'marginalize'"
        )
    if spec.inference.method not in methods:
        raise SpecError(
            "inference.method",
            f"{spec.inference.method!r} is not available for variant {variant!r} with handling {handling!r}; "
            f"expected one of {sorted(methods)}",
        )
    predict_days = tuple(
        number("data.predict_days", x, low=0.0, strict=True, unit="days")
        for x in np.atleast_1d(data.get("predict_days", [10.0, 20.0, 30.0])).tolist()
    )
    horizon = number("data.horizon_days", data.get("horizon_days", 60.0), low=0.0, strict=True, unit="days")
    end = obs.last_day + max(horizon, *predict_days)
    field = _field(data, spec, lower, end, reference) if variant == "ensemble" else None
    if field is None and "wind" in data:
        raise SpecError("data.wind", "only the ensemble variant drifts on a field")
    land_box: dict = {}

    def land_of(vents):
        land_box["domain"] = _domain(data, vents, obs, field)
        # uint8 as the simulator's kernel reads it, so that no call copies the mask
        mask = landmask.land_mask(*land_box["domain"])
        land_box["land"] = mask.copy(data=np.ascontiguousarray(mask.values, dtype=np.uint8))
        return land_box["land"]

    sources, weights = _sources(switches.get("source"), land_of)
    lon0, lon1, lat0, lat1 = land_box["domain"]
    for i, v in enumerate(sources):
        if not (lon0 <= v.lon <= lon1 and lat0 <= v.lat <= lat1):
            raise SpecError(
                f"switches.source[{i}]",
                f"{v.name} ({v.lon}, {v.lat}) is outside the domain {land_box['domain']}",
            )
    priors = _priors(spec, variant, (lower, first), field is not None and "uwind" in field)
    if methods[spec.inference.method] == "exact" and variant == "kernel":
        for k in ("u", "v"):
            try:
                model.normal_parameters(priors[k], k)
            except ValueError as exc:
                raise SpecError(
                    f"priors.{k}", f"{exc}; use inference.method = 'nuts' for other priors"
                ) from None
    return Problem(
        variant=variant,
        obs=obs,
        sources=sources,
        weights=weights,
        priors=priors,
        bounds=(lower, first),
        handling=handling,
        sd_m=number("data.position_sd", data.get("position_sd", 5.0), low=0.0, strict=True, unit="km") * 1e3,
        n_effective=number("data.n_effective", data.get("n_effective", 100.0), low=1.0),
        mean_delay=number(
            "data.reporting_delay", data.get("reporting_delay", 2.0), low=0.0, strict=True, unit="days"
        ),
        predict_days=predict_days,
        horizon_days=horizon,
        predictive_draws=integer("data.predictive_draws", data.get("predictive_draws", 100), minimum=1),
        predictive_particles=integer(
            "data.predictive_particles", data.get("predictive_particles", 20), minimum=1
        ),
        coasts=_coasts(data.get("coasts", "japan")),
        domain=land_box["domain"],
        land=land_box["land"] if flag("data.land", data.get("land", True)) else None,
        field=field,
        n_particles=integer("data.particles", data.get("particles", 48), minimum=2),
        infer_windage="windage" in spec.section("priors"),
        truth=_truth(data.get("truth"), [v.name for v in sources], variant),
    )


# --- fitting ----------------------------------------------------------------------------------------------


def _reshape(flat: dict[str, np.ndarray], chains: int) -> xr.Dataset:
    n = next(iter(flat.values())).size // chains
    return xr.Dataset(
        {k: (("chain", "draw"), v[: n * chains].reshape(chains, n)) for k, v in flat.items()},
        coords={"chain": np.arange(chains), "draw": np.arange(n)},
    )


def _log_likelihood(pointwise: dict[str, np.ndarray], chains: int) -> xr.Dataset:
    """The ``log_likelihood`` group: each observation's log likelihood (nats) at each posterior draw given the
    draw's source, on (chain, draw, item); one variable per observation table (:data:`model.TABLES`)."""
    out = {}
    for part, values in pointwise.items():
        name, dim, what = model.TABLES[part]
        n = values.shape[0] // chains
        out[name] = xr.DataArray(
            values[: n * chains].reshape(chains, n, -1),
            dims=("chain", "draw", dim),
            attrs={"long_name": what},
        )
    return xr.Dataset(
        out,
        coords={"chain": np.arange(chains), "draw": np.arange(n)},
        attrs={
            "description": "log p(y_i | source, parameters) at each posterior draw; the sum over every "
            "variable and item is the log likelihood at the draw (PSIS-LOO: arviz.loo(tree, var_name="
            "'sightings'))"
        },
    )


def _sample(
    problem: Problem, settings: Inference, method: str, rng
) -> tuple[xr.Dataset, np.ndarray, dict, dict]:
    """Posterior draws (chain, draw), p_source, extra groups and attributes for the sampled or exact fits."""
    d = problem.design
    draws = min(settings.draws, 300) if settings.quick else settings.draws
    n = settings.chains * draws
    groups, attrs = {}, {}
    if problem.variant == "ensemble":
        quick = 1 if settings.quick else 0
        shape = {k: v[quick] for k, v in ENSEMBLE_GRID.items()}
        windy = problem.infer_windage
        box = {
            "eruption_time": quadrature.prior_box(problem.priors["eruption_time"], *problem.bounds),
            "log_current_scale": tuple(np.log(quadrature.prior_box(problem.priors["current_scale"], 1e-6))),
            "windage": quadrature.prior_box(problem.priors["windage"], 0.0, 1.0) if windy else (0.0, 0.0),
            "log_diffusivity": tuple(np.log(quadrature.prior_box(problem.priors["diffusivity"], 1e-6))),
        }
        shape["windage"] = shape["windage"] if windy else 1
        ens = ensemble.Ensemble(
            problem.field, problem.land, problem.obs.reference, problem.n_particles, settings.seed
        )
        s = problem.obs.sightings
        sightings = {
            "day": s["day"].values,
            "lon": s["lon"].values,
            "lat": s["lat"].values,
            "sd2": d.sighting["sd2"],
        }
        p, flat, _ = ensemble.posterior(
            ens, list(problem.sources), d.log_weights, sightings, problem.priors, box, shape, n, rng
        )
        attrs |= {"ensemble_particle_steps": ens.cost["particle_steps"], "ensemble_runs": ens.cost["runs"]}
        if not windy:
            flat.pop("windage")
        pointwise = {"sighting": flat.pop("log_likelihood")}
        groups["log_likelihood"] = _log_likelihood(pointwise, settings.chains)
        return _reshape(flat, settings.chains), p, groups, attrs
    if method == "exact":
        p, flat, ess = model.exact_posterior(d, problem.priors, problem.bounds, n, rng)
        attrs["importance_ess_min"] = float(ess[p > 1e-3].min())
        pointwise = model.pointwise_log_likelihood(d, flat)
        groups["log_likelihood"] = _log_likelihood(pointwise, settings.chains)
        return _reshape(flat, settings.chains), p, groups, attrs
    try:  # the exact reference: reported alongside, and NUTS starts in its most probable mode
        p_exact, ref, _ = model.exact_posterior(d, problem.priors, problem.bounds, 1000, rng)
    except ValueError:  # non-normal velocity priors: no exact reference
        p_exact = ref = None
    center = None
    if ref is not None and method == "nuts":  # (SMC starts from the prior)
        top = ref["source_index"] == np.argmax(p_exact)
        support = model.supports(problem.bounds)
        y = {k: model.unconstrained(k, ref[k][top], support[k]) for k in model.PARAMETERS}
        center = {k: (float(np.mean(v)), float(np.std(v)) + 1e-9) for k, v in y.items()}
    pymc_model = model.build_model(d, problem.priors, problem.bounds, problem.handling, center)
    tree = inference.fit(pymc_model, settings, method)
    post = tree["posterior"].to_dataset()
    if "sample_stats" in tree.children:
        groups["sample_stats"] = tree["sample_stats"].to_dataset()
    flat = {k: post[k].values.ravel() for k in model.PARAMETERS}
    if problem.handling == "marginalize":
        log_cond = model.source_log_probabilities(d, flat)
        p = np.exp(log_cond).mean(0)
        index = np.argmax(log_cond + rng.gumbel(size=log_cond.shape), axis=-1)
        post = post.assign(source_index=(("chain", "draw"), index.reshape(post["u"].shape)))
    else:
        p = np.bincount(post["source_index"].values.ravel(), minlength=len(d.sources)) / post["u"].size
        post = post.drop_vars("source_u")
    flat["source_index"] = post["source_index"].values.ravel()
    pointwise = model.pointwise_log_likelihood(d, flat)
    groups["log_likelihood"] = _log_likelihood(pointwise, post.sizes["chain"])
    if p_exact is not None:
        attrs |= {
            "p_source_exact": p_exact.tolist(),
            "p_source_max_abs_error": float(np.abs(p - p_exact).max()),
        }
    return post[list(flat)], p, groups, attrs


def _annotate(post: xr.Dataset, names: list[str]) -> xr.Dataset:
    units = model.PARAMETERS | {
        "current_scale": ("1", "scaling of the field's current"),
        "windage": ("1", "wind drift factor (fraction of the 10 m wind)"),
    }
    for k in post.data_vars:
        if k in units:
            post[k].attrs.update(units=units[k][0], long_name=units[k][1])
    post["source_index"] = post["source_index"].astype(np.int64)
    post["source_index"].attrs.update(
        long_name="source index",
        flag_values=list(range(len(names))),
        flag_meanings=" ".join(n.replace(" ", "_") for n in names),
    )
    return post


def _field_of(problem: Problem):
    if problem.variant == "ensemble":
        f = problem.field
        return lambda draw: f.assign(uo=f.uo * draw["current_scale"], vo=f.vo * draw["current_scale"])
    return lambda draw: flows.uniform_flow(draw["u"], draw["v"], bounds=problem.domain, resolution=0.5)


def _clouds(problem: Problem, draws: dict[str, np.ndarray], days: np.ndarray, horizon: float, seed: int):
    """Simulated clouds of each draw at ``days`` and its strandings up to ``horizon`` (:mod:`.predict`)."""
    return predict.simulate_draws(
        draws,
        list(problem.sources),
        _field_of(problem),
        problem.land,
        problem.obs.reference,
        days,
        horizon,
        problem.predictive_particles,
        seed,
    )


def _predictive(problem: Problem, post: xr.Dataset, seed: int) -> tuple[xr.Dataset, dict]:
    flat = {k: post[k].values.ravel() for k in post.data_vars}
    pick = predict.thin(flat["u"].size, problem.predictive_draws)
    draws = {k: v[pick] for k, v in flat.items()}
    obs = problem.obs
    last = float(obs.sightings["day"].max())
    days = np.concatenate([obs.sightings["day"].values, last + np.asarray(problem.predict_days)])
    horizon = last + max(problem.horizon_days, *problem.predict_days)
    pred = _clouds(problem, draws, days, horizon, seed)
    pred = pred.assign_coords(
        kind=(
            "time",
            ["sighting"] * obs.sightings.sizes["sighting"] + ["prediction"] * len(problem.predict_days),
        )
    )
    attrs = {
        "predictive_particle_steps": predict.cost(pred, horizon, draws["eruption_time"]),
        "horizon_day": horizon,
    }
    return pred, attrs


def prior_draws(problem: Problem, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n`` draws from the priors: ``source_index`` by the prior weights and the continuous unknowns of the
    tier, the eruption time truncated to the window ending an hour before the first sighting (days)."""
    names = ["eruption_time", "diffusivity"]
    names += ["u", "v"] if problem.variant == "kernel" else ["current_scale"]
    names += ["windage"] if problem.infer_windage else []
    out = {
        "source_index": rng.choice(len(problem.sources), size=n, p=problem.weights / problem.weights.sum())
    }
    for k in names:
        prior = problem.priors[k]
        dist = prior.pymc_distribution.dist(**prior.parameters)
        if k == "eruption_time":
            dist = pm.Truncated.dist(dist, lower=problem.bounds[0], upper=problem.bounds[1] - 1.0 / 24)
        out[k] = np.asarray(pm.draw(dist, draws=n, random_seed=rng, mode="FAST_COMPILE"), float).reshape(n)
    return out


def _prior_predictive(problem: Problem, seed: int) -> xr.Dataset:
    """Clouds at the sighting times drifted with sources and parameters drawn from the priors."""
    rng = np.random.default_rng([seed, 1])
    draws = prior_draws(problem, problem.predictive_draws, rng)
    days = problem.obs.sightings["day"].values
    pred = _clouds(problem, draws, days, float(days.max()), int(rng.integers(2**31)))
    return pred[["lon", "lat", "stranding_day"]]


def fit(problem: Problem, settings: Inference) -> xr.DataTree:
    """Fit one problem; returns the result tree (``/posterior``, ``/summary``, predictive, data, sources)."""
    method = METHODS[(problem.variant, problem.handling)][settings.method]
    rng = np.random.default_rng(settings.seed)
    names = [v.name for v in problem.sources]
    post, p, groups, attrs = _sample(problem, settings, method, rng)
    post = _annotate(post, names)
    reported = [k for k in post.data_vars if k != "source_index"]
    summary = summarize(post, reported)
    summary["p_source"] = switch_probabilities("source", names, p)
    pred, pred_attrs = _predictive(problem, post, settings.seed)
    groups |= {
        "posterior": post,
        "summary": summary,
        "posterior_predictive": pred,
        "prior_predictive": _prior_predictive(problem, settings.seed),
        "observed_data": problem.obs.sightings.drop_vars("sighting").assign(
            sd=("sighting", io.position_sd(problem.obs.sightings, problem.sd_m), {"units": "m"})
        ),
        "sources": xr.Dataset(
            {
                "lon": ("source", [v.lon for v in problem.sources], {"units": "degrees_east"}),
                "lat": ("source", [v.lat for v in problem.sources], {"units": "degrees_north"}),
                "prior_probability": ("source", problem.weights / problem.weights.sum(), {"units": "1"}),
            },
            coords={"source": names},
        ),
    }
    for key in ("strandings", "non_detections"):
        table = getattr(problem.obs, key)
        if table["day"].size:
            groups[key] = table.drop_vars(table["day"].dims[0])
    if problem.land is not None:
        groups["arrival"] = predict.arrivals(pred, problem.coasts)
    if problem.truth is not None:
        groups["reference"] = xr.Dataset(
            {k: v for k, v in problem.truth.items() if k != "source"},
            attrs={"source": problem.truth["source"]},
        )
    tree = xr.DataTree.from_dict(groups)
    tree.attrs.update(
        case="drift.source",
        variant=problem.variant,
        handling=problem.handling,
        inference_method=method
        if problem.variant == "kernel"
        else "exact (quadrature over simulated ensembles)",
        reference_time=str(problem.obs.reference),
        eruption_bounds_days=list(problem.bounds),
        domain=list(problem.domain),
        position_sd_m=problem.sd_m,
        **attrs,
        **pred_attrs,
    )
    return tree


def has_exact_evidence(problem: Problem, settings: Inference) -> bool:
    """No: compare drift.source variants by PSIS-LOO over the sightings (``log_likelihood`` group).

    The tier-1 quadrature's source evidences are accurate to its grid but are not reported as a model
    evidence: strandings and non-detections enter it by importance sampling, the samplers and tier 2 (Monte
    Carlo clouds) have none, and with the default wide velocity priors and eruption window it mostly measures
    prior widths rather than how well a variant predicts the sightings.
    """
    return False


# --- figures, demo, calibration ---------------------------------------------------------------------------


def figures(tree: xr.DataTree) -> dict:
    """Figure factories saved by the CLI next to ``result.nc``."""
    from bayesgeo.drift.inverse import plots

    figs = {
        "drift_source_map": lambda: plots.source_map(tree).figure,
        "drift_source_probabilities": lambda: plots.source_probabilities(tree).figure,
        "drift_source_eruption_time": lambda: plots.eruption_time(tree).figure,
        "drift_source_prior_predictive": lambda: plots.predictive_check(tree, "prior_predictive")[0].figure,
        "drift_source_posterior_predictive": lambda: plots.predictive_check(tree)[0].figure,
    }
    if "arrival" in tree.children:
        figs["drift_source_arrival"] = lambda: plots.arrival_probabilities(tree).figure
    return figs


def demo_spec() -> dict:
    """The quick built-in example: the 2021 Fukutoku-Oka-no-Ba raft (shipped centroids up to 7 Sep 2021)."""
    return {
        "model": {"case": "drift.source"},
        "data": {
            "sightings": "builtin:fob2021",
            "reference_time": "2021-08-13T00:00Z",
            "until": "2021-09-07T12:00Z",
            "domain": [120.0, 150.0, 15.0, 40.0],
            "predictive_draws": 40,
        },
        "switches": {"source": [{"name": v.name, "lon": v.lon, "lat": v.lat} for v in FOB_CANDIDATES]},
        "inference": {"method": "auto", "seed": 1, "draws": 500},
    }


#: Izu-Bonin candidates at sea: island volcanoes at an offshore point of their flanks.
FOB_CANDIDATES: tuple[Volcano, ...] = (
    Volcano("Myojinsho", 140.02, 31.92, "NE rim of the Bayonnaise caldera"),
    Volcano("Sumisujima", 140.05, 31.44, "Smith Rocks"),
    Volcano("Nishinoshima", 140.86, 27.22, "GVP 284096, 3 km SSW of the island (sea point)"),
    Volcano("Kaitoku Seamount", 141.102, 26.127, "GVP 284100"),
    Volcano("Ioto", 141.29, 24.72, "GVP 284120, off the south coast (submarine vents of 2022-2023)"),
    Volcano("Fukutoku-Oka-no-Ba", 141.481, 24.285, "GVP 284130"),
    Volcano("Minami-Hiyoshi Seamount", 141.935, 23.500, "JMA"),
    Volcano("Nikko Seamount", 142.326, 23.078, "GVP 284132"),
)


def posterior_only(problem: Problem) -> Problem:
    """``problem`` with the predictive simulations cut to a token size (2 draws, 1 day): SBC and recovery
    studies use the posterior only, and the predictive drift simulations would dominate their cost."""
    return replace(problem, predictive_draws=2, predictive_particles=2, horizon_days=1.0)


def simulate_prior(problem: Problem, rng: np.random.Generator) -> tuple[Problem, dict[str, float]]:
    """Draw a source, eruption time, drift and diffusivity from the priors (:func:`prior_draws`) and simulate
    the sightings at the problem's sighting times with the drift simulator (tier 1 only). Returns the new
    problem and the truth."""
    if problem.variant != "kernel":
        raise SpecError("model.variant", "simulation-based calibration is available for the kernel variant")
    draws = prior_draws(problem, 1, rng)
    s = int(draws["source_index"][0])
    truth = {k: float(draws[k][0]) for k in ("u", "v", "diffusivity", "eruption_time")}
    days = problem.obs.sightings["day"].values
    sim = model.simulate(problem.sources[s], truth, days, problem.obs.reference, problem.sd_m, seed=rng)
    sightings = problem.obs.sightings.drop_vars("area", errors="ignore").assign(
        lon=("sighting", sim["lon"].values, {"units": "degrees_east"}),
        lat=("sighting", sim["lat"].values, {"units": "degrees_north"}),
    )
    new = replace(
        problem,
        obs=replace(problem.obs, sightings=sightings),
        truth={"source": problem.sources[s].name, **truth},
    )
    return new, truth
