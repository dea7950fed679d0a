"""Predictive scores: hold out part of the data and predict it from the rest, or approximate leave-one-out.

For a model fitted to the observed part ``y_obs`` only, the score of a held-out datum is its log predictive
density ``log p(y_i | y_obs) = log E[p(y_i | x, theta) | y_obs]``, estimated from posterior draws by a
log-mean-exp (:func:`pointwise_lpd`). Its sum over the held-out set (``elpd``) is compared across models with
the standard error ``sqrt(n var(lpd_i))``, and two models by their pointwise differences on the same held-out
data (paired, so what the data share cancels). A case study supports this by providing
``heldout_score(problem, settings, holdout)`` (see :func:`bayesgeo.api.compare`).

Without refitting, :func:`psis_loo` approximates ``log p(y_i | y_-i)`` for every datum from one full-data fit
by Pareto-smoothed importance sampling (ArviZ), from the ``/log_likelihood`` group of its result.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import logsumexp


@dataclass(frozen=True)
class Holdout:
    """Which data to hold out: a fraction of the points, chosen at random with a fixed seed."""

    fraction: float = 0.05
    seed: int = 0

    def mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """Boolean array of ``shape``, True on the held-out points (``round(fraction N)``, at least one)."""
        n = int(np.prod(shape))
        held = np.zeros(n, dtype=bool)
        rng = np.random.default_rng(self.seed)
        held[rng.choice(n, max(1, round(self.fraction * n)), replace=False)] = True
        return held.reshape(shape)


def pointwise_lpd(loglik: np.ndarray) -> np.ndarray:
    """``log mean_s exp(loglik[s, i])``: log predictive density per held-out point from ``S`` draws (nats)."""
    return logsumexp(loglik, axis=0) - np.log(loglik.shape[0])


def gaussian_loglik(y: np.ndarray, x: np.ndarray, sigma: np.ndarray | float) -> np.ndarray:
    """``log N(y; x, sigma^2)`` elementwise (broadcasting: draws of ``x`` on the first axis)."""
    return -0.5 * ((y - x) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)


def psis_loo(tree: xr.DataTree) -> xr.DataArray:
    """PSIS-LOO ``log p(y_i | y_-i)`` per observation (nats) from a full-data fit, on dim ``observation``.

    Every variable of ``tree["log_likelihood"]`` (dims ``chain, draw, <observation dims>``, pointwise, nats)
    is flattened and the variables are concatenated. ``arviz.loo`` smooths the importance weights; the
    relative efficiency comes from ``/posterior`` when it holds the same draws (else 1, independent draws).
    Attributes: ``p_loo`` (effective number of parameters), ``pareto_k_max``, ``n_high_k`` (points with
    ``k > good_k``, where the estimate is unreliable) and ``good_k`` (0.7 from 2 154 draws on, lower below).
    """
    import arviz as az

    ll = tree["log_likelihood"].to_dataset()
    parts = [v.transpose("chain", "draw", ...).values for v in ll.data_vars.values()]
    flat = np.concatenate([v.reshape(*v.shape[:2], -1) for v in parts], axis=-1)
    groups = {"log_likelihood": xr.Dataset({"log_likelihood": (("chain", "draw", "observation"), flat)})}
    post = tree.children.get("posterior")
    same_draws = post is not None and (post.sizes.get("chain"), post.sizes.get("draw")) == flat.shape[:2]
    if same_draws:
        groups["posterior"] = post.to_dataset()
    with warnings.catch_warnings():  # high Pareto k is reported in the attributes instead
        warnings.simplefilter("ignore")
        res = az.loo(xr.DataTree.from_dict(groups), pointwise=True, reff=None if same_draws else 1.0)
    k = res.pareto_k.values
    return xr.DataArray(
        res.elpd_i.values,
        dims="observation",
        coords={"observation": np.arange(flat.shape[-1])},
        attrs={
            "p_loo": float(res.p),
            "pareto_k_max": float(k.max()),
            "n_high_k": int((k > res.good_k).sum()),
            "good_k": float(res.good_k),
        },
    )


def score_table(names: list[str], scores: list[xr.DataArray], **columns: list) -> pd.DataFrame:
    """Rank models by pointwise predictive scores (``lpd`` per data point, nats) on one common dim.

    Columns: ``elpd`` (sum, nats) and ``se``; the same per point (``elpd_point``, ``se_point``); ``delta``
    (difference to the best model) and ``delta_se`` from the paired pointwise differences; the
    ``hyperparameters`` each model used and its fitting time ``time_s`` (from the scores' attributes); then
    ``columns`` (one value per model). Sorted best first. Raises ``ValueError`` if the models were not scored
    on the same points.
    """
    dim = scores[0].dims[0]
    ref = scores[0][dim].values
    if any(s.dims != (dim,) or not np.array_equal(s[dim].values, ref) for s in scores[1:]):
        raise ValueError("the models were scored on different data points (are the data the same?)")
    lpd = np.stack([s.values for s in scores])
    n = lpd.shape[1]
    best = int(np.argmax(lpd.sum(axis=1)))
    diff = lpd - lpd[best]
    table = pd.DataFrame(
        {
            "variant": [s.attrs.get("variant", "") for s in scores],
            "elpd": lpd.sum(axis=1),
            "se": np.sqrt(n * lpd.var(axis=1, ddof=1)),
            "elpd_point": lpd.mean(axis=1),
            "se_point": np.sqrt(lpd.var(axis=1, ddof=1) / n),
            "delta": diff.sum(axis=1),
            "delta_se": np.sqrt(n * diff.var(axis=1, ddof=1)),
            "hyperparameters": [s.attrs.get("hyperparameters", "") for s in scores],
            "time_s": [float(s.attrs.get("time_s", np.nan)) for s in scores],
            **columns,
        },
        index=pd.Index(names, name="spec"),
    )
    return table.sort_values("elpd", ascending=False)
