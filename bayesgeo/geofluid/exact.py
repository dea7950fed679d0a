"""Exact reference for ``geofluid.point``: per-combination evidence and posteriors by quadrature.

The likelihood factorises, ``p(y | theta, c) = p(Vp, Vs | phi, alpha, c) p(sigma | phi, alpha_ec, liquid)``,
and the three priors are independent, so for each combination ``c = (lithology, liquid)``

    Z_c = w_c sum_phi pi(phi) [sum_a pi(a) L_el,c(phi, a)] [sum_e pi(e) L_ec,liquid(phi, e)]

on midpoint grids over each prior's support (``a = log10 alpha``, ``e = log10 alpha_ec``): two 2-D sums per
porosity node instead of one 3-D sum, for all combinations at once, with the same NumPy forward functions
as the PyMC model. Posterior probabilities are ``Z_c / sum Z``; per-combination posteriors and exact draws
come from the same grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, partial

import numpy as np
import pymc as pm
from pymc_extras.prior import Prior
from scipy.special import logsumexp

from bayesgeo.geofluid.model import (
    PARAMETERS,
    Observation,
    Rock,
    conductivity_loglik,
    elastic_loglik,
    prior_support,
)

#: Grid sizes (porosity, log10 alpha, log10 alpha_ec); the benchmark checks they resolve 0.01 km/s errors.
GRID = (320, 160, 160)


@dataclass(frozen=True)
class Quadrature:
    """Log integrands of the exact reference on a midpoint grid (see the module docstring).

    ``nodes``/``widths`` per sampled name; ``log_prior_phi`` (n_phi,) holds ``log(pi(phi) dphi)``;
    ``elastic`` (n_phi, n_a, lithology, liquid) and ``conductivity`` (n_phi, n_e, 1, liquid) hold the log
    likelihoods plus the log prior weight of ``a`` and ``e``; ``log_weights`` the log prior of each
    combination.
    """

    nodes: dict[str, np.ndarray]
    widths: dict[str, float]
    log_prior_phi: np.ndarray
    elastic: np.ndarray
    conductivity: np.ndarray
    log_weights: np.ndarray

    @cached_property
    def joint_phi(self) -> np.ndarray:
        """``log p(phi, c, y)`` on the porosity nodes, shape (n_phi, lithology, liquid)."""
        a = logsumexp(self.elastic, axis=1)
        e = logsumexp(self.conductivity, axis=1)
        return self.log_prior_phi[:, None, None] + a + e + self.log_weights

    @cached_property
    def log_evidence_by_model(self) -> np.ndarray:
        """``log p(y, c)`` per combination (natural log, prior weight included), shape (lithology, liquid)."""
        return logsumexp(self.joint_phi, axis=0)

    @property
    def log_evidence(self) -> float:
        """``log p(y)`` summed over all combinations (natural log)."""
        return float(logsumexp(self.log_evidence_by_model))

    @property
    def probabilities(self) -> np.ndarray:
        """Posterior probability of each combination, shape (lithology, liquid)."""
        return np.exp(self.log_evidence_by_model - self.log_evidence)

    def marginals(self) -> dict[str, np.ndarray]:
        """Per-combination posterior marginals on the nodes of each sampled parameter, each (n, L, K)."""
        phi_w = self.log_prior_phi[:, None, None, None]
        e_phi = logsumexp(self.conductivity, axis=1)[:, None]
        a_phi = logsumexp(self.elastic, axis=1)[:, None]
        logs = {
            "porosity": self.joint_phi,
            "log10_aspect_ratio": logsumexp(phi_w + self.elastic + e_phi, axis=0),
            "log10_aspect_ratio_ec": logsumexp(phi_w + a_phi + self.conductivity, axis=0),
        }
        return {k: np.exp(v - logsumexp(v, axis=0, keepdims=True)) for k, v in logs.items()}

    def summary(self) -> dict[str, dict[str, np.ndarray]]:
        """Per-combination ``mean``, ``sd``, ``q05``, ``q95`` of each reported parameter (natural scale)."""
        out = {}
        for (name, (sampled, _, _)), p in zip(PARAMETERS.items(), self.marginals().values(), strict=True):
            x, h = self.nodes[sampled], self.widths[sampled]
            value = x if name == "porosity" else 10.0**x
            mean = np.einsum("n,n...->...", value, p)
            var = np.einsum("n,n...->...", value**2, p) - mean**2
            edges = np.concatenate([[x[0] - h / 2], x + h / 2])
            cdf = np.concatenate([np.zeros((1, *p.shape[1:])), np.cumsum(p, axis=0)])
            q = [np.apply_along_axis(partial(_quantile, prob, edges), 0, cdf) for prob in (0.05, 0.95)]
            if name != "porosity":
                q = [10.0**v for v in q]
            out[name] = {"mean": mean, "sd": np.sqrt(np.clip(var, 0, None)), "q05": q[0], "q95": q[1]}
        return out

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``n`` exact draws (up to the grid): combination, then porosity, then the two aspect ratios.

        Returns sampled-parameter draws (jittered uniformly within their cell) and ``lithology_index``,
        ``liquid_index``.
        """
        n_lith, n_liq = self.log_weights.shape
        flat = rng.choice(n_lith * n_liq, size=n, p=self.probabilities.ravel() / self.probabilities.sum())
        i, j = np.unravel_index(flat, (n_lith, n_liq))
        i_phi = _gumbel_argmax(self.joint_phi[:, i, j].T, rng)
        i_a = _gumbel_argmax(self.elastic[i_phi, :, i, j], rng)
        i_e = _gumbel_argmax(self.conductivity[i_phi, :, 0, j], rng)
        names = [sampled for sampled, _, _ in PARAMETERS.values()]
        out = {
            name: self.nodes[name][idx] + (rng.random(n) - 0.5) * self.widths[name]
            for name, idx in zip(names, (i_phi, i_a, i_e), strict=True)
        }
        return out | {"lithology_index": i, "liquid_index": j}


