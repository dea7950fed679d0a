"""Simulation-based calibration (Talts et al. 2018): draw truth from the prior, simulate, refit, rank.

If the inference is right, the rank of each true parameter among ``L`` posterior draws is uniform on
``0..L``. A case study takes part by providing ``simulate_prior(problem, rng) -> (problem, truth)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr
from scipy import stats
from tqdm import tqdm


def rank(draws: np.ndarray, truth: float, n_ranks: int, rng: np.random.Generator) -> int:
    """Rank of ``truth`` among ``n_ranks`` draws thinned evenly from ``draws`` (ties broken at random)."""
    d = np.ravel(draws)
    d = d[np.linspace(0, d.size - 1, n_ranks).astype(int)]
    below, ties = np.sum(d < truth), np.sum(d == truth)
    return int(below + rng.integers(0, ties + 1))


def sbc(
    simulate: Callable,
    refit: Callable,
    params: list[str],
    n: int,
    n_ranks: int = 99,
    seed: int = 0,
    progress: bool = False,
) -> xr.Dataset:
    """Run ``n`` SBC replications; returns ranks on dims ``(replication,)`` per parameter.

    ``simulate(rng) -> (data, truth)`` and ``refit(data, seed) -> posterior Dataset`` come from the case.
    """
    rng = np.random.default_rng(seed)
    ranks = {p: np.empty(n, int) for p in params}
    for i in tqdm(range(n), disable=not progress, desc="SBC"):
        data, truth = simulate(rng)
        post = refit(data, int(rng.integers(2**31)))
        for p in params:
            ranks[p][i] = rank(post[p].values, truth[p], n_ranks, rng)
    ds = xr.Dataset({p: ("replication", r) for p, r in ranks.items()})
    ds.attrs["n_ranks"] = n_ranks
    return ds


def uniformity(ranks: xr.Dataset, bins: int = 10) -> xr.Dataset:
    """Chi-square test of uniform ranks per parameter: statistic, degrees of freedom and p-value."""
    out = {}
    for p, r in ranks.data_vars.items():
        counts, _ = np.histogram(r.values, bins=bins, range=(0, ranks.attrs["n_ranks"] + 1))
        chi2, pval = stats.chisquare(counts)
        out[p] = ("stat", [chi2, bins - 1, pval])
    return xr.Dataset(out, coords={"stat": ["chi2", "dof", "p_value"]})


def plot_ranks(ranks: xr.Dataset, bins: int = 10, axes=None):
    """Rank histograms with the 99 % band of a uniform histogram (dashed) and the chi-square p-value."""
    from bayesgeo.plots import PALETTE, new_axes

    names = list(ranks.data_vars)
    axes = new_axes(1, len(names), size=3.0) if axes is None else np.atleast_2d(axes)
    n = ranks.sizes["replication"]
    lo, hi = stats.binom.ppf([0.005, 0.995], n, 1 / bins)
    p_values = uniformity(ranks, bins).sel(stat="p_value")
    for ax, name in zip(axes.flat, names, strict=False):
        ax.axhspan(lo, hi, color="0.85")
        ax.hist(ranks[name].values, bins=bins, range=(0, ranks.attrs["n_ranks"] + 1), color=PALETTE[0])
        for level in (lo, hi):
            ax.axhline(level, color="0.2", lw=1.0, ls="--", zorder=3)
        ax.set(title=f"{name}  (chi2 p = {float(p_values[name]):.2f})", xlabel="rank", yticks=[])
    return axes
