"""Synthetic recovery study for ``geofluid.point``: seeded truths from the prior, varied noise, refits.

Each case draws (lithology, liquid, phi, alpha, alpha_ec) from the priors
(:func:`bayesgeo.geofluid.case.simulate_prior`), simulates Vp, Vs and conductivity with one of several noise
levels, fits it with the spec's method and scores
the result against the truth and against the exact reference. A case is *distinguishable* when the exact
posterior puts at least ``DISTINGUISHABLE`` of its mass on its three most probable combinations: only then
can a calibrated posterior be expected to hold the truth in its top 3 most of the time.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from bayesgeo.diagnostics import convergence_report
from bayesgeo.geofluid import case
from bayesgeo.spec import load_spec

#: (Vp and Vs s.d. in km/s, log10 conductivity s.d.) cycled over the cases.
NOISE_LEVELS = ((0.01, 0.05), (0.02, 0.05), (0.05, 0.1), (0.1, 0.2))
DISTINGUISHABLE = 0.8


def recovery_table(
    spec: dict | str | Path,
    n_cases: int = 24,
    seed: int = 0,
    noise=NOISE_LEVELS,
    overrides: dict | None = None,
) -> pd.DataFrame:
    """Fit ``n_cases`` synthetic truths under the spec's conditions and priors; one row per case.

    Columns: the truth, the noise, ``rank`` of the true combination (1 = most probable) under the fit and
    ``rank_exact`` under the quadrature, ``top3_mass_exact``, ``p_liquid_true``, the fitted porosity interval
    and whether it ``covers`` the truth, ``max_abs_error`` of the fitted combination probabilities against the
    quadrature, worst ``rhat`` and ``ess`` of the draws; for a sampled switch also ``missed`` (combinations
    with exact probability > 0.01 never visited) and ``indicator_rhat`` (worst R-hat of their indicators).
    ``overrides`` are dotted spec keys, e.g. ``{"inference.method": "smc"}``; same seed, same table.
    """
    s = load_spec(spec, overrides)
    base = case.prepare(s)
    settings = s.inference
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_cases):
        sd_v, sd_s = noise[k % len(noise)]
        obs = replace(base.obs, vp_sd=sd_v, vs_sd=sd_v, log10_conductivity_sd=sd_s)
        problem, _ = case.simulate_prior(replace(base, obs=obs), rng)
        start = time.perf_counter()
        tree = case.fit(problem, replace(settings, seed=seed + k))
        rows.append(_score(tree, problem.truth) | {"vp_sd": sd_v, "log10_sigma_sd": sd_s})
        rows[-1]["time_s"] = time.perf_counter() - start
    return pd.DataFrame(rows)


def _score(tree, truth: dict) -> dict:
    m = tree["models"]
    p, ref = m["probability"], m["probability_exact"]
    sel = {"lithology": truth["lithology"], "liquid": truth["liquid"]}
    s = tree["summary"]
    lo, hi = float(s["porosity_q05"]), float(s["porosity_q95"])
    with np.errstate(invalid="ignore", divide="ignore"):  # constant indices have no R-hat
        conv = convergence_report(tree)
    plausible = ref > 0.01
    joint = {}
    if "indicator_rhat" in m:
        joint = {
            "missed": int(((p == 0) & plausible).sum()),
            "indicator_rhat": float(m["indicator_rhat"].where(plausible).max()),
        }
    return {
        **truth,
        "rank": int((p > p.sel(sel)).sum()) + 1,
        "rank_exact": int((ref > ref.sel(sel)).sum()) + 1,
        "top3_mass_exact": float(np.sort(ref.values.ravel())[::-1][:3].sum()),
        "p_liquid_true": float(s["p_liquid"].sel(liquid=truth["liquid"])),
        "porosity_q05": lo,
        "porosity_q95": hi,
        "covers": lo <= truth["porosity"] <= hi,
        "max_abs_error": float(tree.attrs["p_model_max_abs_error"]),
        "rhat": conv.max_rhat,
        "ess": conv.min_ess_bulk,
        "pareto_k": float(tree.attrs.get("importance_pareto_k", np.nan)),
        **joint,
    }


def recovery_scores(table: pd.DataFrame) -> dict[str, float]:
    """Headline rates: top-3 hits (all and distinguishable cases), liquid right, porosity coverage."""
    dist = table["top3_mass_exact"] >= DISTINGUISHABLE
    return {
        "cases": len(table),
        "distinguishable": int(dist.sum()),
        "top3_all": float((table["rank"] <= 3).mean()),
        "top3_distinguishable": float((table.loc[dist, "rank"] <= 3).mean()) if dist.any() else np.nan,
        "liquid_right": float((table["p_liquid_true"] > 0.5).mean()),
        "porosity_coverage_90": float(table["covers"].mean()),
        "max_abs_error": float(table["max_abs_error"].max()),
    }
