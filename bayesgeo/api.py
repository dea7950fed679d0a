"""The Python side of the public contract: ``fit_spec`` (and ``compare``), mapping specs onto case studies."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayesgeo.io import provenance
from bayesgeo.spec import choice, get_case, integer, load_spec, number


def fit_spec(spec: str | Path | dict, **overrides: Any) -> xr.DataTree:
    """Fit the model a TOML spec (path or dict of the same shape) describes; returns the result tree.

    ``overrides`` use dotted keys, e.g. ``fit_spec("m.toml", **{"inference.draws": 200})``. The tree holds
    ``/posterior``, ``/summary`` (mean, ``_sd``, ``_q05``, ``_q95`` of every inferred variable and
    ``p_<switch>``
    for every switch) and the root attributes ``bayesgeo_version``, ``spec``, ``seed``, ``wall_time_s``.
    Bad input raises :class:`bayesgeo.errors.SpecError` before any work is done.
    """
    s = load_spec(spec, overrides)
    case = get_case(s.case)
    problem = case.prepare(s)
    start = time.perf_counter()
    tree = case.fit(problem, s.inference)
    tree.attrs.update(provenance())
    tree.attrs.update(spec=s.text, seed=s.inference.seed, wall_time_s=round(time.perf_counter() - start, 3))
    return tree


SCORES = ("auto", "evidence", "heldout", "loo")


def compare(
    specs: list[str | Path | dict],
    *,
    score: str = "auto",
    vary: dict[str, list] | None = None,
    holdout: float = 0.05,
    holdout_seed: int = 0,
    **overrides: Any,
) -> pd.DataFrame:
    """Fit several specs (or one spec with one value swapped) on the same data and rank them, best first.

    ``vary`` compares each spec against itself with dotted keys swapped, e.g.
    ``compare(["m.toml"], vary={"model.variant": ["gmrf", "gmrf2", "car"]})``; several keys give every
    combination. String values are parsed as TOML literals, as overrides are. Rows are named ``KEY=VALUE``
    (``stem[KEY=VALUE]`` with several specs), else by the spec file's stem.

    ``score`` chooses how (``table.attrs["method"]`` says which was used, ``table.attrs["score"]`` its name):

    * ``"evidence"``: exact log evidence ``log p(y)`` (nats), which every result must carry. Valid only for
      the same data and proper priors on whatever differs; exact for the Gaussian/quadrature cases. Columns
      ``log_evidence``, ``delta`` and ``probability`` (equal prior odds).
    * ``"heldout"``: held-out predictive score. A fraction ``holdout`` of the data points (random, seed
      ``holdout_seed``, the same points for every spec) is held out, each model is fitted to the rest and
      scored by ``sum_i log p(y_i | y_observed)`` over the held-out points (nats), with standard errors and
      paired differences (columns of :func:`bayesgeo.heldout.score_table`). For models with a latent value
      per data point (images, fields). The case must provide ``heldout_score(problem, settings, holdout)``.
    * ``"loo"``: PSIS-LOO (:func:`bayesgeo.heldout.psis_loo`) from one full-data fit per spec, whose result
      must hold a pointwise ``/log_likelihood`` group; the same columns plus ``p_loo``, ``pareto_k_max`` and
      ``n_high_k``. For a few global parameters and exchangeable observations (``drift.source``
      sightings); unreliable when each datum has its own latent (high Pareto k, said in the method text).
    * ``"auto"``: evidence when every case says its fit yields one (``has_exact_evidence(problem,
      settings)`` true), else held-out when every case provides ``heldout_score``, else PSIS-LOO.

    ``overrides`` (dotted keys) apply to every spec. Bad input raises :class:`~bayesgeo.errors.SpecError`
    before any fit.
    """
    from bayesgeo.errors import SpecError
    from bayesgeo.heldout import Holdout, score_table

    choice("compare.score", score, SCORES)
    holdout = Holdout(
        number("compare.holdout", holdout, low=0.0, high=0.5, strict=True),
        integer("compare.holdout_seed", holdout_seed, minimum=0),
    )
    names, loaded = _expand(specs, vary or {}, overrides)
    cases = [get_case(s.case) for s in loaded]
    problems = [c.prepare(s) for c, s in zip(cases, loaded, strict=True)]
    says = [getattr(c, "has_exact_evidence", None) for c in cases]
    exact = [f is not None and f(p, s.inference) for f, p, s in zip(says, problems, loaded, strict=True)]
    if score == "auto":
        heldout = all(hasattr(c, "heldout_score") for c in cases)
        score = "evidence" if all(exact) else "heldout" if heldout else "loo"
    if score in ("evidence", "loo"):
        maybe = [f is None or e for f, e in zip(says, exact, strict=True)]  # false: the case says "none"
        if score == "evidence" and not all(maybe):
            raise SpecError(
                "compare",
                f"no exact evidence for {_listed(names, maybe)}; compare by held-out score (--score heldout)",
            )
        trees, times = _fit_all(cases, problems, loaded)
        table = _evidence_table(names, trees) if score == "evidence" else _loo_table(names, trees, times)
        table.attrs["score"] = score
        return table
    missing = sorted({s.case for c, s in zip(cases, loaded, strict=True) if not hasattr(c, "heldout_score")})
    if missing:
        raise SpecError("compare", f"case {', '.join(missing)} has no held-out score; try --score loo")
    scores = [
        c.heldout_score(p, s.inference, holdout) for c, p, s in zip(cases, problems, loaded, strict=True)
    ]
    try:
        table = score_table(names, scores)
    except ValueError as exc:
        raise SpecError("compare", str(exc)) from None
    table.attrs["score"] = "heldout"
    table.attrs["method"] = (
        f"held-out predictive score: {scores[0].sizes['heldout']} points ({holdout.fraction:g} of the data, "
        f"seed {holdout.seed}) held out, the same for every spec; elpd = sum of log p(y_i | y_observed) over "
        "them (nats, Monte Carlo over posterior draws), se = sqrt(n var) over points, delta_se from the "
        "paired pointwise differences"
    )
    return table


def _expand(specs: list, vary: dict[str, list], overrides: dict[str, Any]) -> tuple[list[str], list]:
    """Row names and loaded specs: every spec with every combination of the ``vary`` values."""
    from bayesgeo.errors import SpecError

    for key, values in vary.items():
        if not isinstance(key, str) or not key or not isinstance(values, list | tuple) or not values:
            raise SpecError("compare.vary", f"expected KEY = [V1, V2, ...], got {key!r} = {values!r}")
    combos = [dict(zip(vary, v, strict=True)) for v in itertools.product(*vary.values())]
    names, loaded = [], []
    for i, spec in enumerate(specs):
        stem = f"spec{i}" if isinstance(spec, dict) else Path(spec).stem
        for combo in combos:
            label = ", ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in combo.items())
            names.append(stem if not combo else label if len(specs) == 1 else f"{stem}[{label}]")
            loaded.append(load_spec(spec, overrides | combo))
    return names, loaded


def _fit_all(cases: list, problems: list, loaded: list) -> tuple[list[xr.DataTree], list[float]]:
    """Fit every problem on its full data; returns the result trees and wall times (s)."""
    trees, times = [], []
    for c, p, s in zip(cases, problems, loaded, strict=True):
        start = time.perf_counter()
        trees.append(c.fit(p, s.inference))
        times.append(time.perf_counter() - start)
    return trees, times


def _listed(names: list[str], ok: list[bool]) -> str:
    """The names whose flag is false, comma-separated."""
    return ", ".join(n for n, good in zip(names, ok, strict=True) if not good)


def _evidence_table(names: list[str], trees: list[xr.DataTree]) -> pd.DataFrame:
    """Rank fitted results by their exact log evidence (``SpecError`` when one has none)."""
    from bayesgeo.errors import SpecError

    ev = np.array([float(t.attrs.get("log_evidence", np.nan)) for t in trees])
    if not np.all(np.isfinite(ev)):
        missing = _listed(names, np.isfinite(ev))
        raise SpecError(
            "compare", f"no exact evidence for {missing}; compare by held-out score (--score heldout)"
        )
    table = pd.DataFrame(
        {"variant": [t.attrs.get("variant") for t in trees], "log_evidence": ev},
        index=pd.Index(names, name="spec"),
    )
    table["delta"] = table["log_evidence"] - table["log_evidence"].max()
    table["probability"] = np.exp(table["delta"]) / np.exp(table["delta"]).sum()
    table = table.sort_values("log_evidence", ascending=False)
    how = sorted({str(t.attrs.get("log_evidence_method", "quadrature")) for t in trees})
    table.attrs["method"] = f"exact log evidence ({'; '.join(how)}; equal prior odds)"
    return table


def _loo_table(names: list[str], trees: list[xr.DataTree], times: list[float]) -> pd.DataFrame:
    """Rank fitted results by PSIS-LOO (``SpecError`` when one has no pointwise log-likelihood)."""
    from bayesgeo.errors import SpecError
    from bayesgeo.heldout import psis_loo, score_table

    has = ["log_likelihood" in t.children for t in trees]
    if not all(has):
        raise SpecError(
            "compare",
            f"{_listed(names, has)} has no pointwise log-likelihood; PSIS-LOO needs a /log_likelihood group "
            "in the fit's result (compare by --score evidence or --score heldout where the case has one)",
        )
    scores = []
    for t, s in zip(trees, times, strict=True):
        lpd = psis_loo(t)
        method = t.attrs.get("inference_method", "")
        lpd.attrs |= {"variant": t.attrs.get("variant", ""), "time_s": round(s, 3)}
        lpd.attrs["hyperparameters"] = f"full data ({method})" if method else "full data"
        scores.append(lpd)
    extra = {k: [s.attrs[k] for s in scores] for k in ("p_loo", "pareto_k_max", "n_high_k")}
    try:
        table = score_table(names, scores, **extra)
    except ValueError as exc:
        raise SpecError("compare", str(exc)) from None
    good_k = min(s.attrs["good_k"] for s in scores)
    n_obs = scores[0].sizes["observation"]
    counts = zip(names, extra["n_high_k"], strict=True)
    high = ", ".join(f"{k} of {n_obs} points in {n}" for n, k in counts if k)
    reliability = (
        f"WARNING: Pareto k > {good_k:.2f} at {high}: there the estimate is unreliable (the datum moves its "
        "posterior too much; use --score heldout if the case has it, or more draws)"
        if high
        else f"all Pareto k <= {good_k:.2f} (reliable)"
    )
    table.attrs["method"] = (
        "PSIS-LOO (arviz.loo: Pareto-smoothed importance sampling of each full-data fit's posterior draws) "
        f"over {n_obs} observations: elpd = sum of log p(y_i | y_-i) (nats), "
        f"se = sqrt(n var) over points, delta_se from the paired pointwise differences; {reliability}"
    )
    return table


def calibrate(
    spec: str | Path | dict, n: int = 100, n_ranks: int = 99, progress: bool = False, **overrides: Any
) -> xr.Dataset:
    """Simulation-based calibration of a spec's model: ranks of prior-drawn truths among posterior draws.

    Uses the spec's data shape, priors and inference settings; the case must provide ``simulate_prior``,
    and may provide ``posterior_only(problem)`` to skip work SBC does not use (predictive simulations).
    Returns ranks per hyperparameter on dim ``replication`` (see :mod:`bayesgeo.calibration`).
    """
    from bayesgeo.calibration import sbc
    from bayesgeo.errors import SpecError

    s = load_spec(spec, overrides)
    case = get_case(s.case)
    if not hasattr(case, "simulate_prior"):
        raise SpecError("model.case", f"case {s.case!r} does not support simulation-based calibration yet")
    problem = getattr(case, "posterior_only", lambda p: p)(case.prepare(s))
    settings = s.inference
    _, truth0 = case.simulate_prior(problem, np.random.default_rng(0))
    params = sorted(truth0)

    def refit(data, seed):
        return case.fit(data, replace(settings, seed=seed))["posterior"].to_dataset()

    return sbc(
        lambda rng: case.simulate_prior(problem, rng), refit, params, n, n_ranks, settings.seed, progress
    )
