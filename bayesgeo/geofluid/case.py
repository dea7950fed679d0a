"""The ``geofluid.point`` case study through the spec: validate, fit, build the result tree, list figures.

From observed Vp, Vs (km/s) and bulk conductivity (S/m) at one place, infer porosity, the elastic pore aspect
ratio, the aspect ratio of the conductive network, and which lithology and which liquid (:mod:`.model`).
``switches.handling`` and ``inference.method`` choose how (``docs/specs.md``):

- ``marginalize`` (default): ``auto``/``exact`` = quadrature over the 3-D continuous box for every
  combination (:mod:`.exact`; exact up to a converged grid, a few seconds); ``smc`` = SMC and ``nuts`` =
  nutpie NUTS on the continuous parameters with the switches summed out inside the model, combination
  probabilities Rao-Blackwellised, ``p(c | y) = E[p(c | theta, y)]`` (:mod:`bayesgeo.switches`).
- ``sample``: ``auto``/``smc`` = SMC with the lithology and liquid indices as model variables; combination
  probabilities are visit frequencies.

Every fit also carries the exact reference, so every result reports its distance from it
(``p_model_max_abs_error``): the samplers are only as good as their exploration of a continuous posterior
that has one mode per plausible combination.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from functools import partial

import arviz as az
import numpy as np
import pymc as pm
import xarray as xr
from pymc_extras.prior import Prior
from scipy.special import logsumexp

from bayesgeo import inference
from bayesgeo.diagnostics import summarize, switch_probabilities
from bayesgeo.errors import SpecError
from bayesgeo.geofluid import exact, multistart
from bayesgeo.geofluid.conductivity import CONDUCTIVITY_SCHEMES
from bayesgeo.geofluid.liquids import (
    BRINE_LAWS,
    FLUID_CONDUCTIVITY_LAWS,
    MELT_CONDUCTIVITY_LAWS,
    MELT_ELASTIC_LAWS,
)
from bayesgeo.geofluid.model import (
    DEFAULT_PRIORS,
    HANDLINGS,
    PARAMETERS,
    Observation,
    Rock,
    build_model,
    log_likelihood,
    log_prior_table,
    prior_support,
    simulate,
)
from bayesgeo.geofluid.solid import list_lithologies, solid_properties
from bayesgeo.importance import K_MAX
from bayesgeo.spec import Inference, Spec, check_keys, choice, merge_priors, number
from bayesgeo.switches import conditional_log_probabilities, weighted_summary

DATA_KEYS = (
    "vp",
    "vs",
    "conductivity",
    "pressure",
    "temperature",
    "vp_sd",
    "vs_sd",
    "log10_conductivity_sd",
    "salinity",
    "solid_conductivity",
    "truth",
)
LIQUIDS = ("aqueous", "melt")
#: Law switches: registry and default (the geofluid layer's defaults).
LAWS = {
    "brine_law": (BRINE_LAWS, "pure_water"),
    "fluid_law": (FLUID_CONDUCTIVITY_LAWS, "sinmyo_keppler_2017"),
    "melt_elastic_law": (MELT_ELASTIC_LAWS, "lange_carmichael"),
    "melt_law": (MELT_CONDUCTIVITY_LAWS, "tyburczy_waff_1983"),
}
#: Liquid -> (density and bulk modulus law, conductivity law) switch names.
LIQUID_LAWS = {"aqueous": ("brine_law", "fluid_law"), "melt": ("melt_elastic_law", "melt_law")}
SWITCH_KEYS = ("lithology", "liquid", "handling", "conductivity_scheme", *LAWS)
#: (handling, inference.method) -> what runs.
METHODS = {
    "marginalize": {"auto": "exact", "exact": "exact", "smc": "smc", "nuts": "nuts"},
    "sample": {"auto": "smc", "smc": "smc"},
}
TRUTH_KEYS = ("lithology", "liquid", "porosity", "aspect_ratio", "aspect_ratio_ec")
REPORTED = tuple(PARAMETERS)


@dataclass(frozen=True)
class Problem:
    """Validated inputs of one point: constants at (P, T), data, priors, switch weights and handling."""

    rock: Rock
    obs: Observation
    priors: dict[str, Prior]
    lithology_weights: np.ndarray
    liquid_weights: np.ndarray
    handling: str = "marginalize"
    conditions: dict | None = None
    truth: dict | None = None

    @property
    def log_weights(self) -> np.ndarray:
        return log_prior_table(self.lithology_weights, self.liquid_weights)


# --- validation -------------------------------------------------------------------------------------------


def _required(data: dict, key: str, what: str, **bounds) -> float:
    if key not in data:
        raise SpecError(f"data.{key}", f"missing; expected {what}")
    return number(f"data.{key}", data[key], **bounds)


def _observation(data: dict) -> Observation:
    vp = _required(data, "vp", "the P-wave velocity in km/s", low=0.0, strict=True, high=15.0, unit="km/s")
    vs = _required(data, "vs", "the S-wave velocity in km/s", low=0.0, strict=True, high=10.0, unit="km/s")
    if vp / vs <= np.sqrt(4.0 / 3.0):
        raise SpecError(
            "data.vs",
            f"Vp/Vs = {vp / vs:.3f} <= sqrt(4/3) = 1.155 means a negative bulk modulus; expected "
            f"vs < {vp / np.sqrt(4.0 / 3.0):.3f} km/s for vp = {vp} km/s",
        )
    sigma = _required(
        data, "conductivity", "the bulk conductivity in S/m", low=0.0, strict=True, high=1e4, unit="S/m"
    )
    sds = {
        key: number(f"data.{key}", data.get(key, default), low=0.0, strict=True, high=high, unit=unit)
        for key, default, high, unit in (
            ("vp_sd", 0.05, 5.0, "km/s"),
            ("vs_sd", 0.05, 5.0, "km/s"),
            ("log10_conductivity_sd", 0.1, 5.0, "(log10 S/m)"),
        )
    }
    return Observation(vp=vp, vs=vs, conductivity=sigma, **sds)


def _options(field: str, value, known: list[str], what: str) -> tuple[list[str], np.ndarray]:
    """Options of a switch: ``"all"``, one name, a list of names, or a table name -> prior weight."""
    if value == "all":
        return list(known), np.ones(len(known))
    table = {value: 1.0} if isinstance(value, str) else value
    if isinstance(table, list):
        if len(set(map(str, table))) != len(table):
            raise SpecError(field, f"expected distinct {what} names, got {table!r}")
        table = dict.fromkeys(table, 1.0)
    if not isinstance(table, dict) or not table:
        raise SpecError(
            field, f'expected "all", a list of {what} names or a table name = weight, got {value!r}'
        )
    for name, weight in table.items():
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            listing = known if len(known) <= 10 else "the names listed by `bayesgeo lithologies`"
            raise SpecError(field, f"unknown {what} {name!r}; {hint}expected one of {listing}")
        number(f"{field}.{name}", weight, low=0.0, strict=True)
    names = [k for k in known if k in table]
    return names, np.array([float(table[k]) for k in names])


def _physics(call, hint: str = ""):
    """Run a geofluid-layer call; its ValueError (a value outside a law's range) becomes a SpecError."""
    try:
        return call()
    except ValueError as exc:
        message = str(exc).splitlines()[0]
        word = message.split()[0] if message else ""
        field = f"data.{word}" if word in ("pressure", "temperature", "salinity") else "data"
        raise SpecError(field, message + hint) from None


def liquid_constants(
    liquids: list[str], p_gpa: float, t_c: float, salinity: float, laws: dict[str, str]
) -> xr.Dataset:
    """Density (kg/m3), bulk modulus (GPa) and conductivity (S/m) of the selected liquids at (P, T).

    Evaluates only the laws of the selected liquids (so an aqueous-only spec is not refused by a melt law's
    temperature range); each law comes from the geofluid registries named in :data:`LAWS`.
    """
    values = []
    for liquid in liquids:
        kwargs = {"salinity": salinity} if liquid == "aqueous" else {}
        (rho, k), sigma = (
            _physics(
                partial(LAWS[key][0][laws[key]], p_gpa, t_c, **kwargs),
                f" (switches.{key} = {laws[key]!r}; choose another law or drop {liquid!r} from "
                "switches.liquid)",
            )
            for key in LIQUID_LAWS[liquid]
        )
        values.append((float(rho), float(k), float(sigma)))
    rho, k, sigma = np.array(values).T
    return xr.Dataset(
        {
            "rho": ("liquid", rho, {"units": "kg m-3", "long_name": "liquid density"}),
            "K": ("liquid", k, {"units": "GPa", "long_name": "liquid bulk modulus"}),
            "sigma": ("liquid", sigma, {"units": "S m-1", "long_name": "liquid conductivity"}),
        },
        coords={"liquid": liquids},
    )


def _priors(table: dict) -> dict[str, Prior]:
    """Priors merged over the defaults; each must have fixed parameters and a physical support."""
    priors = merge_priors(DEFAULT_PRIORS, table)
    for sampled, _, (lo, hi) in PARAMETERS.values():
        prior = priors[sampled]
        field = f"priors.{sampled}"
        if any(isinstance(v, Prior) for v in prior.parameters.values()):
            raise SpecError(field, "expected fixed parameters (the exact reference integrates a fixed prior)")
        try:
            low, high = prior_support(prior)
        except Exception as exc:  # noqa: BLE001 - any failure of the quantile function is the finding
            raise SpecError(field, f"cannot evaluate the prior's quantiles ({exc})") from None
        if not (np.isfinite(low) and np.isfinite(high)) or low < lo - 1e-6 or high > hi + 1e-6:
            raise SpecError(
                field,
                f"the prior reaches [{low:.4g}, {high:.4g}]; expected a distribution inside [{lo}, {hi}] "
                "(use e.g. Uniform, Beta or TruncatedNormal)",
            )
    return priors


def _truth(value, lithologies: list[str], liquids: list[str]) -> dict | None:
    if value is None:
        return None
    check_keys(value, TRUTH_KEYS, "data.truth")
    missing = [k for k in TRUTH_KEYS if k not in value]
    if missing:
        raise SpecError(f"data.truth.{missing[0]}", f"missing; expected all of {list(TRUTH_KEYS)}")
    choice("data.truth.lithology", value["lithology"], lithologies)
    choice("data.truth.liquid", value["liquid"], liquids)
    return {
        "lithology": value["lithology"],
        "liquid": value["liquid"],
        "porosity": number("data.truth.porosity", value["porosity"], low=0.0, high=0.9),
        **{
            k: number(f"data.truth.{k}", value[k], low=0.0, strict=True, high=1.0)
            for k in ("aspect_ratio", "aspect_ratio_ec")
        },
    }


def prepare(spec: Spec) -> Problem:
    """Validate the spec's sections for this case and compute the constants at (P, T)."""
    if spec.variant is not None:
        raise SpecError("model.variant", f"geofluid.point has no variants, got {spec.variant!r}")
    data, switches = spec.section("data"), spec.section("switches")
    check_keys(data, DATA_KEYS, "data")
    check_keys(switches, SWITCH_KEYS, "switches")
    obs = _observation(data)
    p_gpa = _required(data, "pressure", "the pressure in GPa", low=0.0, high=10.0, unit="GPa")
    t_c = _required(data, "temperature", "the temperature in deg C", low=-20.0, high=1600.0, unit="deg C")
    salinity = number("data.salinity", data.get("salinity", 5.0), low=0.0, high=30.0, unit="wt% NaCl")
    sigma_s = number(
        "data.solid_conductivity", data.get("solid_conductivity", 1e-3), low=0.0, strict=True, unit="S/m"
    )
    handling = choice("switches.handling", switches.get("handling", "marginalize"), HANDLINGS)
    if spec.inference.method not in METHODS[handling]:
        raise SpecError(
            "inference.method",
            f"{spec.inference.method!r} is not available with switches.handling = {handling!r}; "
            f"expected one of {sorted(METHODS[handling])}",
        )
    laws = {
        k: choice(f"switches.{k}", switches.get(k, default), list(reg)) for k, (reg, default) in LAWS.items()
    }
    scheme = choice(
        "switches.conductivity_scheme", switches.get("conductivity_scheme", "dem"), list(CONDUCTIVITY_SCHEMES)
    )
    table = list_lithologies()
    names, w_lith = _options(
        "switches.lithology", switches.get("lithology", "all"), list(table.index), "lithology"
    )
    liquids, w_liq = _options(
        "switches.liquid", switches.get("liquid", list(LIQUIDS)), list(LIQUIDS), "liquid"
    )
    solid = _physics(lambda: solid_properties(names, p_gpa, t_c))
    liquid = liquid_constants(liquids, p_gpa, t_c, salinity, laws)
    sigma_l = float(liquid["sigma"].min())
    if sigma_s >= sigma_l:
        raise SpecError(
            "data.solid_conductivity",
            f"expected a value below the liquid conductivity {sigma_l:.3g} S/m, got {sigma_s} S/m",
        )
    priors = _priors(spec.section("priors"))
    conditions = {
        "pressure_GPa": p_gpa,
        "temperature_C": t_c,
        "salinity_wt": salinity,
        "solid_conductivity_S_m": sigma_s,
        "conductivity_scheme": scheme,
        **laws,
    }
    rock = Rock(solid[["rho", "K", "G"]], liquid, sigma_s, scheme)
    truth = _truth(data.get("truth"), names, liquids)
    return Problem(rock, obs, priors, w_lith, w_liq, handling, conditions, truth)


# --- fitting ----------------------------------------------------------------------------------------------


def fit(problem: Problem, settings: Inference) -> xr.DataTree:
    """Fit one point; returns the result tree (see ``docs/results.md`` and ``docs/specs.md``)."""
    method = METHODS[problem.handling][settings.method]
    rng = np.random.default_rng(settings.seed)
    reference = exact.quadrature(problem.rock, problem.obs, problem.priors, problem.log_weights)
    groups: dict[str, xr.Dataset] = {}
    models, attrs = {}, {}
    if method == "exact":
        draws = min(settings.draws, 300) if settings.quick else settings.draws
        post = _exact_posterior(reference, settings.chains, draws, rng)
        probs = reference.probabilities
        by_model = reference.summary()
    else:
        model = build_model(
            problem.rock,
            problem.obs,
            problem.priors,
            problem.lithology_weights,
            problem.liquid_weights,
            problem.handling,
        )
        if method == "nuts":
            post, probs, by_model, attrs = _fit_multistart(problem, model, settings, rng)
        else:
            post, probs, by_model, groups, attrs, models = _fit_smc(problem, model, settings, rng)
        models["importance_ess"] = by_model["porosity"]["ess"]
    post = _annotate(post, problem.rock)
    coords = {"lithology": problem.rock.lithologies, "liquid": problem.rock.liquids}
    groups |= {
        "posterior": post,
        "summary": _summary(post, probs, by_model, coords),
        "models": _models(problem, reference, probs, models, coords),
        "observed_data": _observed(problem.obs),
        "posterior_predictive": _predictive(problem, post, rng),
        "prior_predictive": _predictive(
            problem, _prior_draws(problem, post.sizes["chain"], post.sizes["draw"], rng), rng
        ),
    }
    if problem.truth is not None:
        groups["reference"] = xr.Dataset(
            {k: v for k, v in problem.truth.items() if k in REPORTED},
            attrs={"lithology": problem.truth["lithology"], "liquid": problem.truth["liquid"]},
        )
    out = xr.DataTree.from_dict(groups)
    out.attrs.update(
        case="geofluid.point",
        handling=problem.handling,
        inference_method=method,
        log_evidence=reference.log_evidence,
        log_evidence_method="quadrature over porosity and the two log10 aspect ratios (natural log)",
        p_model_max_abs_error=float(np.abs(probs - reference.probabilities).max()),
        **attrs,
        **problem.conditions,
    )
    return out


def _fit_smc(problem: Problem, model, settings: Inference, rng) -> tuple:
    """SMC on the marginalized model (Rao-Blackwellised probabilities) or on the sampled switch (visits)."""
    tree = inference.fit(model, settings, "smc")
    post = tree["posterior"].to_dataset().drop_vars(["lithology_u", "liquid_u"], errors="ignore")
    groups = {"sample_stats": tree["sample_stats"].to_dataset()}
    attrs = {"log_evidence_smc": _smc_log_evidence(groups["sample_stats"])}
    log_cond = _conditional(problem, post)
    flat = log_cond.reshape(-1, *log_cond.shape[2:])
    models = {}
    if problem.handling == "marginalize":
        probs = np.exp(flat).mean(0)
        post = _recover_indices(post, log_cond, rng)
    else:
        probs = _visit_frequencies(post, problem.log_weights.shape)
        models = _indicator_diagnostics(post, problem.log_weights.shape)
    by_model = {name: weighted_summary(post[name].values.ravel(), flat) for name in REPORTED}
    return post, probs, by_model, groups, attrs, models


#: Most chains the marginalized NUTS route starts (one per distinct combination mode), importance draws.
MAX_STARTS = 12
IMPORTANCE_DRAWS = 40_000


def _fit_multistart(problem: Problem, model, settings: Inference, rng) -> tuple:
    """Marginalized NUTS: chains from the combination modes, importance-corrected (:mod:`.multistart`).

    Returns the importance-resampled posterior (``settings.chains`` pseudo-chains), the combination
    probabilities, per-combination summaries and attributes with the diagnostics of both stages.
    """
    target = multistart.Target(problem.rock, problem.obs, problem.priors, problem.log_weights)
    starts = multistart.chain_starts(target, max(settings.chains, MAX_STARTS), rng)
    tree = inference.fit(
        model, settings, "nuts", starts=[dict(zip(multistart.NAMES, x, strict=True)) for x in starts]
    )
    nuts = tree["posterior"].to_dataset()
    names = list(multistart.NAMES)
    chains = [np.stack([nuts[n].values[c] for n in names], -1) for c in range(nuts.sizes["chain"])]
    est = multistart.importance(target, chains, rng, IMPORTANCE_DRAWS)
    draws = nuts.sizes["draw"]
    pick = est.resample(settings.chains * draws, rng).reshape(settings.chains, draws)
    values = {n: est.x[pick, k] for k, n in enumerate(names)}
    post = _draws_dataset(values | _natural(values))
    post = _recover_indices(post, est.log_conditional[pick], rng)
    log_w = np.log(np.maximum(est.weights, 1e-300))[:, None, None] + est.log_conditional
    flat = _natural(dict(zip(names, est.x.T, strict=True)))
    by_model = {name: weighted_summary(flat[name], log_w) for name in REPORTED}
    with np.errstate(invalid="ignore", divide="ignore"):
        rhat = max(float(v) for v in az.rhat(nuts[names]).values())
    attrs = {
        "nuts_chains": len(starts),
        "nuts_rhat_max": rhat,
        "nuts_divergences": int(tree["sample_stats"]["diverging"].sum()),
        "importance_draws": IMPORTANCE_DRAWS,
        "importance_pareto_k": est.pareto_k,
        "importance_ess": est.ess,
        "importance_reliable": int(est.pareto_k <= K_MAX),
    }
    return post, est.probabilities, by_model, attrs


def _natural(values: dict) -> dict:
    """Reported parameters (porosity, aspect ratios) from the sampled ones (porosity, log10 ratios)."""
    return {
        name: values[s] if name == "porosity" else 10.0 ** values[s] for name, (s, _, _) in PARAMETERS.items()
    }


def _draws_dataset(values: dict) -> xr.Dataset:
    chains, draws = next(iter(values.values())).shape
    return xr.Dataset(
        {k: (("chain", "draw"), v) for k, v in values.items()},
        coords={"chain": np.arange(chains), "draw": np.arange(draws)},
    )


def _exact_posterior(reference: exact.Quadrature, chains: int, draws: int, rng) -> xr.Dataset:
    d = reference.sample(chains * draws, rng)
    d |= {name: 10.0 ** d[sampled] for name, (sampled, _, _) in PARAMETERS.items() if name != "porosity"}
    return xr.Dataset(
        {k: (("chain", "draw"), v.reshape(chains, draws)) for k, v in d.items()},
        coords={"chain": np.arange(chains), "draw": np.arange(draws)},
    )


def _smc_log_evidence(stats: xr.Dataset) -> float:
    """SMC's estimate of ``log p(y)``: final stage of each chain, averaged over chains in probability."""
    final = [np.asarray(row, dtype=float) for row in stats["log_marginal_likelihood"].values]
    return float(logsumexp([row[np.isfinite(row)][-1] for row in final]) - np.log(len(final)))


def _conditional(problem: Problem, post: xr.Dataset) -> np.ndarray:
    """``log p(c | theta_s, y)`` for every draw, shape (chain, draw, lithology, liquid)."""
    terms = log_likelihood(
        post["porosity"].values,
        post["aspect_ratio"].values,
        post["aspect_ratio_ec"].values,
        problem.rock,
        problem.obs,
    )
    return conditional_log_probabilities(terms + problem.log_weights, n_option_axes=2)


def _recover_indices(post: xr.Dataset, log_cond: np.ndarray, rng) -> xr.Dataset:
    """Draw the summed-out switch from ``p(c | theta_s, y)`` for each draw (for predictive checks)."""
    shape = log_cond.shape
    flat = log_cond.reshape(*shape[:2], -1)
    c = np.argmax(flat + rng.gumbel(size=flat.shape), axis=-1)
    i, j = np.unravel_index(c, shape[2:])
    return post.assign(lithology_index=(("chain", "draw"), i), liquid_index=(("chain", "draw"), j))


def _visit_frequencies(post: xr.Dataset, shape: tuple[int, int]) -> np.ndarray:
    flat = np.ravel_multi_index(
        (post["lithology_index"].values.ravel(), post["liquid_index"].values.ravel()), shape
    )
    return np.bincount(flat, minlength=shape[0] * shape[1]).reshape(shape) / flat.size


def _indicator_diagnostics(post: xr.Dataset, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """R-hat and bulk ESS of the indicator of each combination across chains (sampled switch only)."""
    import arviz as az

    c = np.ravel_multi_index((post["lithology_index"].values, post["liquid_index"].values), shape)
    ind = (c[..., None] == np.arange(shape[0] * shape[1])).astype(float)
    ds = xr.Dataset({"ind": (("chain", "draw", "model"), ind)})
    with np.errstate(invalid="ignore", divide="ignore"):
        rhat = az.rhat(ds)["ind"].values.reshape(shape)
        ess = az.ess(ds, method="bulk")["ind"].values.reshape(shape)
    return {"indicator_rhat": rhat, "indicator_ess": ess}


# --- result groups ----------------------------------------------------------------------------------------

LONG_NAMES = {name: long for name, (_, long, _) in PARAMETERS.items()}


def _annotate(post: xr.Dataset, rock: Rock) -> xr.Dataset:
    for name in REPORTED:
        post[name].attrs.update(long_name=LONG_NAMES[name], units="1")
    for sampled, _, _ in PARAMETERS.values():
        if sampled != "porosity" and sampled in post:
            post[sampled].attrs.update(long_name=f"{sampled} (sampled)", units="1")
    for switch, options in (("lithology", rock.lithologies), ("liquid", rock.liquids)):
        post[f"{switch}_index"].attrs.update(
            long_name=f"{switch} index",
            flag_values=list(range(len(options))),
            flag_meanings=" ".join(options),
        )
    return post


def model_labels(lithologies: list[str], liquids: list[str]) -> list[str]:
    """Labels ``"lithology|liquid"`` of the joint switch, liquid by liquid (aqueous block, then melt)."""
    return [f"{lith}|{liq}" for liq in liquids for lith in lithologies]


def _summary(post: xr.Dataset, probs: np.ndarray, by_model: dict, coords: dict) -> xr.Dataset:
    s = summarize(post, list(REPORTED))
    dims = ("lithology", "liquid")
    for name, stats in by_model.items():
        attrs = {"long_name": f"{LONG_NAMES[name]}, per combination", "units": "1"}
        s[f"{name}_by_model"] = xr.DataArray(stats["mean"], dims=dims, coords=coords, attrs=attrs)
        for key in ("sd", "q05", "q95"):
            s[f"{name}_by_model_{key}"] = xr.DataArray(
                stats[key], dims=dims, coords=coords, attrs={"units": "1"}
            )
    s["p_lithology"] = switch_probabilities("lithology", coords["lithology"], probs.sum(1))
    s["p_liquid"] = switch_probabilities("liquid", coords["liquid"], probs.sum(0))
    s["p_model"] = switch_probabilities(
        "model", model_labels(coords["lithology"], coords["liquid"]), probs.T.ravel()
    )
    return s


def _models(problem: Problem, reference: exact.Quadrature, probs, extra: dict, coords: dict) -> xr.Dataset:
    dims = ("lithology", "liquid")
    ds = xr.Dataset(
        {
            "probability": (dims, probs, {"long_name": "posterior probability (this method)"}),
            "probability_exact": (
                dims,
                reference.probabilities,
                {"long_name": "posterior probability (quadrature)"},
            ),
            "prior_probability": (dims, np.exp(problem.log_weights)),
            "log_marginal_likelihood": (
                dims,
                reference.log_evidence_by_model - problem.log_weights,
                {"long_name": "log p(y | lithology, liquid) by quadrature (natural log)"},
            ),
            **{k: (dims, v) for k, v in extra.items()},
        },
        coords=coords,
    )
    return ds.assign_coords(
        SiO2_wt=("lithology", list_lithologies().loc[coords["lithology"], "SiO2_wt"].to_numpy())
    )


def _observed(obs: Observation) -> xr.Dataset:
    return xr.Dataset(
        {
            "vp": ((), obs.vp, {"units": "km s-1", "sd": obs.vp_sd}),
            "vs": ((), obs.vs, {"units": "km s-1", "sd": obs.vs_sd}),
            "conductivity": ((), obs.conductivity, {"units": "S m-1"}),
            "log10_conductivity": (
                (),
                obs.log10_conductivity,
                {"units": "log10(S m-1)", "sd": obs.log10_conductivity_sd},
            ),
        }
    )


def _predictive(problem: Problem, post: xr.Dataset, rng) -> xr.Dataset:
    """Replicated data ``(Vp, Vs, log10 sigma)`` at each draw's parameters and combination, noise included."""
    rock, obs = problem.rock, problem.obs
    phi = post["porosity"].values
    i, j = post["lithology_index"].values, post["liquid_index"].values
    vp, vs = rock.velocities(phi, post["aspect_ratio"].values)
    log_sigma = rock.log10_conductivity(phi, post["aspect_ratio_ec"].values)
    ch, dr = np.indices(phi.shape)
    mean = {"vp": vp[ch, dr, i, j], "vs": vs[ch, dr, i, j], "log10_conductivity": log_sigma[ch, dr, 0, j]}
    sds = {"vp": obs.vp_sd, "vs": obs.vs_sd, "log10_conductivity": obs.log10_conductivity_sd}
    units = {"vp": "km s-1", "vs": "km s-1", "log10_conductivity": "log10(S m-1)"}
    return xr.Dataset(
        {
            k: (("chain", "draw"), m + rng.normal(scale=sds[k], size=m.shape), {"units": units[k]})
            for k, m in mean.items()
        },
        coords={"chain": post["chain"].values, "draw": post["draw"].values},
    )


def _prior_draws(problem: Problem, chains: int, draws: int, rng) -> xr.Dataset:
    """Draws from the prior: combination from its weights, the continuous parameters from their priors."""
    n = chains * draws
    sampled = {
        s: pm.draw(
            problem.priors[s].pymc_distribution.dist(**problem.priors[s].parameters), n, random_seed=rng
        )
        for s, _, _ in PARAMETERS.values()
    }
    index = {
        f"{switch}_index": rng.choice(w.size, size=n, p=w / w.sum())
        for switch, w in (("lithology", problem.lithology_weights), ("liquid", problem.liquid_weights))
    }
    values = sampled | _natural(sampled) | index
    return _draws_dataset({k: np.reshape(v, (chains, draws)) for k, v in values.items()})


# --- figures, demo, calibration ---------------------------------------------------------------------------


def figures(tree: xr.DataTree) -> dict:
    """Figure factories saved by the CLI next to ``result.nc``."""
    from . import plots

    return {
        "geofluid_probabilities": lambda: plots.probability_bars(tree).figure,
        "geofluid_scatter": lambda: plots.probability_scatter(tree).flat[0].figure,
        "geofluid_parameters": lambda: plots.parameters(tree).flat[0].figure,
        "geofluid_predictive": lambda: plots.predictive(tree).flat[0].figure,
    }


def has_exact_evidence(problem: Problem, settings: Inference) -> bool:
    """True: every fit carries the quadrature ``log p(y)`` (porosity and both aspect ratios integrated on a
    converged grid, lithology and liquid summed), whatever the sampler; ``bayesgeo compare`` ranks by it."""
    return True


def demo_spec() -> dict:
    """The quick built-in example: Naruko (NE Japan) at 20 km depth, every lithology, both liquids."""
    return {
        "model": {"case": "geofluid.point"},
        "data": {
            "vp": 6.30,
            "vs": 3.55,
            "conductivity": 0.396,
            "pressure": 0.545,
            "temperature": 828.518,
            "salinity": 5.0,
        },
        "switches": {"lithology": "all", "liquid": ["aqueous", "melt"]},
        "inference": {"method": "auto", "seed": 1, "draws": 500},
    }


def simulate_prior(problem: Problem, rng: np.random.Generator) -> tuple[Problem, dict[str, float]]:
    """Draw a truth from the priors (combination included), simulate data with the problem's errors.

    Returns the problem with the new data and truth, and the continuous truth (for SBC and recovery studies).
    """
    i = rng.choice(
        problem.lithology_weights.size, p=problem.lithology_weights / problem.lithology_weights.sum()
    )
    j = rng.choice(problem.liquid_weights.size, p=problem.liquid_weights / problem.liquid_weights.sum())
    theta = {}
    for name, (sampled, _, _) in PARAMETERS.items():
        prior = problem.priors[sampled]
        value = float(pm.draw(prior.pymc_distribution.dist(**prior.parameters), random_seed=rng))
        theta[name] = value if name == "porosity" else 10.0**value
    truth = {"lithology": problem.rock.lithologies[i], "liquid": problem.rock.liquids[j], **theta}
    o = problem.obs
    obs = simulate(problem.rock, truth, rng, o.vp_sd, o.vs_sd, o.log10_conductivity_sd)
    return replace(problem, obs=obs, truth=truth), theta
