"""Discrete switches: summed out (marginalized) or sampled (joint), and posterior option probabilities.

A switch with options ``c = 1..C`` and prior weights ``w_c`` enters a model through the per-option log
likelihood ``l_c(theta)``:

- **marginalized**: ``log p(y | theta) = logsumexp_c(log w_c + l_c(theta))``; a sampler sees only ``theta``.
  Option probabilities are recovered afterwards by Rao-Blackwellisation,
  ``p(c | y) = E[p(c | theta, y)]`` over posterior draws of ``theta`` (:func:`conditional_log_probabilities`),
  which has lower variance than counting sampled options and needs no discrete moves.
- **sampled**: the option index is a model variable. PyMC's SMC proposes continuous values only, so the
  index is written as ``c = F^-1(u)`` with ``u ~ Uniform(0, 1)`` and ``F`` the prior CDF of the options
  (:func:`inverse_cdf_index`): exactly the categorical prior, with a likelihood that is piecewise constant
  in ``u``.

Per-option summaries of ``theta`` use the same conditional probabilities as importance weights,
``E[f(theta) | c, y] = E[f(theta) p(c | theta, y)] / p(c | y)`` (:func:`weighted_summary`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp


def log_weights(weights) -> np.ndarray:
    """Normalised log prior weights of the options (any positive weights)."""
    w = np.asarray(weights, dtype=float)
    return np.log(w) - np.log(w.sum())


def inverse_cdf_index(u, weights, xp=np):
    """Option index ``F^-1(u)`` for ``u`` in (0, 1) and prior ``weights`` (NumPy or PyTensor ``u``)."""
    cdf = np.cumsum(np.asarray(weights, dtype=float))
    edges = cdf[:-1] / cdf[-1]
    return xp.sum(xp.expand_dims(u, -1) > edges, axis=-1)


def conditional_log_probabilities(log_terms: np.ndarray, n_option_axes: int = 1) -> np.ndarray:
    """``log p(c | theta, y)`` per draw from log prior weight + log likelihood terms over the last axes.

    ``log_terms`` has shape ``(..., *options)`` with ``n_option_axes`` trailing option axes (e.g. two for a
    lithology x liquid table); ``exp`` of the result sums to 1 over those axes.
    """
    axes = tuple(range(-n_option_axes, 0))
    return log_terms - logsumexp(log_terms, axis=axes, keepdims=True)


def weighted_summary(values: np.ndarray, log_weights: np.ndarray, quantiles=(0.05, 0.95)) -> dict:
    """Importance-weighted mean, s.d., quantiles and Kish effective sample size of draws, per option.

    Parameters
    ----------
    values : ndarray, shape (n,)
        Draws of a scalar.
    log_weights : ndarray, shape (n, ...)
        Unnormalised log weight of each draw for each option (trailing option axes), e.g.
        ``log p(c | theta_s, y)``. Normalised over the draws in log space, so an option whose weights all
        underflow still gets the draws nearest to it (check its ``ess``).

    Returns
    -------
    dict
        ``mean``, ``sd``, ``q05``, ``q95`` and ``ess``, each of shape ``log_weights.shape[1:]``.
    """
    shape = log_weights.shape[1:]
    lw = log_weights.reshape(log_weights.shape[0], -1)
    w = np.exp(lw - logsumexp(lw, axis=0, keepdims=True))
    mean = values @ w
    sd = np.sqrt(np.clip((values**2) @ w - mean**2, 0.0, None))
    order = np.argsort(values)
    cdf = np.cumsum(w[order], axis=0) - 0.5 * w[order]
    q = [np.array([np.interp(p, cdf[:, k], values[order]) for k in range(w.shape[1])]) for p in quantiles]
    out = {"mean": mean, "sd": sd, "q05": q[0], "q95": q[1], "ess": 1.0 / np.sum(w**2, axis=0)}
    return {k: v.reshape(shape) for k, v in out.items()}
