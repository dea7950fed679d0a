"""The ``geofluid.field`` case: porosity and pore shape on a profile or section under a smoothness prior.

Kuwatani et al. (2014, Earth Planets Space 66:5) done fully Bayesian: observed Vp, Vs (and optionally
conductivity) in every cell, a host rock and a pore liquid (fixed, or switches for the whole section whose
options are weighed by their evidence), unknown porosity and aspect ratio per cell tied to their neighbours
by the prior of ``model.variant`` (:mod:`.field_model`), whose scale is inferred.

Inference (``inference.method``): ``map`` (= ``auto`` for Gaussian variants) is the Laplace/INLA fast path of
:mod:`.field_laplace` (latent mode by sparse Newton, hyperparameters integrated on a grid); ``nuts`` samples
the PyMC model of :func:`.field_model.build_model` with nutpie (= ``auto`` for ``tv``). Switch options are
always weighed by the Laplace evidence of the Gaussian variant, then fitted by the chosen method.

Comparing priors: the Laplace evidence is approximate (:func:`has_exact_evidence` is false), so
``bayesgeo compare`` scores held-out cells (:func:`.field_heldout.heldout_score`). :func:`simulate_prior`
draws sections from the prior for simulation-based calibration of the smoothness scales.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pymc as pm
import xarray as xr
from pymc_extras.prior import Prior
from scipy.special import logsumexp

from bayesgeo import gmrf, inference
from bayesgeo.denoise.gaussian import prior_logp
from bayesgeo.diagnostics import summarize, switch_probabilities
from bayesgeo.errors import SpecError
from bayesgeo.geofluid import FLUID_CONDUCTIVITY_LAWS, MELT_CONDUCTIVITY_LAWS, list_lithologies
from bayesgeo.geofluid import field_laplace as fl
from bayesgeo.geofluid.field_data import ATTRS, read_cells, simulate
from bayesgeo.geofluid.field_heldout import heldout_score
from bayesgeo.geofluid.field_model import (
    DEFAULT_PRIORS,
    FIELDS,
    GAUSSIAN,
    OUTPUTS,
    VARIANTS,
    Constants,
    build_model,
    cell_likelihood,
    constants,
    field_prior,
    predict,
    sigmoid,
)
from bayesgeo.spec import Inference, Spec, check_keys, choice, merge_priors, number

__all__ = [
    "DEFAULT_PRIORS",
    "build_model",
    "demo_spec",
    "figures",
    "fit",
    "has_exact_evidence",
    "heldout_score",
    "prepare",
    "simulate",
    "simulate_prior",
]

DATA_KEYS = (
    "cells",
    "pressure",
    "temperature",
    "vp_sd",
    "vs_sd",
    "log10_conductivity_sd",
    "salinity",
    "solid_conductivity",
    "fluid_law",
    "melt_law",
)
LIQUIDS = ("aqueous", "melt")
DEFAULT_SD = {"vp_sd": 0.05, "vs_sd": 0.05, "log10_conductivity_sd": 0.15}
POSITIVE = ("HalfNormal", "HalfStudentT", "HalfCauchy", "Exponential", "Gamma", "InverseGamma", "LogNormal")
P_MIN = 1e-6  # options less probable than this are not fitted by NUTS
WHITEN_MAX = 4000  # NUTS is whitened by the dense Laplace covariance up to this many latent values
FIELD_VALUES = 1_000_000  # /posterior keeps every s-th draw so that each field holds at most this many values
PREDICTIVE_VALUES = 100_000  # replicated data: at most 100 draws and about this many values per output


@dataclass(frozen=True)
class Problem:
    """Validated inputs: the section (grid dims, per-cell data), prior, and the switch options' constants."""

    cells: xr.Dataset
    variant: str
    priors: dict[str, Prior]
    method: str
    options: tuple[tuple[str, str], ...]  # (lithology, liquid)
    constants: dict[tuple[str, str], Constants]
    observed: np.ndarray | None = None  # (N,) bool, flattened: cells whose data enter the fit (None: all)
    latent: str = "laplace"  # latent-field approximation of the fast path: laplace or ep

    @property
    def n_fields(self) -> int:
        return 3 if "conductivity" in self.cells else 2

    @property
    def dims(self) -> tuple[str, ...]:
        return self.cells["vp"].dims

    @property
    def shape(self) -> tuple[int, ...]:
        return self.cells["vp"].shape

    def observations(self) -> tuple[np.ndarray, np.ndarray]:
        """Observed values and s.d. ``(K, N)`` in :data:`OUTPUTS` order (log10 of conductivity)."""
        c = self.cells
        y = [c["vp"], c["vs"]] + ([np.log10(c["conductivity"])] if self.n_fields == 3 else [])
        sd = [c[s] for s in ("vp_sd", "vs_sd", "log10_conductivity_sd")[: self.n_fields]]
        return np.stack([np.ravel(v) for v in y]), np.stack([np.ravel(v) for v in sd])


