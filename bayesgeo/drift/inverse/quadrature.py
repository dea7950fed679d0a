"""Exact inference by quadrature: each source's posterior on an adaptively refined tensor grid.

Given the source, the posterior of the few remaining continuous unknowns (eruption time, log diffusivity
and, in the simulation tier, the drift's current scaling and windage) is tabulated on a grid whose box
shrinks, pass by pass, onto the region holding the mass (nodes within ``exp(-DROP)`` of the maximum). The
evidence of each source is the sum over its grid, so source probabilities are exact up to the grid
resolution, however far apart the sources' modes lie (a sampler started in one mode never sees the others).
Draws pick grid cells by their mass and spread uniformly within them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
from pymc_extras.prior import Prior
from scipy.special import logsumexp

#: log-density drop (natural log units) beyond which grid cells are considered empty
DROP = 15.0


@dataclass(frozen=True)
class GridPosterior:
    """Unnormalised log posterior of one source at the nodes of an evenly spaced tensor grid."""

    axes: dict[str, np.ndarray]
    log_density: np.ndarray

    @property
    def steps(self) -> np.ndarray:
        return np.array([a[1] - a[0] if a.size > 1 else 1.0 for a in self.axes.values()])

    @property
    def log_evidence(self) -> float:
        """log of the integral of the posterior density (cell sum)."""
        return float(logsumexp(self.log_density) + np.log(self.steps).sum())

    def draw(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``n`` draws: grid cells by their mass, uniform jitter within the cell."""
        lp = self.log_density.ravel()
        p = np.exp(lp - logsumexp(lp))
        cells = np.unravel_index(rng.choice(lp.size, size=n, p=p / p.sum()), self.log_density.shape)
        out = {}
        for (name, axis), idx, h in zip(self.axes.items(), cells, self.steps, strict=True):
            jitter = rng.uniform(-0.5, 0.5, n) * h if axis.size > 1 else 0.0
            out[name] = np.clip(axis[idx] + jitter, axis[0], axis[-1])
        return out


def mesh(axes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every grid node as flat coordinate arrays."""
    grids = np.meshgrid(*axes.values(), indexing="ij")
    return {k: g.ravel() for k, g in zip(axes, grids, strict=True)}


def tabulate(log_post: Callable[[dict[str, np.ndarray]], np.ndarray], box, shape) -> GridPosterior:
    """``log_post`` (flat node coordinates -> log density) on the evenly spaced grid over ``box``."""
    axes = {k: np.linspace(lo, hi, shape[k]) if hi > lo else np.array([lo]) for k, (lo, hi) in box.items()}
    lp = np.asarray(log_post(mesh(axes)), float).reshape([a.size for a in axes.values()])
    return GridPosterior(axes, np.where(np.isfinite(lp), lp, -np.inf))


def shrunk_box(grid: GridPosterior) -> dict[str, tuple[float, float]] | None:
    """The box of the nodes within :data:`DROP` of the maximum, padded by one node; ``None`` when no axis
    would shrink by more than a third (the grid has converged) or the density is zero everywhere."""
    lp = grid.log_density
    top = np.max(lp)
    if not np.isfinite(top):
        return None
    keep = lp > top - DROP
    box, shrinks = {}, False
    for i, (k, a) in enumerate(grid.axes.items()):
        idx = np.flatnonzero(keep.any(axis=tuple(j for j in range(lp.ndim) if j != i)))
        box[k] = (a[max(idx[0] - 1, 0)], a[min(idx[-1] + 1, a.size - 1)])
        shrinks |= a.size > 1 and (box[k][1] - box[k][0]) < 0.67 * (a[-1] - a[0])
    return box if shrinks else None


def refine(log_post, box, shape, passes: int = 5, grid: GridPosterior | None = None) -> GridPosterior:
    """Tabulate ``log_post`` on a grid shrinking onto its mass (at most ``passes`` grids; continue from
    ``grid`` when given)."""
    for _ in range(passes):
        if grid is not None:
            box = shrunk_box(grid)
            if box is None:
                break
        grid = tabulate(log_post, box, shape)
    return grid


def prior_logp(
    prior: Prior, lower: float = -np.inf, upper: float = np.inf
) -> Callable[[np.ndarray], np.ndarray]:
    """Compiled log density of a prior (NumPy in and out), ``-inf`` outside ``[lower, upper]``."""
    x = pt.dvector("x")
    dist = prior.pymc_distribution.dist(**prior.parameters)
    f = pytensor.function([x], pm.logp(dist, x), mode="FAST_COMPILE")  # tiny graph: compile time dominates

    def logp(values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, float)
        out = f(v)
        return np.where((v >= lower) & (v <= upper), out, -np.inf)

    return logp


def prior_box(
    prior: Prior, lower: float = -np.inf, upper: float = np.inf, seed: int = 0
) -> tuple[float, float]:
    """A box holding the prior's mass (0.01 % to 99.99 % of 20 000 prior draws), clipped to the bounds."""
    dist = prior.pymc_distribution.dist(**prior.parameters)
    draws = np.asarray(pm.draw(dist, 20_000, random_seed=seed, mode="FAST_COMPILE"), float)
    draws = draws[(draws >= lower) & (draws <= upper)]
    if draws.size < 100:
        return lower, upper
    lo, hi = np.quantile(draws, [1e-4, 1 - 1e-4])
    return max(lo, lower), min(hi, upper)


def combine(
    grids: list[GridPosterior],
    log_weights: np.ndarray,
    n: int,
    rng: np.random.Generator,
    complete: Callable[[int, dict[str, np.ndarray]], dict[str, np.ndarray]] | None = None,
    extra: Callable[[int, dict[str, np.ndarray]], np.ndarray] | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Source probabilities and ``n`` draws of the mixture over sources.

    ``complete(s, draws)`` adds variables drawn given the gridded ones (e.g. collapsed velocities);
    ``extra(s, draws)`` is an optional further log likelihood (data outside the gridded model) applied to
    each source's draws as importance weights. Returns ``p_source``, the draws (with ``source_index``) and
    the Kish effective sample size of the importance weights per source (``n`` without ``extra``).
    """
    per_source, log_z, ess = [], [], []
    for s, g in enumerate(grids):
        if not np.isfinite(g.log_evidence):
            per_source.append(None)
            log_z.append(-np.inf)
            ess.append(0.0)
            continue
        d = g.draw(n, rng)
        d = d if complete is None else complete(s, d)
        lw = np.zeros(n) if extra is None else extra(s, d)
        norm = logsumexp(lw)
        w = np.exp(lw - norm)
        per_source.append((d, w))
        log_z.append(g.log_evidence + norm - np.log(n))
        ess.append(1.0 / np.sum(w**2))
    lp = np.asarray(log_z) + log_weights
    p = np.exp(lp - logsumexp(lp))
    counts = rng.multinomial(n, p)
    keys = next(d for d in per_source if d is not None)[0].keys()
    out = {k: [] for k in (*keys, "source_index")}
    for s, (c, item) in enumerate(zip(counts, per_source, strict=True)):
        if c == 0:
            continue
        d, w = item
        pick = rng.choice(n, size=c, p=w)
        for k in keys:
            out[k].append(d[k][pick])
        out["source_index"].append(np.full(c, s))
    draws = {k: np.concatenate(v) for k, v in out.items()}
    order = rng.permutation(n)
    return p, {k: v[order] for k, v in draws.items()}, np.asarray(ess)
