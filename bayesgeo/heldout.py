"""Held-out predictive scores: hold out part of the data, predict it from the rest, compare models.

For a model fitted to the observed part ``y_obs`` only, the score of a held-out datum is its log predictive
density ``log p(y_i | y_obs) = log E[p(y_i | x, theta) | y_obs]``, estimated from posterior draws by a
log-mean-exp (:func:`pointwise_lpd`). Its sum over the held-out set (``elpd``) is compared across models with
the standard error ``sqrt(n var(lpd_i))``, and two models by their pointwise differences on the same held-out
data (paired, so what the data share cancels). A case study supports this by providing
``heldout_score(problem, settings, holdout)`` (see :func:`bayesgeo.api.compare`).
"""

from __future__ import annotations

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


def score_table(names: list[str], scores: list[xr.DataArray]) -> pd.DataFrame:
    """Rank models by held-out score; ``scores`` are pointwise ``lpd`` on a common dim ``heldout``.

    Columns: ``elpd`` (sum, nats) and ``se``; the same per held-out point (``elpd_point``, ``se_point``);
    ``delta`` (difference to the best model) and ``delta_se`` from the pointwise differences; the
    ``hyperparameters`` each model used and its fitting time ``time_s``. Sorted best first. Raises
    ``ValueError`` if the models were not scored on the same held-out points.
    """
    ref = scores[0]["heldout"].values
    if any(not np.array_equal(s["heldout"].values, ref) for s in scores[1:]):
        raise ValueError("the models were scored on different held-out points (are the data the same?)")
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
        },
        index=pd.Index(names, name="spec"),
    )
    return table.sort_values("elpd", ascending=False)