def _names(field: str, value, allowed: list[str] | tuple[str, ...], what: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise SpecError(field, f"expected a {what} name or a list of names, got {value!r}")
    for v in items:
        if v not in allowed:
            raise SpecError(field, f"unknown {what} {v!r}; expected one of {list(allowed)}")
    if len(set(items)) < len(items):
        raise SpecError(field, f"{what} names repeat in {items}")
    return tuple(items)


def _check_priors(priors: dict[str, Prior]) -> None:
    for name, p in priors.items():
        if name.startswith("logit_") and (p.distribution != "Normal" or set(p.parameters) != {"mu", "sigma"}):
            raise SpecError(
                f"priors.{name}",
                f"expected a Normal with numbers mu and sigma (a Gaussian level), got {p.distribution}",
            )
        if name.startswith("tau_") and p.distribution not in POSITIVE:
            raise SpecError(f"priors.{name}", f"expected a positive distribution, one of {list(POSITIVE)}")
    for name, p in priors.items():
        if name.startswith("logit_"):
            number(f"priors.{name}.mu", p.parameters["mu"])
            number(f"priors.{name}.sigma", p.parameters["sigma"], low=0.0, strict=True)


def prepare(spec: Spec) -> Problem:
    """Validate the spec, read the section and compute the per-cell physics constants of every option."""
    variant = choice("model.variant", spec.variant or "gmrf", VARIANTS)
    data = spec.section("data")
    check_keys(data, DATA_KEYS, "data")
    switches = spec.section("switches")
    check_keys(switches, ("lithology", "liquid"), "switches")
    if "cells" not in data:
        raise SpecError("data.cells", "missing; expected builtin:NAME or a path to a .nc or .csv file")
    cells = read_cells("data.cells", data["cells"], spec.base_dir)
    units = {"vp_sd": "km/s", "vs_sd": "km/s", "pressure": "GPa", "temperature": "deg C"}
    for key in ("vp_sd", "vs_sd", "log10_conductivity_sd", "pressure", "temperature"):
        if key in data:
            if key == "log10_conductivity_sd" and "conductivity" not in cells:
                raise SpecError(f"data.{key}", "given, but the cells have no conductivity")
            low, strict = (
                (0.0, True)
                if key.endswith("_sd")
                else ((0.0, False) if key == "pressure" else (-20.0, False))
            )
            value = number(f"data.{key}", data[key], low=low, strict=strict, unit=units.get(key, ""))
            cells[key] = xr.full_like(cells["vp"], value).assign_attrs(units=ATTRS[key][0])
        elif (
            key in DEFAULT_SD
            and key not in cells
            and (key != "log10_conductivity_sd" or "conductivity" in cells)
        ):
            cells[key] = xr.full_like(cells["vp"], DEFAULT_SD[key]).assign_attrs(units=ATTRS[key][0])
        elif key not in cells and key in ("pressure", "temperature"):
            raise SpecError(
                f"data.{key}",
                f"missing; give it in the cells file (per cell or on z) or as a number ({units[key]})",
            )
    lithologies = _names(
        "switches.lithology",
        switches.get("lithology", cells.attrs.get("lithology", "spinel_lherzolite")),
        list(list_lithologies().index),
        "lithology",
    )
    liquids = _names("switches.liquid", switches.get("liquid", list(LIQUIDS)), LIQUIDS, "liquid")
    options = tuple((r, q) for r in lithologies for q in liquids)
    priors = merge_priors(DEFAULT_PRIORS, spec.section("priors"))
    _check_priors(priors)
    method = {"auto": "map" if variant in GAUSSIAN else "nuts"}.get(
        spec.inference.method, spec.inference.method
    )
    if method not in ("map", "nuts"):
        raise SpecError(
            "inference.method", f"{method!r} is not available for geofluid.field; expected auto, map or nuts"
        )
    if method == "map" and variant not in GAUSSIAN:
        raise SpecError(
            "inference.method",
            f"map (the Laplace fast path) needs a Gaussian variant {list(GAUSSIAN)}; use nuts for {variant}",
        )
    latent = spec.inference.latent
    if latent == "auto":  # EP where it is measured better than Laplace: smoothness priors, two fields
        latent = "ep" if variant in ("gmrf", "gmrf2") and "conductivity" not in cells else "laplace"
    if latent == "ep" and variant == "independent":
        raise SpecError("inference.latent", "ep needs a smoothness prior (gmrf or gmrf2); use laplace")
    if variant not in GAUSSIAN and len(options) > 1:
        raise SpecError(
            "switches.liquid" if len(liquids) > 1 else "switches.lithology",
            f"the {variant} variant has no evidence to weigh options; fix one lithology and one liquid",
        )
    physics = {
        "salinity": number("data.salinity", data.get("salinity", 5.0), low=0.0, high=30.0, unit="wt% NaCl"),
        "solid_conductivity": number(
            "data.solid_conductivity", data.get("solid_conductivity", 1e-3), low=0.0, strict=True, unit="S/m"
        ),
        "fluid_law": choice(
            "data.fluid_law", data.get("fluid_law", "sinmyo_keppler_2017"), list(FLUID_CONDUCTIVITY_LAWS)
        ),
        "melt_law": choice(
            "data.melt_law", data.get("melt_law", "tyburczy_waff_1983"), list(MELT_CONDUCTIVITY_LAWS)
        ),
    }
    consts = {}
    for lith, liq in options:
        try:
            consts[lith, liq] = constants(
                lith, liq, cells["pressure"].values, cells["temperature"].values, **physics
            )
        except ValueError as exc:
            raise SpecError("data.cells", f"pressure/temperature outside the physics: {exc}") from None
    return Problem(cells, variant, priors, method, options, consts, latent=latent)


# --- fitting -------------------------------------------------------------------------------------------


def _laplace(
    problem: Problem, option: tuple[str, str]
) -> tuple[fl.LaplaceResult, fl.CellLikelihood, fl.FieldPrior]:
    y, sd = problem.observations()
    lik = cell_likelihood(y, sd, problem.constants[option], problem.observed)
    variant = problem.variant if problem.variant in GAUSSIAN else "gmrf"
    prior = field_prior(problem.shape, variant, problem.priors, problem.n_fields)
    hyper = [prior_logp(problem.priors[f"tau_{f}"]) for f in FIELDS[: prior.n_hyper]]
    eta0 = np.repeat(prior.mean[:, None], prior.n_cells, axis=1)
    hyper_logp = [lambda t, h=h: float(h(t)[0]) for h in hyper]
    result = fl.integrate(lik, prior, hyper_logp, eta0, latent=problem.latent)
    return result, lik, prior


def _grid_coords(problem: Problem) -> dict[str, xr.DataArray]:
    return {d: problem.cells[d] for d in problem.dims}


def _field_dataset(eta: np.ndarray, coords: dict, chains: int) -> xr.Dataset:
    """Draws ``(n, F, N)`` of logit fields -> ``porosity``, ``aspect_ratio``, ... on (chain, draw, *grid)."""
    n, n_fields = eta.shape[:2]
    shape = (chains, n // chains, *(len(v) for v in coords.values()))
    dims = ("chain", "draw", *coords)
    out = {}
    for i, f in enumerate(FIELDS[:n_fields]):
        value = sigmoid(eta[:, i]).reshape(shape)
        out[f] = (dims, value)
        if f != "porosity":
            out[f"log10_{f}"] = (dims, np.log10(value))
    return xr.Dataset(out, coords=coords | {"chain": np.arange(chains), "draw": np.arange(shape[1])})


def _hyper_attrs(ds: xr.Dataset) -> xr.Dataset:
    for name in [v for v in ds.data_vars if v.startswith("tau_")]:
        ds[name].attrs.update(units="1", long_name=f"smoothness scale of logit {name.removeprefix('tau_')}")
    return ds


def _thin(n_cells: int, n_draws: int) -> int:
    return max(1, math.ceil(n_cells * n_draws / FIELD_VALUES))


def _fit_laplace(problem: Problem, settings: Inference, fits: dict, p: np.ndarray, rng: np.random.Generator):
    """Hyperparameter draws, thinned joint field draws per option, exact mixture summaries of the fields."""
    chains = settings.chains
    draws = min(settings.draws, 250) if settings.quick else settings.draws
    stride = _thin(int(np.prod(problem.shape)), chains * draws)
    hyper, fields = [], []
    for result, lik, prior in fits.values():
        idx, theta = fl.sample_theta(result, chains * draws, rng)
        hyper.append(_hyper_dataset(np.exp(theta).reshape(chains, draws, -1), prior.n_hyper))
        pick = idx.reshape(chains, draws)[:, ::stride].ravel()
        eta = fl.sample_eta(result, pick, lik, prior, rng)
        fields.append(_field_dataset(eta, _grid_coords(problem), chains))
    which = rng.choice(len(fits), size=(chains, draws), p=p)
    hyper_all = _hyper_attrs(_pool(hyper, which))
    thinned = hyper_all.isel(draw=slice(None, None, stride))
    post = xr.merge([thinned.assign_coords(draw=fields[0]["draw"]), _pool(fields, which[:, ::stride])])
    mean = np.concatenate([r.mean for r, _, _ in fits.values()])
    var = np.concatenate([r.var for r, _, _ in fits.values()])
    weight = np.concatenate([pi * r.weight for pi, (r, _, _) in zip(p, fits.values(), strict=True)])
    summary = [summarize(hyper_all)]
    for i, f in enumerate(FIELDS[: problem.n_fields]):
        transforms = {f: sigmoid} | (
            {} if f == "porosity" else {f"log10_{f}": lambda e: np.log10(sigmoid(e))}
        )
        for name, fn in transforms.items():
            m, s, (q05, q95) = fl.mixture_summary(mean[:, i], var[:, i], weight, fn)
            summary.append(_grid_summary(name, (m, s, q05, q95), problem))
    return post, xr.merge(summary), fields, {}


def _whitening(fit: tuple) -> tuple[np.ndarray, np.ndarray] | None:
    """``(center, A)`` with ``A A' = H^-1`` at the most probable grid node (dense; small sections only)."""
    result, lik, prior = fit
    k = int(np.argmax(result.weight))
    if result.mean[k].size > WHITEN_MAX:
        return None
    return whitening_at(lik, prior, np.exp(result.theta[k]), result.mean[k])


def whitening_at(
    lik: fl.CellLikelihood, prior: fl.FieldPrior, tau: np.ndarray, eta0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(center, A)``: the latent mode given ``tau`` (Newton from ``eta0``) flattened, and ``A`` with
    ``A A' = H^-1`` (dense)."""
    mode = fl.latent_mode(lik, prior, tau, eta0)
    cov = mode.factor.solve(np.eye(mode.eta.size))
    return mode.eta.ravel(), np.linalg.cholesky(0.5 * (cov + cov.T))


def _fit_nuts(problem: Problem, settings: Inference, fits: dict, p: np.ndarray, rng: np.random.Generator):
    """NUTS per option (those more probable than :data:`P_MIN`), pooled by the option probabilities.

    Gaussian variants are whitened by their Laplace approximation; ``tv`` by that of ``gmrf``.
    """
    y, sd = problem.observations()
    obs = {k: v.reshape(problem.shape) for k, v in zip(OUTPUTS, y, strict=False)}
    sds = {k: v.reshape(problem.shape) for k, v in zip(OUTPUTS, sd, strict=False)}
    fields, stats = [], {}
    for k, option in enumerate(problem.options):
        if p[k] < P_MIN:
            fields.append(None)
            continue
        whiten = _whitening(fits[option] if option in fits else _laplace(problem, option))
        model = build_model(
            obs,
            sds,
            problem.constants[option],
            problem.variant,
            problem.priors,
            _grid_coords(problem),
            whiten,
            None if problem.observed is None else problem.observed.reshape(problem.shape),
        )
        tree = inference.fit(model, settings, "nuts")
        post = tree["posterior"].to_dataset()
        fields.append(post.drop_vars([v for v in post.data_vars if v == "xi" or v.startswith("eta_")]))
        stats[option] = tree["sample_stats"].to_dataset()
    keep = [i for i, d in enumerate(fields) if d is not None]
    first = fields[keep[0]]
    chains, draws = first.sizes["chain"], first.sizes["draw"]
    which = rng.choice(len(keep), size=(chains, draws), p=p[keep] / p[keep].sum())
    full = _hyper_attrs(_pool([fields[i] for i in keep], which))
    stride = _thin(int(np.prod(problem.shape)), chains * draws)
    post = full.isel(draw=slice(None, None, stride))
    post = post.assign_coords(draw=np.arange(post.sizes["draw"]))
    best = problem.options[int(np.argmax(p))]
    return post, summarize(full), fields, {"sample_stats": stats[best]}


def _hyper_dataset(tau: np.ndarray, n_hyper: int) -> xr.Dataset:
    return xr.Dataset(
        {f"tau_{f}": (("chain", "draw"), tau[..., i]) for i, f in enumerate(FIELDS[:n_hyper])},
        coords={"chain": np.arange(tau.shape[0]), "draw": np.arange(tau.shape[1])},
    )


def _pool(datasets: list[xr.Dataset], which: np.ndarray) -> xr.Dataset:
    """Draw ``(c, d)`` of the result comes from dataset ``which[c, d]`` (a mixture over switch options)."""
    out = datasets[0]
    mask = xr.DataArray(which, dims=("chain", "draw"))
    for k, ds in enumerate(datasets[1:], start=1):
        out = xr.where(mask == k, ds, out, keep_attrs=True)
    return out


def _grid_summary(name: str, stats: tuple, problem: Problem) -> xr.Dataset:
    values = dict(zip((name, f"{name}_sd", f"{name}_q05", f"{name}_q95"), stats, strict=True))
    return xr.Dataset(
        {k: (problem.dims, np.reshape(v, problem.shape)) for k, v in values.items()},
        coords=_grid_coords(problem),
    )


def _prediction(fields: xr.Dataset, c: Constants) -> list[np.ndarray]:
    """Posterior mean of the predicted observations over the draws of one option (flattened cells)."""
    stacked = fields.stack(sample=("chain", "draw"), cell=list(fields[FIELDS[0]].dims[2:]))
    eta = [
        np.log(v / (1 - v))
        for v in (stacked[f].transpose("sample", "cell").values for f in FIELDS if f in fields)
    ]
    return [np.mean(v, axis=0) for v in predict(eta, c)]


@dataclass(frozen=True)
class Posterior:
    """A fit of every switch option: Laplace log evidence and probability per option (NaN / 1 when one
    option is sampled by NUTS alone), the Laplace fits, the pooled ``/posterior`` draws and ``/summary``,
    the draws of each option's fields (``None`` for options too improbable to sample) and extra groups."""

    log_evidence: np.ndarray
    p: np.ndarray
    fits: dict
    draws: xr.Dataset
    summary: xr.Dataset
    fields: list[xr.Dataset | None]
    extra: dict


def posterior(problem: Problem, settings: Inference, rng: np.random.Generator) -> Posterior:
    """Weigh the options by their Laplace evidence (when needed) and fit them by the problem's method."""
    options = problem.options
    log_ev = np.full(len(options), np.nan)
    fits = {}
    if problem.method == "map" or len(options) > 1:
        fits = {o: _laplace(problem, o) for o in options}
        log_ev = np.array([fits[o][0].log_evidence for o in options])
        p = np.exp(log_ev - logsumexp(log_ev))
    else:
        p = np.ones(1)
    method = _fit_laplace if problem.method == "map" else _fit_nuts
    return Posterior(log_ev, p, fits, *method(problem, settings, fits, p, rng))


def fit(problem: Problem, settings: Inference) -> xr.DataTree:
    """Fit one section; returns ``/posterior``, ``/summary``, ``/observed_data``, ``/prediction``,
    ``/posterior_predictive`` and (Gaussian variants) ``/prior_predictive`` (replicated data, a few draws),
    ``/evidence`` (Laplace log evidence per option), ``/reference`` (truth, when known) and attributes."""
    options = problem.options
    res = posterior(problem, settings, np.random.default_rng(settings.seed))
    p = res.p
    y, _ = problem.observations()
    used = [k for k, f in enumerate(res.fields) if f is not None]
    pred = [
        sum(p[k] * _prediction(res.fields[k], problem.constants[options[k]])[j] for k in used) / p[used].sum()
        for j in range(len(y))
    ]
    coords = _grid_coords(problem)
    lith = list(dict.fromkeys(o[0] for o in options))
    liq = list(dict.fromkeys(o[1] for o in options))
    p2 = p.reshape(len(lith), len(liq))
    summary = xr.merge(
        [
            res.summary,
            switch_probabilities("lithology", lith, p2.sum(1)),
            switch_probabilities("liquid", liq, p2.sum(0)),
        ]
    )
    cells = problem.cells
    observed = [
        v for v in ("vp", "vs", "conductivity", "vp_sd", "vs_sd", "log10_conductivity_sd") if v in cells
    ]
    rng = np.random.default_rng([settings.seed, 1])  # replicated data: a stream of their own
    n_rep = max(1, min(100, PREDICTIVE_VALUES // int(np.prod(problem.shape))))
    groups = {
        "posterior": res.draws,
        "summary": summary,
        "observed_data": cells[observed + ["pressure", "temperature"]],
        "prediction": xr.Dataset(
            {
                k: (
                    problem.dims,
                    v.reshape(problem.shape),
                    {"long_name": f"posterior mean prediction of {k}"},
                )
                for k, v in zip(OUTPUTS, pred, strict=False)
            },
            coords=coords,
        ),
        "posterior_predictive": posterior_predictive(problem, res, n_rep, rng),
        "evidence": xr.Dataset(
            {
                "log_evidence": (
                    ("lithology", "liquid"),
                    res.log_evidence.reshape(p2.shape),
                    {"long_name": "Laplace approximation of log p(data | lithology, liquid)"},
                )
            },
            coords={"lithology": lith, "liquid": liq},
        ),
        **res.extra,
    }
    if problem.variant in GAUSSIAN:
        groups["prior_predictive"] = prior_predictive(problem, n_rep, rng)
    attrs = {
        "case": "geofluid.field",
        "variant": problem.variant,
        "inference_method": problem.method,
        "n_cells": int(np.prod(problem.shape)),
    }
    if problem.method == "map":
        fits = [r for r, _, _ in res.fits.values()]
        attrs["hyper_grid_edge_mass"] = max(r.edge_mass for r in fits)
        attrs["latent_approximation"] = ", ".join(dict.fromkeys(r.latent for r in fits))
        if problem.latent == "ep":  # EP at the design nodes: all converged (1/0), sweeps, cells fallen back
            attrs["ep_converged"] = int(all(r.ep_converged for r in fits))
            attrs["ep_sweeps"] = int(sum(r.ep_sweeps for r in fits))
            attrs["ep_fallback_cells"] = int(max(r.ep_fallback for r in fits))
    truth = [f"{f}_true" for f in FIELDS[: problem.n_fields] if f"{f}_true" in cells]
    if truth:
        groups["reference"] = xr.Dataset({t.removesuffix("_true"): cells[t] for t in truth})
        attrs |= scores(summary, groups["reference"])
    tree = xr.DataTree.from_dict(groups)
    tree.attrs.update(attrs)
    return tree


# --- replicated data: prior and posterior predictive, prior simulation (SBC) ----------------------------


def prior_fields(prior: fl.FieldPrior, shape: tuple[int, ...], tau: np.ndarray, rng) -> np.ndarray:
    """One exact draw ``(F, N)`` of the logit fields from a Gaussian field prior at smoothness scales ``tau``
    (logit units; by the DCT, level ridge included)."""
    if prior.structure is None:
        z = rng.standard_normal((prior.n_fields, prior.n_cells))
        return prior.mean[:, None] + z / np.sqrt(prior.ridge)[:, None]
    g = prior.spectrum.reshape(shape)
    return np.stack(
        [
            m + gmrf.prior_draw(shape, g / t**2 + k, 1.0, rng).ravel()
            for m, t, k in zip(prior.mean, tau, prior.ridge, strict=True)
        ]
    )


def _draw_tau(problem: Problem, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws ``(n, F)`` of the smoothness scales from their priors (``(n, 0)`` for ``independent``)."""
    names = [f"tau_{f}" for f in FIELDS[: problem.n_fields]] if problem.variant != "independent" else []
    draws = [
        pm.draw(problem.priors[k].pymc_distribution.dist(**problem.priors[k].parameters), n, random_seed=rng)
        for k in names
    ]
    return np.reshape(np.transpose(draws), (n, len(names)))


def replicate(problem: Problem, eta: np.ndarray, option: tuple[str, str], rng) -> np.ndarray:
    """Data ``(K, N)`` (km/s; log10 S/m) from logit fields ``(F, N)``: forward model + observation noise."""
    _, sd = problem.observations()
    return np.stack(predict(list(eta), problem.constants[option])) + sd * rng.standard_normal(sd.shape)


def _replicated(problem: Problem, data: np.ndarray, name: str) -> xr.Dataset:
    """Replicated data ``(n, K, N)`` as a Dataset on ``(chain, draw, *grid)`` with units."""
    units = {"vp": "km s-1", "vs": "km s-1", "log10_conductivity": "1"}
    shape = (1, data.shape[0], *problem.shape)
    return xr.Dataset(
        {
            k: (
                ("chain", "draw", *problem.dims),
                data[:, i].reshape(shape),
                {"units": units[k], "long_name": f"{name} {k}"},
            )
            for i, k in enumerate(OUTPUTS[: data.shape[1]])
        },
        coords=_grid_coords(problem) | {"chain": [0], "draw": np.arange(data.shape[0])},
    )


def prior_predictive(problem: Problem, n: int, rng: np.random.Generator) -> xr.Dataset:
    """``n`` data sets replicated from the prior (Gaussian variants): an option at random (equal odds), the
    smoothness scales from their priors, the fields from the field prior, data by forward model + noise."""
    prior = field_prior(problem.shape, problem.variant, problem.priors, problem.n_fields)
    taus = _draw_tau(problem, n, rng)
    data = []
    for tau in taus:
        option = problem.options[rng.integers(len(problem.options))]
        data.append(replicate(problem, prior_fields(prior, problem.shape, tau, rng), option, rng))
    return _replicated(problem, np.stack(data), "prior predictive")


def posterior_predictive(problem: Problem, res: Posterior, n: int, rng: np.random.Generator) -> xr.Dataset:
    """``n`` data sets replicated from posterior draws of the fields (options mixed by their probability)."""
    used = [k for k, f in enumerate(res.fields) if f is not None]
    which = rng.choice(used, size=n, p=res.p[used] / res.p[used].sum())
    data = []
    for k in which:
        f = res.fields[k].stack(sample=("chain", "draw")).transpose("sample", ...)
        v = [f[name].values[rng.integers(f.sizes["sample"])].ravel() for name in FIELDS if name in f]
        data.append(replicate(problem, np.log(v) - np.log1p(-np.asarray(v)), problem.options[k], rng))
    return _replicated(problem, np.stack(data), "posterior predictive")


def simulate_prior(problem: Problem, rng: np.random.Generator) -> tuple[Problem, dict[str, float]]:
    """A section drawn from the prior for SBC: smoothness scales from their priors, an option at random,
    the fields from the GMRF prior and data by the forward model + noise. Truth: the ``tau_<field>``."""
    if problem.variant not in ("gmrf", "gmrf2"):
        raise SpecError(
            "model.variant", f"calibration needs a smoothness scale (gmrf or gmrf2), got {problem.variant!r}"
        )
    prior = field_prior(problem.shape, problem.variant, problem.priors, problem.n_fields)
    tau = _draw_tau(problem, 1, rng)[0]
    option = problem.options[rng.integers(len(problem.options))]
    eta = prior_fields(prior, problem.shape, tau, rng)
    y = replicate(problem, eta, option, rng).reshape(-1, *problem.shape)
    values = {"vp": y[0], "vs": y[1]} | ({"conductivity": 10 ** y[2]} if problem.n_fields == 3 else {})
    values |= {f"{f}_true": sigmoid(e).reshape(problem.shape) for f, e in zip(FIELDS, eta, strict=False)}
    cells = problem.cells.assign(
        {
            k: (problem.dims, v, dict(zip(("units", "long_name"), ATTRS[k], strict=True)))
            for k, v in values.items()
        }
    )
    return replace(problem, cells=cells), {f"tau_{f}": float(t) for f, t in zip(FIELDS, tau, strict=False)}


def has_exact_evidence(problem: Problem, settings: Inference) -> bool:
    """False: the field's log evidence is a Laplace approximation, so priors compare by held-out score."""
    return False


def scores(summary: xr.Dataset, truth: xr.Dataset) -> dict[str, float]:
    """RMSE of the posterior mean (porosity; log10 aspect ratios) and 90 % interval coverage of the truth."""
    out = {}
    for f, t in truth.data_vars.items():
        name = f if f == "porosity" else f"log10_{f}"
        ref = t if f == "porosity" else np.log10(t)
        out[f"rmse_{name}"] = float(np.sqrt(((summary[name] - ref) ** 2).mean()))
        inside = (summary[f"{f}_q05"] <= t) & (t <= summary[f"{f}_q95"])
        out[f"coverage90_{f}"] = float(inside.mean())
    return out


def figures(tree: xr.DataTree) -> dict:
    """Figure factories saved by the CLI next to ``result.nc``."""
    from bayesgeo.geofluid import field_plots as plots

    out = {
        "field_maps": lambda: plots.maps(tree).flat[0].figure,
        "field_data_fit": lambda: plots.data_fit(tree).flat[0].figure,
    }
    if any(v.startswith("tau_") for v in tree["posterior"].data_vars):
        out["field_smoothness"] = lambda: plots.smoothness(tree).flat[0].figure
    if "prior_predictive" in tree.children:
        out["field_prior_predictive"] = lambda: plots.prior_predictive(tree).flat[0].figure
    return out


def demo_spec() -> dict:
    """The quick built-in example: a small NE-Japan-like section, first-order GMRF, both liquids weighed."""
    return {
        "model": {"case": "geofluid.field", "variant": "gmrf"},
        "data": {"cells": "builtin:ne_japan_small"},
        "switches": {"lithology": "spinel_lherzolite", "liquid": ["aqueous", "melt"]},
        "inference": {"method": "map", "seed": 1, "draws": 200},
    }
