"""Total-variation image restoration by proximal MCMC (MYULA) with empirical-Bayes weight and noise.

Model (image units throughout): ``y = x + e``, ``e ~ N(0, sigma^2 I)``, ``beta = 1 / sigma^2``, and the
isotropic TV prior ``p(x | theta) ∝ exp(-theta TV(x))``, ``TV(x) = sum_ij |(D x)_ij|`` with forward
differences and a free boundary (the constant image is not penalised). TV is 1-homogeneous, so the
normaliser on the (N-1)-dimensional space orthogonal to the constants is ``∝ theta^-(N-1)`` exactly and the
score in ``u = log theta`` is ``N - 1 - theta TV(x)``.

Sampler: MYULA (Durmus, Moulines & Pereyra 2018) on the Moreau-Yosida envelope of ``theta TV`` with
parameter ``lam = lam_frac sigma^2``, step ``delta = rho / (beta + 1 / lam)``; the prox is a warm-started
Chambolle dual iteration. Hyperparameters by SAPG (:mod:`bayesgeo.denoise.sapg`), then a chain at the
estimate gives the posterior mean (TV-LSE), per-pixel s.d. and quantiles.

Measured (camera 512^2, sigma = 25/255): the MAP at the estimated weight reaches 28.8 dB, the posterior mean
only 26.9 dB. This is the TV model, not the sampler: against an exact single-site Metropolis chain MYULA's
pixel means agree to 0.4/255 and its s.d. to 5 %; the TV posterior at the noise temperature keeps a residual
noise (pixel s.d. ~15/255) that its mean does not average away, at any weight (best 27.8 dB at 256^2, at
1.6 times the marginal-likelihood weight). Heavy-tailed priors (:mod:`bayesgeo.denoise.scale_mixture`) do
better in the mean.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayesgeo.denoise import _kernels
from bayesgeo.denoise.sapg import fit_empirical_bayes, observed_image


def tv_prox(v: np.ndarray, weight: float, n_iter: int = 300) -> np.ndarray:
    """``argmin_x ||x - v||^2 / 2 + weight TV(x)`` (Chambolle 2004), ``n_iter`` dual iterations from zero.

    ``weight`` is in image units; it is the ``weight`` of ``skimage.restoration.denoise_tv_chambolle``.
    """
    v = np.ascontiguousarray(v, dtype=float)
    return _kernels.tv_prox(v, float(weight), np.zeros_like(v), np.zeros_like(v), n_iter)


def tv_map(y: np.ndarray, theta: float, sigma: float, n_iter: int = 300) -> np.ndarray:
    """MAP of the TV posterior: ``tv_prox(y, theta sigma^2)``."""
    return tv_prox(y, theta * sigma**2, n_iter)


class MYULA:
    """MYULA kernel for ``p(x | y, theta, beta)`` under the TV prior; keeps the warm-start dual variable.

    ``lam_frac`` sets the Moreau-Yosida parameter ``lam = lam_frac / beta`` (image units squared), ``rho``
    the step as a fraction of the stability limit ``1 / (beta + 1 / lam)``, ``n_inner`` the dual iterations
    per step (with the warm start 4 gives the same weight estimate as 8 to 0.1 %; 1 biases it by -3 %).
    ``weight`` (default all ones) weights each pixel's data term; 0 holds a pixel out.
    """

    def __init__(
        self,
        y: np.ndarray,
        lam_frac: float = 0.05,
        rho: float = 1.0,
        n_inner: int = 4,
        weight: np.ndarray | None = None,
    ) -> None:
        self.y = y
        self.weight = np.ones_like(y) if weight is None else weight
        self.lam_frac, self.rho, self.n_inner = lam_frac, rho, n_inner
        self.p1 = np.zeros_like(y)
        self.p2 = np.zeros_like(y)
        self.noise = np.empty_like(y)

    def step(self, x: np.ndarray, theta: float, beta: float, rng: np.random.Generator) -> float:
        lam = self.lam_frac / beta
        delta = self.rho / (beta + 1.0 / lam)
        rng.standard_normal(out=self.noise)
        return _kernels.myula_step(
            x, self.y, self.weight, beta, theta, lam, delta, self.p1, self.p2, self.n_inner, self.noise
        )

    def score(self, x: np.ndarray, theta: float) -> tuple[float, float]:
        t = theta * _kernels.tv(x)
        return x.size - 1.0 - t, -t


def fit_tv(
    y: np.ndarray,
    sigma: float | str | None = None,
    *,
    n_iter: int = 500,
    n_samples: int = 1500,
    n_burn: int = 100,
    n_keep: int = 100,
    n_draws: int = 4,
    lam_frac: float = 0.05,
    rho: float = 1.0,
    n_inner: int = 4,
    step: float = 0.2,
    seed: int = 0,
    n_threads: int | None = None,
    progress: bool = False,
    weight: np.ndarray | None = None,
) -> xr.Dataset:
    """Empirical-Bayes TV denoising with uncertainty (MYULA + SAPG).

    Parameters
    ----------
    y : 2-D array, the noisy image (image units).
    sigma : noise s.d. in image units; ``None`` estimates it jointly with ``theta`` by marginal likelihood
        (SAPG, started from :func:`bayesgeo.denoise.sapg.mad_sigma`); ``"mad"`` fixes it at that estimate.
    n_iter : SAPG iterations (one MYULA step each).
    n_samples, n_burn : MYULA steps at the estimate for the posterior summaries, after ``n_burn`` steps.
    n_keep : draws kept (float32) for the quantiles; ``n_draws`` of them are returned.
    lam_frac, rho, n_inner : Moreau-Yosida parameter as a fraction of ``sigma^2``, step as a fraction of the
        stability limit, Chambolle iterations per step (see :class:`MYULA`).
    step : SAPG step on ``log theta``, ``log beta`` (see :func:`bayesgeo.denoise.sapg.sapg`).
    seed : seed of the random stream; the same seed gives the same result.
    n_threads : numba threads (default: numba's; 1 is faster on an oversubscribed machine).
    progress : show tqdm progress bars.
    weight : per-pixel weight of the data term (default ones); pixels with weight 0 are held out: their values
        in ``y`` are never used, and their draws are returned as ``heldout_draws``.

    Returns
    -------
    xarray.Dataset with ``image`` (posterior mean), ``image_sd``, ``image_q05``, ``image_q95``,
    ``image_draws``, ``image_map`` (MAP at the estimate; all pixels observed only), ``theta`` (1/image units)
    and ``sigma`` with their Laplace ``_sd``/``_q05``/``_q95``, SAPG traces ``theta_trace``, ``sigma_trace``,
    timings in ``attrs``.
    """
    y, weight = observed_image(y, weight)
    return fit_empirical_bayes(
        MYULA(y, lam_frac, rho, n_inner, weight),
        y,
        y.size / _kernels.tv(y),
        sigma,
        n_iter=n_iter,
        n_samples=n_samples,
        n_burn=n_burn,
        n_keep=n_keep,
        n_draws=n_draws,
        step=step,
        seed=seed,
        n_threads=n_threads,
        progress=progress,
        hyper="theta",
        hyper_units="1/image units",
        hyper_long_name="TV weight",
        map_fn=tv_map,
        attrs={
            "prior": "tv (isotropic)",
            "sampler": "MYULA",
            "lam_frac": lam_frac,
            "rho": rho,
            "n_inner": n_inner,
        },
    )