def _quantile(prob: float, edges: np.ndarray, cdf: np.ndarray) -> float:
    """Quantile of a piecewise-constant density from its CDF at the cell edges."""
    return float(np.interp(prob, cdf, edges))


def _gumbel_argmax(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One categorical draw per row of unnormalised log probabilities."""
    return np.argmax(logits + rng.gumbel(size=logits.shape), axis=-1)


def prior_grid(prior: Prior, bounds: tuple[float, float], n: int) -> tuple[np.ndarray, float, np.ndarray]:
    """Midpoints, cell width and ``log(density * width)`` of a prior over its support within ``bounds``."""
    lo, hi = prior_support(prior)
    lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    width = (hi - lo) / n
    x = lo + width * (np.arange(n) + 0.5)
    logp = pm.logp(prior.pymc_distribution.dist(**prior.parameters), x).eval()
    return x, width, logp + np.log(width)


def quadrature(
    rock: Rock,
    obs: Observation,
    priors: dict[str, Prior],
    log_weights: np.ndarray,
    grid: tuple[int, int, int] = GRID,
    chunk: int = 40,
) -> Quadrature:
    """Evaluate the exact reference for the data ``obs`` (see :class:`Quadrature`).

    ``priors`` holds the three sampled-parameter priors, ``log_weights`` the (lithology, liquid) log prior.
    The conductivity term is evaluated ``chunk`` porosity nodes at a time to bound memory.
    """
    nodes, widths, logp = {}, {}, {}
    for (sampled, _, bounds), n in zip(PARAMETERS.values(), grid, strict=True):
        nodes[sampled], widths[sampled], logp[sampled] = prior_grid(priors[sampled], bounds, n)
    phi = nodes["porosity"]
    a, e = nodes["log10_aspect_ratio"], nodes["log10_aspect_ratio_ec"]
    elastic = elastic_loglik(phi[:, None], 10.0 ** a[None, :], rock, obs)
    elastic += logp["log10_aspect_ratio"][None, :, None, None]
    conductivity = np.concatenate(
        [
            conductivity_loglik(phi[k : k + chunk, None], 10.0 ** e[None, :], rock, obs)
            for k in range(0, phi.size, chunk)
        ]
    )
    conductivity += logp["log10_aspect_ratio_ec"][None, :, None, None]
    return Quadrature(nodes, widths, logp["porosity"], elastic, conductivity, log_weights)
