"""Held-out predictive score of the ``geofluid.field`` case: hold out cells, predict their data from the rest.

A fraction of the cells (:meth:`bayesgeo.heldout.Holdout.mask`) loses its data: their Vp, Vs (and
conductivity) leave the likelihood, in the Laplace fast path and in NUTS alike, so the smoothness scales and
the option probabilities are estimated on the observed cells only. Each held-out cell ``i`` is scored by

``log p(y_i | y_obs) = log sum_k p_k E[prod_j N(y_ij; f_j(eta_i), sd_ij^2) | y_obs, k]``

over the options ``k`` (probabilities ``p_k`` from the masked fit) and the posterior draws of the cell's
latent logit fields ``eta_i`` (predicted from the neighbours through the MRF; from the level prior alone under
``independent``), the outputs ``j`` of one cell taken jointly (one point per cell). The expectation is a
log-mean-exp over draws (:func:`bayesgeo.heldout.pointwise_lpd`).

PSIS-LOO is no substitute here: every cell's latent values are fixed mostly by that cell's own data, so
leaving them out moves the posterior far and the Pareto k of the importance weights is high.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import xarray as xr
from scipy.special import logsumexp

from bayesgeo.geofluid.field_model import FIELDS, Constants, predict
from bayesgeo.heldout import Holdout, gaussian_loglik, pointwise_lpd
from bayesgeo.spec import Inference

HYPERPARAMETERS = {
    "map": "observed cells (Laplace, smoothness scales on a grid)",
    "nuts": "observed cells (NUTS)",
    "independent": "none (per-cell prior)",
}


def cell_latent(fields: xr.Dataset, cells: np.ndarray) -> np.ndarray:
    """Posterior draws ``(F, S, n)`` of the logit fields at flat cell indices ``cells``."""
    flat = fields.stack(sample=("chain", "draw"), cell=list(fields[FIELDS[0]].dims[2:]))
    v = np.stack([flat[f].transpose("sample", "cell").values[:, cells] for f in FIELDS if f in fields])
    return np.log(v) - np.log1p(-v)


def cell_loglik(y: np.ndarray, sd: np.ndarray, eta: np.ndarray, c: Constants) -> np.ndarray:
    """``log p(y_i | eta_s)`` ``(S, n)``: the outputs of a cell jointly; ``y``, ``sd``: ``(K, n)``
    (km/s; log10 S/m), ``eta``: ``(F, S, n)``, ``c``: constants of the ``n`` cells."""
    pred = predict(list(eta), c)
    return sum(gaussian_loglik(y[j], pred[j], sd[j]) for j in range(len(y)))


def mixture_lpd(loglik: list[np.ndarray], p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log sum_k p_k mean_s exp(loglik[k][s, i])`` per point and its Monte Carlo variance (delta method).

    ``loglik[k]``: ``(S_k, n)`` draws of option ``k``, ``p``: option probabilities. Returns ``(lpd, var)``.
    """
    terms = np.stack([np.log(pk) + pointwise_lpd(ll) for pk, ll in zip(p, loglik, strict=True)])
    lpd = logsumexp(terms, axis=0)
    log_var = []  # of sum_k p_k mean_s w_ks, w = exp(loglik)
    for pk, ll in zip(p, loglik, strict=True):
        m1, m2 = pointwise_lpd(ll), pointwise_lpd(2 * ll)  # log mean w, log mean w^2
        with np.errstate(divide="ignore"):  # equal weights: no Monte Carlo error
            spread = m2 + np.log1p(-np.exp(np.minimum(2 * m1 - m2, 0.0)))
        log_var.append(2 * np.log(pk) + spread - np.log(ll.shape[0]))
    return lpd, np.exp(logsumexp(log_var, axis=0) - 2 * lpd)


def _cells(c: Constants, cells: np.ndarray) -> Constants:
    return Constants(*(np.asarray(v)[cells] for v in vars(c).values()))


def heldout_score(problem, settings: Inference, holdout: Holdout) -> xr.DataArray:
    """Held-out cell predictive score ``log p(y_i | y_observed)`` (nats), one point per held-out cell.

    The problem is refitted with the held-out cells masked (same method, seed and draws as a fit); returns a
    DataArray on dim ``heldout`` (flat cell indices, with the cells' grid coordinates) with attributes
    ``variant``, ``hyperparameters`` (what they were estimated on), ``n_draws`` and ``time_s``.
    """
    from bayesgeo.geofluid.field import posterior  # the case module registers this function

    start = time.perf_counter()
    held = holdout.mask(problem.shape).ravel()
    cells = np.flatnonzero(held)
    res = posterior(replace(problem, observed=~held), settings, np.random.default_rng(settings.seed))
    y, sd = (a[:, cells] for a in problem.observations())
    used = [k for k, f in enumerate(res.fields) if f is not None]
    p = res.p[used] / res.p[used].sum()
    loglik = [
        cell_loglik(
            y, sd, cell_latent(res.fields[k], cells), _cells(problem.constants[problem.options[k]], cells)
        )
        for k in used
    ]
    lpd, mc_var = mixture_lpd(loglik, p)
    grid = np.unravel_index(cells, problem.shape)
    coords = {d: ("heldout", problem.cells[d].values[i]) for d, i in zip(problem.dims, grid, strict=True)}
    key = "independent" if problem.variant == "independent" else problem.method
    return xr.DataArray(
        lpd,
        dims="heldout",
        coords={"heldout": cells, **coords},
        name="lpd",
        attrs={
            "units": "nats",
            "long_name": "log predictive density of the held-out cell's data",
            "variant": problem.variant,
            "hyperparameters": HYPERPARAMETERS[key],
            "n_draws": loglik[0].shape[0],
            "mc_se": float(np.sqrt(mc_var.sum())),
            "time_s": time.perf_counter() - start,
        },
    )
