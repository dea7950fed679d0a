"""Multi-start NUTS with an importance correction, for the marginalized ``geofluid.point`` model.

With the switches summed out, the posterior of ``theta = (phi, log10 alpha, log10 alpha_ec)`` has one thin
ridge per plausible (lithology, liquid); NUTS started anywhere stays on the ridges it finds, so chain averages
weigh the combinations by where the chains happen to be. The route here:

1. **starts**: the mode of every combination's conditional posterior ``p(theta, c | y)``, from the best of
   ``n_search`` prior draws polished by L-BFGS-B (all combinations in one batched objective); the modes within
   ``delta`` nats of the best, at least ``min_dist`` apart (unconstrained units), start one chain each.
2. **NUTS** (nutpie) from each start (:func:`bayesgeo.inference.fit` with ``starts``).
3. **importance correction**: fresh draws from a kernel mixture fitted to the chains (defended by the prior),
   Pareto-smoothed weights ``p / q`` (:mod:`bayesgeo.importance`); ``p(c | y) = sum_s w_s p(c | theta_s, y)``.
   The Pareto ``k`` says whether the chains covered the posterior.

Unconstrained coordinates are ``logit`` of each parameter scaled to its prior's support.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
from scipy.optimize import minimize
from scipy.special import logsumexp

from bayesgeo.geofluid.model import PARAMETERS, Observation, Rock, log_likelihood, prior_support
from bayesgeo.importance import KernelMixture, kish_ess, psis

#: Sampled parameter names, in the order of the columns of every array here.
NAMES = tuple(sampled for sampled, _, _ in PARAMETERS.values())


@dataclass(frozen=True)
class Target:
    """Log posterior of the marginalized model in unconstrained coordinates, vectorized over draws."""

    rock: Rock
    obs: Observation
    priors: dict
    log_weights: np.ndarray

    @cached_property
    def box(self) -> np.ndarray:
        """Prior support (low, high) of each sampled parameter, shape (3, 2)."""
        return np.array([prior_support(self.priors[name]) for name in NAMES])

    @cached_property
    def _prior_logp(self) -> list:
        x = pt.dvector("x")
        return [
            pytensor.function(
                [x], pm.logp(self.priors[n].pymc_distribution.dist(**self.priors[n].parameters), x)
            )
            for n in NAMES
        ]

    def constrained(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Parameters ``x`` (n, 3) of unconstrained ``y`` (n, 3) and ``log |dx/dy|`` (n,)."""
        lo, width = self.box[:, 0], self.box[:, 1] - self.box[:, 0]
        x = lo + width / (1.0 + np.exp(-y))
        log_jac = (np.log(width) - np.logaddexp(0.0, -y) - np.logaddexp(0.0, y)).sum(1)
        return x, log_jac

    def unconstrained(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.box[:, 0]) / (self.box[:, 1] - self.box[:, 0])
        return np.log(z) - np.log1p(-z)

    def log_prior(self, y: np.ndarray) -> np.ndarray:
        """Log prior density of unconstrained ``y`` (n, 3), Jacobian included."""
        x, log_jac = self.constrained(y)
        return sum(f(x[:, k]) for k, f in enumerate(self._prior_logp)) + log_jac

    def log_joint(self, y: np.ndarray) -> np.ndarray:
        """``log p(y_theta, c, data)`` per combination, shape (n, lithology, liquid)."""
        x, _ = self.constrained(y)
        table = log_likelihood(x[:, 0], 10.0 ** x[:, 1], 10.0 ** x[:, 2], self.rock, self.obs)
        return self.log_prior(y)[:, None, None] + table + self.log_weights

    def prior_draws(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` unconstrained prior draws, shape (n, 3)."""
        cols = [
            pm.draw(
                self.priors[name].pymc_distribution.dist(**self.priors[name].parameters), n, random_seed=rng
            )
            for name in NAMES
        ]
        return self.unconstrained(np.stack(cols, 1).reshape(n, len(NAMES)))


def combination_modes(target: Target, rng: np.random.Generator, n_search: int = 4000, delta: float = 8.0):
    """Modes ``y_c`` (unconstrained) and ``log p(y_c, c, data)`` of the combinations that come within
    ``delta`` nats of the best, best first."""
    y = target.prior_draws(n_search, rng)
    table = target.log_joint(y).reshape(n_search, -1)
    best = table.max(0)
    combos = np.flatnonzero(best >= best.max() - 2 * delta)
    modes, values = _polish(target, y[table[:, combos].argmax(0)], combos)
    order = np.argsort(values)[::-1]
    keep = order[values[order] >= values[order[0]] - delta]
    return modes[keep], values[keep]


def _polish(target: Target, y0: np.ndarray, combos: np.ndarray, step: float = 1e-5):
    """Maximise ``log p(y, c, data)`` for each combination ``combos[i]`` from ``y0[i]`` (one L-BFGS-B run)."""
    shape = y0.shape
    rows = np.arange(len(combos))

    def values(flat):
        return target.log_joint(flat.reshape(shape)).reshape(len(combos), -1)[rows, combos]

    def objective(flat):
        grad = np.empty(shape)
        for k in range(shape[1]):
            e = np.zeros(shape)
            e[:, k] = step
            grad[:, k] = (values(flat + e.ravel()) - values(flat - e.ravel())) / (2 * step)
        return -values(flat).sum(), -grad.ravel()

    res = minimize(objective, y0.ravel(), jac=True, method="L-BFGS-B", bounds=[(-15.0, 15.0)] * y0.size)
    return res.x.reshape(shape), values(res.x)


def chain_starts(target: Target, n_max: int, rng: np.random.Generator, min_dist: float = 0.05) -> np.ndarray:
    """Up to ``n_max`` distinct combination modes (constrained parameters, shape (k, 3)), best first."""
    modes, _ = combination_modes(target, rng)
    chosen: list[np.ndarray] = []
    for y in modes:
        if all(np.linalg.norm(y - other) > min_dist for other in chosen):
            chosen.append(y)
        if len(chosen) == n_max:
            break
    return target.constrained(np.array(chosen))[0]


@dataclass(frozen=True)
class Importance:
    """Importance draws ``x`` (n, 3; constrained), their normalised weights, ``log p(c | theta, y)``
    (n, lithology, liquid), Pareto ``k`` and Kish ESS."""

    x: np.ndarray
    weights: np.ndarray
    log_conditional: np.ndarray
    pareto_k: float
    ess: float

    @property
    def probabilities(self) -> np.ndarray:
        """``p(c | y) = sum_s w_s p(c | theta_s, y)``, shape (lithology, liquid)."""
        return np.einsum("s,s...->...", self.weights, np.exp(self.log_conditional))

    def resample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` indices of draws, with replacement, in proportion to the weights."""
        return rng.choice(self.weights.size, size=n, p=self.weights)


def importance(target: Target, chains: list[np.ndarray], rng: np.random.Generator, n: int = 10_000):
    """Correct multi-start chains (list of (draws, 3) constrained arrays) by importance sampling."""
    proposal = KernelMixture(
        [target.unconstrained(c) for c in chains], (target.prior_draws, target.log_prior)
    )
    y = proposal.sample(n, rng)
    table = target.log_joint(y)
    log_marginal = logsumexp(table, axis=(1, 2))
    weights, k = psis(log_marginal - proposal.logpdf(y))
    finite = np.isfinite(log_marginal)[:, None, None]
    log_cond = np.where(finite, table - np.where(finite, log_marginal[:, None, None], 0.0), -np.inf)
    return Importance(target.constrained(y)[0], weights, log_cond, k, kish_ess(weights))
