"""Importance sampling from MCMC chains: a kernel mixture fitted to the chains, Pareto-smoothed weights.

When chains started in different modes cannot move between them, their pooled draws over-represent some
modes. Fresh draws from a proposal ``q`` fitted to the chains, weighted by ``p / q`` and Pareto-smoothed
(PSIS, Vehtari et al. 2024, JMLR 25:72), give self-normalised estimates of any posterior expectation that are
valid whenever ``q`` covers the posterior; the Pareto ``k`` of the weights says when it does not (``k > 0.7``:
unreliable). Multi-path Pathfinder (``pymc_extras.inference.pathfinder``) combines its paths the same way.

The proposal (:class:`KernelMixture`) is a defensive mixture: Gaussian kernels centred at every draw, one
bandwidth matrix per chain (Silverman's factor times the chain's covariance, times ``inflate``), each chain
weighted equally, plus a small weight on a broad ``fallback`` density (e.g. the prior) bounding the weights.
Everything works in an unconstrained space chosen by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import arviz_stats.accessors  # noqa: F401 - registers the .azstats accessor
import numpy as np
import xarray as xr
from scipy.special import logsumexp

#: Above this Pareto k the importance estimate is unreliable (Vehtari et al. 2024).
K_MAX = 0.7


@dataclass(frozen=True)
class KernelMixture:
    """Gaussian kernel mixture over chains of draws, defended by a ``fallback`` density.

    ``chains`` is a list of (n_k, d) arrays; ``fallback`` = (sampler ``(n, rng) -> (n, d)``, log density
    ``(n, d) -> (n,)``) with mixture weight ``defensive``.
    """

    chains: list[np.ndarray]
    fallback: tuple[Callable, Callable]
    defensive: float = 0.1
    inflate: float = 1.0

    def _cholesky(self, draws: np.ndarray) -> np.ndarray:
        n, d = draws.shape
        h = self.inflate * (4.0 / (d + 2.0)) ** (1.0 / (d + 4.0)) * n ** (-1.0 / (d + 4.0))
        cov = np.atleast_2d(np.cov(draws.T)) * h**2
        return np.linalg.cholesky(cov + 1e-10 * np.eye(d))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws of the mixture, shape (n, d)."""
        counts = rng.multinomial(
            n, [self.defensive] + [(1 - self.defensive) / len(self.chains)] * len(self.chains)
        )
        out = [self.fallback[0](counts[0], rng)]
        for draws, m in zip(self.chains, counts[1:], strict=True):
            centre = draws[rng.integers(len(draws), size=m)]
            out.append(centre + rng.standard_normal(centre.shape) @ self._cholesky(draws).T)
        return np.concatenate(out)

    def logpdf(self, y: np.ndarray, block: int = 2000) -> np.ndarray:
        """Log density of the mixture at ``y`` (n, d)."""
        d = y.shape[1]
        parts = [self.fallback[1](y) + np.log(self.defensive)]
        log_chain = np.log((1 - self.defensive) / len(self.chains))
        for draws in self.chains:
            chol = self._cholesky(draws)
            inv = np.linalg.inv(chol)
            const = log_chain - np.log(len(draws)) - np.log(np.diag(chol)).sum() - 0.5 * d * np.log(2 * np.pi)
            z = [
                logsumexp(-0.5 * (((y[s : s + block, None] - draws[None]) @ inv.T) ** 2).sum(-1), axis=1)
                for s in range(0, len(y), block)
            ]
            parts.append(np.concatenate(z) + const)
        return logsumexp(np.stack(parts), axis=0)


def psis(log_ratio: np.ndarray) -> tuple[np.ndarray, float]:
    """Pareto-smoothed, normalised importance weights of log ratios ``log p - log q`` and their Pareto k.

    Non-finite ratios get weight zero.
    """
    ok = np.isfinite(log_ratio)
    # arviz-stats follows the LOO convention: it smooths the ratios given as minus the log likelihood
    smoothed, k = xr.DataArray(-log_ratio[ok], dims=["draw"]).azstats.psislw(dim="draw")
    w = np.zeros(log_ratio.shape)
    w[ok] = np.exp(smoothed.values - logsumexp(smoothed.values))
    return w, float(k)


def kish_ess(weights: np.ndarray) -> float:
    """Kish effective sample size of normalised weights."""
    return float(1.0 / np.sum(weights**2))
