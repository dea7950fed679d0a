"""Empirical-Bayes hyperparameters for image priors by SAPG, with a pluggable image sampler.

Model: ``y = x + e``, ``e ~ N(0, I / beta)``, prior ``p(x | a)`` with one positive hyperparameter ``a``
(the TV weight ``theta`` or the Student-t scale ``s``). SAPG (Vidal et al. 2020, SIAM J. Imaging Sci.
13:1945) is a Robbins-Monro ascent of the log marginal likelihood ``log p(y | a, beta)`` in ``u = log a``
and ``v = log beta``, with the Fisher identity giving the gradients as posterior expectations:

    d/du log p(y) = E[d/du log p(x | a) | y],      d/dv log p(y) = n/2 - beta E[||y - x||^2] / 2,

(``n`` observed pixels and the sum of squares over them: pixels can be held out with weight 0), one
Markov-chain draw of ``x`` per iteration. For a scale family the normaliser is explicit
(``Z(a) ∝ a^{±(N-1)}``), so the per-draw score ``d/du log p(x | a)`` is cheap. Louis' identity then gives
the observed information from the chain at the estimate,

    -d²/d(u,v)² log p(y) = -(E[h(x)] + Cov[g(x)]),

(``g`` the per-draw score vector, ``h`` its derivative), i.e. a Laplace approximation of the hyperparameter
posterior under a flat prior on ``(u, v)``.

An image kernel is any object with ``step(x, a, beta, rng) -> ||y - x||^2`` (one Markov step in place,
invariant for — or approximating — ``p(x | y, a, beta)``; the sum of squares over the observed pixels),
``score(x, a) -> (g, h)`` and the pixel weights ``weight`` of its data term.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import numba
import numpy as np
import xarray as xr
from tqdm import tqdm


class ImageKernel(Protocol):
    weight: np.ndarray  # per-pixel weight of the data term (1 observed, 0 held out)

    def step(self, x: np.ndarray, a: float, beta: float, rng: np.random.Generator) -> float: ...

    def score(self, x: np.ndarray, a: float) -> tuple[float, float]: ...


def sapg(
    kernel: ImageKernel,
    x: np.ndarray,
    a: float,
    beta: float,
    *,
    fit_beta: bool,
    n_iter: int,
    rng: np.random.Generator,
    n_obs: float | None = None,
    step: float = 0.3,
    n_const: int | None = None,
    n_warmup: int = 50,
    progress: bool = False,
) -> dict[str, np.ndarray | float]:
    """Maximum marginal likelihood of ``a`` (and ``beta`` when ``fit_beta``) by SAPG; ``x`` evolves in place.

    Each iteration takes one kernel step and a Robbins-Monro step on ``w = (log a, log beta)``,
    ``w += gamma_k g / J`` (each component clipped to ±0.2), with ``g`` the per-draw score and ``J`` a running
    mean (~20 steps) of the complete-data information ``-h``. This EM-like scaling makes the rate the fraction
    of information carried by the data (never above 1, so no overshoot) whatever the prior's units; a
    Newton scaling by the Louis estimate ``-E[h] - Var[g]`` was tried and oscillates with the lag of the
    chain. ``gamma_k = step`` for ``n_const`` iterations
    (default ``n_iter // 4``), then ``step (n_const / k)^0.8``. The estimates are the averages of ``w`` over
    the second half. The chain first takes ``n_warmup`` steps at the initial values (from ``x = y`` the
    residual would otherwise drag ``sigma`` down). ``n_obs`` is the number of observed pixels (default: all).
    Returns ``a``, ``beta`` and the per-iteration traces ``a_trace``, ``beta_trace``.
    """
    n = x.size if n_obs is None else n_obs
    n_const = max(n_iter // 4 if n_const is None else n_const, 1)
    w = np.array([np.log(a), np.log(beta)])
    free = np.array([True, fit_beta])
    trace = np.empty((n_iter, 2))
    for _ in range(n_warmup):
        kernel.step(x, a, beta, rng)
    info = None
    for k in tqdm(range(n_iter), disable=not progress, desc="SAPG", leave=False):
        a, beta = np.exp(w)
        rss = kernel.step(x, a, beta, rng)
        g, h = np.array([kernel.score(x, a), (n / 2 - beta * rss / 2, -beta * rss / 2)]).T
        info = -h if info is None else 0.95 * info - 0.05 * h
        gamma = step * min(1.0, (n_const / (k + 1)) ** 0.8)
        w += np.where(free, np.clip(gamma * g / info, -0.2, 0.2), 0.0)
        trace[k] = w
    w_hat = trace[n_iter // 2 :].mean(axis=0)
    return {
        "a": float(np.exp(w_hat[0])),
        "beta": float(np.exp(w_hat[1])),
        "a_trace": np.exp(trace[:, 0]),
        "beta_trace": np.exp(trace[:, 1]),
    }


def sample_posterior(
    kernel: ImageKernel,
    x: np.ndarray,
    y: np.ndarray,
    a: float,
    beta: float,
    *,
    n_samples: int,
    n_keep: int,
    rng: np.random.Generator,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """Run the kernel ``n_samples`` steps at fixed hyperparameters; pixel moments, kept draws and scores.

    Keeps ``n_keep`` equally spaced draws (float32) for quantiles. Returns ``mean``, ``sd``, ``kept``
    (``(n_keep, *shape)``), and per step ``score`` (prior score ``g``), ``hess`` (its derivative) and ``rss``.
    """
    thin = max(n_samples // n_keep, 1)
    n_keep = n_samples // thin
    kept = np.empty((n_keep, *x.shape), dtype=np.float32)
    s1 = np.zeros_like(x)
    s2 = np.zeros_like(x)
    stats = np.empty((n_samples, 3))
    for k in tqdm(range(n_samples), disable=not progress, desc="posterior", leave=False):
        rss = kernel.step(x, a, beta, rng)
        d = x - y  # shifted accumulation keeps the variance accurate
        s1 += d
        s2 += d * d
        stats[k] = (*kernel.score(x, a), rss)
        if (k + 1) % thin == 0 and (k + 1) // thin <= n_keep:
            kept[(k + 1) // thin - 1] = x
    m = s1 / n_samples
    var = np.maximum(s2 / n_samples - m * m, 0.0) * n_samples / max(n_samples - 1, 1)
    return {
        "mean": y + m,
        "sd": np.sqrt(var),
        "kept": kept,
        "score": stats[:, 0],
        "hess": stats[:, 1],
        "rss": stats[:, 2],
    }


def laplace_covariance(
    score: np.ndarray, hess: np.ndarray, rss: np.ndarray | None, beta: float, n: int
) -> np.ndarray:
    """Covariance of ``(log a[, log beta])`` from Louis' identity on a chain at the estimate.

    ``rss`` (``||y - x||^2`` per draw) is given when ``beta`` was estimated; its score is
    ``n/2 - beta rss/2`` and derivative ``-beta rss/2``. Returns a 1x1 or 2x2 matrix, NaN when the estimated
    information is not positive definite (too short a chain for the variance estimate).
    """
    g = [score]
    h = [np.mean(hess)]
    if rss is not None:
        g.append(n / 2 - beta * rss / 2)
        h.append(np.mean(-beta * rss / 2))
    g = np.array(g)
    info = -(np.diag(h) + np.atleast_2d(np.cov(g)))
    if np.any(np.linalg.eigvalsh(info) <= 0):
        return np.full(info.shape, np.nan)
    return np.linalg.inv(info)


def iact(series: np.ndarray) -> float:
    """Integrated autocorrelation time (Sokal's adaptive window, ``c = 5``), in steps."""
    z = series - series.mean()
    if not np.any(z):
        return 1.0
    f = np.fft.rfft(z, 2 * z.size)
    acf = np.fft.irfft(f * np.conj(f))[: z.size]
    acf /= acf[0]
    tau = 2.0 * np.cumsum(acf) - 1.0
    window = np.arange(z.size) >= 5.0 * tau
    m = int(np.argmax(window)) if window.any() else z.size - 1
    return float(max(tau[m], 1.0))


def _lognormal_summary(name: str, log_mean: float, log_sd: float, units: str, long_name: str) -> dict:
    z = 1.6448536269514722
    attrs = {"units": units, "long_name": long_name}
    return {
        name: ((), np.exp(log_mean), attrs | {"estimator": "marginal-likelihood estimate"}),
        f"{name}_sd": ((), np.exp(log_mean) * log_sd, attrs | {"estimator": "Laplace, delta method"}),
        f"{name}_q05": ((), np.exp(log_mean - z * log_sd), attrs),
        f"{name}_q95": ((), np.exp(log_mean + z * log_sd), attrs),
    }


def denoise_dataset(
    y: np.ndarray,
    post: dict,
    fit: dict,
    *,
    hyper: str,
    hyper_units: str,
    hyper_long_name: str,
    sigma_known: bool,
    n_draws: int,
    n_obs: float,
    extra: dict | None = None,
    attrs: dict | None = None,
) -> xr.Dataset:
    """Assemble the result of an empirical-Bayes denoising run as an ``xarray.Dataset``.

    Image variables on dims ``(y, x)`` (image units): ``image`` (posterior mean), ``image_sd``,
    ``image_q05``, ``image_q95``, ``image_draws`` (``draw``, ``y``, ``x``); hyperparameters as scalars
    with ``_sd``/``_q05``/``_q95`` from the Laplace approximation; SAPG traces on dim ``iteration``.
    ``n_obs`` is the number of observed pixels.
    """
    rss = None if sigma_known else post["rss"]
    cov = laplace_covariance(post["score"], post["hess"], rss, fit["beta"], n_obs)
    sd = np.sqrt(np.diag(cov))
    q05, q95 = np.quantile(post["kept"], [0.05, 0.95], axis=0)
    step_draws = np.linspace(0, post["kept"].shape[0] - 1, min(n_draws, post["kept"].shape[0])).astype(int)
    dims = ("y", "x")
    units = {"units": "image units"}
    data = {
        "image": (dims, post["mean"], units | {"long_name": "posterior mean"}),
        "image_sd": (dims, post["sd"], units | {"long_name": "posterior standard deviation"}),
        "image_q05": (dims, q05.astype(float), units | {"long_name": "posterior 5 % quantile"}),
        "image_q95": (dims, q95.astype(float), units | {"long_name": "posterior 95 % quantile"}),
        "image_draws": (("draw", *dims), post["kept"][step_draws].astype(float), units),
        f"{hyper}_trace": (("iteration",), fit["a_trace"], {"long_name": f"SAPG iterate of {hyper}"}),
        "sigma_trace": (("iteration",), 1.0 / np.sqrt(fit["beta_trace"]), units),
    }
    data |= _lognormal_summary(hyper, np.log(fit["a"]), sd[0], hyper_units, hyper_long_name)
    sigma = 1.0 / np.sqrt(fit["beta"])
    if sigma_known:
        data["sigma"] = ((), sigma, units | {"long_name": "noise standard deviation (given)"})
    else:
        data |= _lognormal_summary(
            "sigma", np.log(sigma), sd[1] / 2, "image units", "noise standard deviation"
        )
    data |= extra or {}
    info = {
        "sigma_known": int(sigma_known),
        f"iact_{hyper}_score": iact(post["score"]),
        "n_samples": post["score"].size,
        "n_kept": post["kept"].shape[0],
    }
    return xr.Dataset(data, attrs=info | (attrs or {}))


def mad_sigma(y: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Robust noise s.d. (image units): median absolute diagonal Haar detail / 0.6745 (Donoho & Johnstone).

    Same estimator as ``skimage.restoration.estimate_sigma`` with the ``db1`` wavelet, without PyWavelets.
    With ``weight``, 2 x 2 blocks holding a held-out pixel (weight 0) are left out.
    """
    n1, n2 = (y.shape[0] // 2) * 2, (y.shape[1] // 2) * 2
    d = (y[0:n1:2, 0:n2:2] - y[1:n1:2, 0:n2:2] - y[0:n1:2, 1:n2:2] + y[1:n1:2, 1:n2:2]) / 2.0
    if weight is not None:
        w = weight[:n1, :n2] > 0
        d = d[w[0::2, 0::2] & w[1::2, 0::2] & w[0::2, 1::2] & w[1::2, 1::2]]
    return float(np.median(np.abs(d)) / 0.6744897501960817)


def observed_image(y: np.ndarray, weight: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The image as contiguous floats with held-out pixels (weight 0) replaced, and the weights.

    A held-out pixel takes the mean of its observed 4-neighbours (the observed mean if it has none), so
    nothing downstream — starting values, ``mad_sigma``, initial hyperparameters — depends on its value.
    ``weight`` ``None`` means all ones.
    """
    y = np.ascontiguousarray(y, dtype=float)
    if weight is None:
        return y, np.ones_like(y)
    weight = np.ascontiguousarray(weight, dtype=float)
    obs = weight > 0
    yo = np.where(obs, y, 0.0)
    total, count = np.zeros_like(y), np.zeros_like(y)
    for axis in (0, 1):
        for shift in (1, -1):
            idx = np.arange(y.shape[axis]) - shift
            valid = ((idx >= 0) & (idx < y.shape[axis])).reshape([-1 if a == axis else 1 for a in (0, 1)])
            idx = np.clip(idx, 0, y.shape[axis] - 1)
            total += np.where(valid, np.take(yo, idx, axis=axis), 0.0)
            count += np.where(valid, np.take(obs, idx, axis=axis), 0.0)
    fill = np.where(count > 0, total / np.maximum(count, 1.0), yo[obs].mean())
    return np.where(obs, y, fill), weight


@contextmanager
def numba_threads(n: int | None) -> Iterator[None]:
    """Run the numba kernels on ``n`` threads inside the block (``None``: leave numba's setting)."""
    old = numba.get_num_threads()
    if n is not None:
        numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(old)


def fit_empirical_bayes(
    kernel: ImageKernel,
    y: np.ndarray,
    a0: float,
    sigma: float | str | None,
    *,
    n_iter: int,
    n_samples: int,
    n_burn: int,
    n_keep: int,
    n_draws: int,
    step: float,
    seed: int,
    n_threads: int | None,
    progress: bool,
    hyper: str,
    hyper_units: str,
    hyper_long_name: str,
    map_fn=None,
    attrs: dict | None = None,
) -> xr.Dataset:
    """SAPG for ``a`` (and ``sigma``), then a chain at the estimate: the shared body of ``fit_*``.

    ``sigma``: a number (known, image units), ``None`` (joint marginal likelihood, started from
    :func:`mad_sigma`) or ``"mad"`` (fixed at :func:`mad_sigma`). ``map_fn(y, a, sigma)``, when given, adds
    ``image_map`` when every pixel is observed. Pixels the kernel's ``weight`` holds out (0) are not data:
    the noise terms count the observed pixels only, and the kept draws there are returned as
    ``heldout_draws`` (``sample``, ``heldout``). See :func:`denoise_dataset` for the result.
    """
    timer = Timer()
    rng = np.random.default_rng(seed)
    weight = kernel.weight
    if sigma is None or sigma == "mad":
        s0 = mad_sigma(y, weight)
        method = "marginal likelihood (SAPG)" if sigma is None else "MAD of Haar details"
    else:
        s0, method = float(sigma), "given"
    fit_beta = sigma is None
    x = y.copy()
    with numba_threads(n_threads):
        fit = sapg(
            kernel,
            x,
            a0,
            1 / s0**2,
            fit_beta=fit_beta,
            n_iter=n_iter,
            rng=rng,
            n_obs=float(weight.sum()),
            step=step,
            progress=progress,
        )
        t_sapg = timer.lap()
        for _ in range(n_burn):
            kernel.step(x, fit["a"], fit["beta"], rng)
        post = sample_posterior(
            kernel,
            x,
            y,
            fit["a"],
            fit["beta"],
            n_samples=n_samples,
            n_keep=n_keep,
            rng=rng,
            progress=progress,
        )
        t_sample = timer.lap()
        held = weight == 0
        extra = {"heldout_draws": (("sample", "heldout"), post["kept"][:, held])} if held.any() else {}
        if map_fn is not None and not held.any():
            extra["image_map"] = (
                ("y", "x"),
                map_fn(y, fit["a"], 1 / np.sqrt(fit["beta"])),
                {"units": "image units", "long_name": "MAP at the estimated hyperparameters"},
            )
    info = {
        "sigma_method": method,
        "n_iter": n_iter,
        "step": step,
        "seed": seed,
        "time_sapg_s": t_sapg,
        "time_sample_s": t_sample,
        "wall_time_s": t_sapg + t_sample + timer.lap(),
    }
    return denoise_dataset(
        y,
        post,
        fit,
        hyper=hyper,
        hyper_units=hyper_units,
        hyper_long_name=hyper_long_name,
        sigma_known=not fit_beta,
        n_draws=n_draws,
        n_obs=float(weight.sum()),
        extra=extra,
        attrs=(attrs or {}) | info,
    )


class Timer:
    """Wall-clock stopwatch: ``Timer()``, then ``.lap()`` returns seconds since the last lap."""

    def __init__(self) -> None:
        self._t = time.perf_counter()

    def lap(self) -> float:
        t, self._t = self._t, time.perf_counter()
        return self._t - t
