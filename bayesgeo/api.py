"""The Python side of the public contract: ``fit_spec`` (and ``compare``), mapping specs onto case studies."""

from __future__ import annotations

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


SCORES = ("auto", "evidence", "heldout")


def compare(
    specs: list[str | Path | dict],
    *,
    score: str = "auto",
    holdout: float = 0.05,
    holdout_seed: int = 0,
    **overrides: Any,
) -> pd.DataFrame:
    """Fit several specs on the same data and rank them; returns a ``pandas.DataFrame``, best first.

    ``score`` chooses how (``table.attrs["method"]`` says which was used):

    * ``"evidence"``: exact log evidence, which every result must carry (Gaussian models with hyperparameters
      integrated by quadrature, all with the same null space); columns ``log_evidence``, ``delta`` and
      ``probability`` (equal prior odds).
    * ``"heldout"``: held-out predictive score. A fraction ``holdout`` of the data points (random, seed
      ``holdout_seed``, the same points for every spec) is held out, each model is fitted to the rest and
      scored by ``sum_i log p(y_i | y_observed)`` over the held-out points, with standard errors and paired
      differences (columns of :func:`bayesgeo.heldout.score_table`). The case must provide
      ``heldout_score(problem, settings, holdout)``.
    * ``"auto"``: evidence when every case says its fit yields one (``has_exact_evidence(problem,
      settings)``; assumed when a case does not say), otherwise held-out.

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
    loaded = [load_spec(s, overrides) for s in specs]
    cases = [get_case(s.case) for s in loaded]
    problems = [c.prepare(s) for c, s in zip(cases, loaded, strict=True)]
    names = [Path(s).stem if not isinstance(s, dict) else f"spec{i}" for i, s in enumerate(specs)]
    exact = [
        getattr(c, "has_exact_evidence", lambda p, i: True)(p, s.inference)
        for c, p, s in zip(cases, problems, loaded, strict=True)
    ]
    if score == "auto":
        score = "evidence" if all(exact) else "heldout"
    if score == "evidence":
        if not all(exact):
            raise SpecError(
                "compare",
                f"no exact evidence for {_listed(names, exact)}; compare by held-out score (--score heldout)",
            )
        trees = [c.fit(p, s.inference) for c, p, s in zip(cases, problems, loaded, strict=True)]
        return _evidence_table(names, trees)
    missing = sorted({s.case for c, s in zip(cases, loaded, strict=True) if not hasattr(c, "heldout_score")})
    if missing:
        raise SpecError("compare", f"case {', '.join(missing)} has no held-out score; compare by evidence")
    scores = [
        c.heldout_score(p, s.inference, holdout) for c, p, s in zip(cases, problems, loaded, strict=True)
    ]
    try:
        table = score_table(names, scores)
    except ValueError as exc:
        raise SpecError("compare", str(exc)) from None
    table.attrs["method"] = (
        f"held-out predictive score: {scores[0].sizes['heldout']} points ({holdout.fraction:g} of the data, "
        f"seed {holdout.seed}) held out, the same for every spec; elpd = sum of log p(y_i | y_observed) over "
        "them (nats, Monte Carlo over posterior draws), se = sqrt(n var) over points, delta_se from the "
        "paired pointwise differences"
    )
    return table


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
    table.attrs["method"] = "exact log evidence (hyperparameters integrated by quadrature; equal prior odds)"
    return table


def calibrate(
    spec: str | Path | dict, n: int = 100, n_ranks: int = 99, progress: bool = False, **overrides: Any
) -> xr.Dataset:
    """Simulation-based calibration of a spec's model: ranks of prior-drawn truths among posterior draws.

    Uses the spec's data shape, priors and inference settings; the case must provide ``simulate_prior``.
    Returns ranks per hyperparameter on dim ``replication`` (see :mod:`bayesgeo.calibration`).
    """
    from bayesgeo.calibration import sbc
    from bayesgeo.errors import SpecError

    s = load_spec(spec, overrides)
    case = get_case(s.case)
    if not hasattr(case, "simulate_prior"):
        raise SpecError("model.case", f"case {s.case!r} does not support simulation-based calibration yet")
    problem = case.prepare(s)
    settings = s.inference
    _, truth0 = case.simulate_prior(problem, np.random.default_rng(0))
    params = sorted(truth0)

    def refit(data, seed):
        return case.fit(data, replace(settings, seed=seed))["posterior"].to_dataset()

    return sbc(
        lambda rng: case.simulate_prior(problem, rng), refit, params, n, n_ranks, settings.seed, progress
    )
