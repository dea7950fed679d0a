"""Binary image restoration with an Ising prior, checkerboard Gibbs sampling and empirical-Bayes coupling.

Model: labels ``s_i`` in {-1, +1} with ``p(s | J) ∝ exp(J sum_<ij> s_i s_j)`` over 4-neighbour pairs (free
boundary), observed either with Gaussian noise, ``y_i = mu_{s_i} + e_i``, ``e_i ~ N(0, sigma^2)``
(``levels = (mu_-, mu_+)`` in image units), or through independent label flips with probability ``eps``
(``y`` in {0, 1}). The posterior is again an Ising model with external field ``h``, sampled exactly by
red-black heat-bath sweeps.

Hyperparameters by stochastic approximation along the chain: ``J`` by a Newton step on the prior
pseudo-likelihood of the current draw (Monte Carlo EM with a pseudo-likelihood M-step; the Ising partition
function is intractable), ``sigma``, ``levels`` and ``eps`` by their exact EM updates. The estimates are the
averages of the iterates over the second half; no uncertainty is reported for them. Held-out pixels (weight 0)
get no external field and take no part in the noise updates.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from tqdm import tqdm

from bayesgeo.denoise import _kernels
from bayesgeo.denoise.sapg import Timer, numba_threads, observed_image


def _field(y: np.ndarray, noise: str, levels: np.ndarray, beta: float, eps: float) -> np.ndarray:
    """External field ``h_i = (log p(y_i | +1) - log p(y_i | -1)) / 2``."""
    if noise == "gaussian":
        return beta * ((y - levels[0]) ** 2 - (y - levels[1]) ** 2) / 4.0
    return (2.0 * y - 1.0) * 0.5 * np.log((1.0 - eps) / eps)


def fit_ising(
    y: np.ndarray,
    *,
    noise: str = "gaussian",
    sigma: float | None = None,
    levels: tuple[float, float] | None = None,
    flip: float | None = None,
    coupling: float | None = None,
    n_iter: int = 500,
    n_samples: int = 1000,
    step: float = 0.3,
    seed: int = 0,
    n_threads: int | None = None,
    progress: bool = False,
    weight: np.ndarray | None = None,
) -> xr.Dataset:
    """Empirical-Bayes Ising restoration of a binary image.

    Parameters
    ----------
    y : 2-D array; image units for ``noise="gaussian"``, 0/1 labels for ``noise="flip"``.
    noise : ``"gaussian"`` (additive, s.d. ``sigma``, class means ``levels``) or ``"flip"`` (label flips).
    sigma, levels, flip : fixed noise parameters; ``None`` estimates them (initial values: s.d. from
        the residual variance after an Otsu split, the Otsu class means, 0.1).
    coupling : fixed ``J``; ``None`` estimates it.
    n_iter : estimation sweeps; ``n_samples`` sweeps at the estimate for the summaries.
    step : stochastic-approximation step (constant for the first quarter, then decaying as ``k^-0.8``).
    seed, n_threads, progress : random seed, numba threads (default: numba's), tqdm bar.
    weight : 1 for observed pixels, 0 for held-out ones (default all observed; only 0/1 are meaningful here).
        Held-out values of ``y`` are never used; the noiseless value there (class mean, or 0/1 label for
        flips) is returned for every posterior sweep as ``heldout_draws`` (``sample``, ``heldout``).

    Returns
    -------
    xarray.Dataset with ``probability`` = P(s = +1 | y) on ``(y, x)``; ``image`` (posterior mean in image
    units, ``levels`` weighted by the probability; the label probability for flips), ``image_sd``,
    ``image_q05``, ``image_q95``; ``label`` (marginal MAP, 0/1); ``coupling``, ``sigma``, ``levels``,
    ``flip`` estimates and their traces on ``iteration``.
    """
    from skimage.filters import threshold_otsu

    timer = Timer()
    rng = np.random.default_rng(seed)
    y, weight = observed_image(y, weight)
    obs = weight > 0
    n = int(obs.sum())
    gauss = noise == "gaussian"
    if gauss:
        t = threshold_otsu(y[obs])
        low, high = obs & (y <= t), obs & (y > t)
        mu = np.array(levels, float) if levels is not None else np.array([y[low].mean(), y[high].mean()])
        s = np.where(y > mu.mean(), 1, -1).astype(np.int8)
        beta = 1.0 / sigma**2 if sigma is not None else 1.0 / np.var((y - mu[(s + 1) // 2])[obs])
        eps = 0.0
    elif noise == "flip":
        mu = np.array([0.0, 1.0])
        s = np.where(y > 0.5, 1, -1).astype(np.int8)
        beta = 0.0
        eps = 0.1 if flip is None else float(flip)
    else:
        raise ValueError(f"noise must be 'gaussian' or 'flip', got {noise!r}")
    J = 0.3 if coupling is None else float(coupling)
    u = np.empty_like(y)
    trace = np.empty((n_iter, 5))
    n_const = max(n_iter // 4, 1)
    with numba_threads(n_threads):
        for k in tqdm(range(n_iter), disable=not progress, desc="Ising EM", leave=False):
            rng.random(out=u)
            _kernels.ising_sweep(s, weight * _field(y, noise, mu, beta, eps), J, u)
            gamma = step * min(1.0, (n_const / (k + 1)) ** 0.8)
            if coupling is None:
                g, h = _kernels.ising_pseudo_score(s, J)
                J = max(J + gamma * g / max(-h, 1e-12 * n), 0.0)
            up = s > 0
            if gauss and levels is None and 0 < np.sum(up & obs) < n:
                mu += gamma * (np.array([y[~up & obs].mean(), y[up & obs].mean()]) - mu)
            if gauss and sigma is None:
                rss = np.sum(weight * (y - np.where(up, mu[1], mu[0])) ** 2)
                beta *= np.exp(gamma * np.clip(1.0 - beta * rss / n, -1, 1))
            if not gauss and flip is None:
                eps = float(np.clip(eps + gamma * (np.mean((up != (y > 0.5))[obs]) - eps), 1e-6, 0.5 - 1e-6))
            trace[k] = J, beta, mu[0], mu[1], eps
        est = trace[n_iter // 2 :].mean(axis=0)
        J, beta, mu, eps = est[0], est[1], est[2:4], est[4]
        field = weight * _field(y, noise, mu, beta, eps)
        p = np.zeros_like(y)
        held = np.empty((n_samples, int(np.sum(~obs))), dtype=np.int8)
        for k in tqdm(range(n_samples), disable=not progress, desc="posterior", leave=False):
            rng.random(out=u)
            _kernels.ising_sweep(s, field, J, u)
            p += s > 0
            held[k] = s[~obs]
    p /= n_samples
    dims = ("y", "x")
    lo, hi = mu
    units = {"units": "image units"}
    data = {
        "probability": (dims, p, {"long_name": "posterior probability of the +1 label"}),
        "image": (dims, lo + (hi - lo) * p, units | {"long_name": "posterior mean"}),
        "image_sd": (dims, abs(hi - lo) * np.sqrt(p * (1 - p)), units),
        "image_q05": (dims, np.where(p > 0.95, hi, lo), units),
        "image_q95": (dims, np.where(p > 0.05, hi, lo), units),
        "label": (dims, (p > 0.5).astype(np.int8), {"long_name": "marginal MAP label (1 = +1)"}),
        "coupling": ((), J, {"long_name": "Ising coupling J", "units": "1"}),
        "coupling_trace": (("iteration",), trace[:, 0]),
    }
    if gauss:
        data |= {
            "sigma": ((), 1 / np.sqrt(beta), units | {"long_name": "noise standard deviation"}),
            "sigma_trace": (("iteration",), 1 / np.sqrt(trace[:, 1]), units),
            "levels": (("label_value",), mu, units | {"long_name": "class means"}),
            "levels_trace": (("iteration", "label_value"), trace[:, 2:4], units),
        }
    else:
        data |= {
            "flip": ((), eps, {"long_name": "label flip probability"}),
            "flip_trace": (("iteration",), trace[:, 4]),
        }
    if held.size:
        values = mu[(held + 1) // 2] if gauss else (held + 1) // 2
        data["heldout_draws"] = (("sample", "heldout"), values.astype(float), units if gauss else {})
    coords = {"label_value": [-1, 1]} if gauss else {}
    attrs = {
        "prior": "ising",
        "noise": noise,
        "sampler": "checkerboard Gibbs",
        "n_iter": n_iter,
        "n_samples": n_samples,
        "seed": seed,
        "wall_time_s": timer.lap(),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)
