"""Heavy-tailed (Student-t) difference prior: exact scale-mixture Gibbs sampling, empirical-Bayes scale.

Model (image units): ``y = x + e``, ``e ~ N(0, sigma^2 I)`` and
``p(x | s) ∝ prod_edges (1 + (dx_e / s)^2 / nu)^(-(nu + 1) / 2)`` over the 4-neighbour edges (anisotropic),
``nu`` fixed (1 = Cauchy). Any such scale family has the normaliser ``∝ s^(N-1)`` (substitute ``x = s u`` on
the (N-1)-dimensional space orthogonal to the constants), so the score in ``log s`` is
``(nu + 1) sum_e r_e / (1 + r_e) - (N - 1)`` with ``r_e = dx_e^2 / (nu s^2)``.

Sampler: the Student-t is a Gaussian scale mixture, ``dx_e | w_e ~ N(0, s^2 / w_e)``,
``w_e ~ Gamma(nu/2, nu/2)``, so Gibbs alternates exact draws of ``w | x`` (Gamma) and of ``x | w`` by a
red-black sweep of exact Gaussian full conditionals. No step size and no discretisation bias; the posterior
is not log-concave, so the chain may be slow between well-separated modes.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayesgeo.denoise import _kernels
from bayesgeo.denoise.sapg import fit_empirical_bayes, observed_image


class StudentTGibbs:
    """Scale-mixture Gibbs kernel for the Student-t difference prior; keeps the edge precisions ``w``.

    ``weight`` (default all ones) weights each pixel's data term; 0 holds a pixel out.
    """

    def __init__(self, y: np.ndarray, nu: float = 1.0, weight: np.ndarray | None = None) -> None:
        self.y, self.nu = y, float(nu)
        self.weight = np.ones_like(y) if weight is None else weight
        n1, n2 = y.shape
        self.w1 = np.ones((n1 - 1, n2))
        self.w2 = np.ones((n1, n2 - 1))
        self.z = np.empty_like(y)

    def step(self, x: np.ndarray, scale: float, beta: float, rng: np.random.Generator) -> float:
        inv_s2 = 1.0 / scale**2
        shape = (self.nu + 3.0) / 2.0
        g1, g2 = rng.standard_gamma(shape, self.w1.shape), rng.standard_gamma(shape, self.w2.shape)
        e1, e2 = rng.standard_exponential(self.w1.shape), rng.standard_exponential(self.w2.shape)
        _kernels.student_t_weights(x, inv_s2, self.nu, g1, g2, e1, e2, self.w1, self.w2)
        rng.standard_normal(out=self.z)
        return _kernels.gmrf_checkerboard(x, self.y, self.weight, beta, inv_s2, self.w1, self.w2, self.z)

    def score(self, x: np.ndarray, scale: float) -> tuple[float, float]:
        a, b = _kernels.student_t_stats(x, 1.0 / scale**2, self.nu)
        return (self.nu + 1.0) * a - (x.size - 1.0), -2.0 * (self.nu + 1.0) * b


def fit_student_t(
    y: np.ndarray,
    sigma: float | str | None = None,
    *,
    nu: float = 0.1,
    n_iter: int = 400,
    n_samples: int = 800,
    n_burn: int = 100,
    n_keep: int = 100,
    n_draws: int = 4,
    step: float = 0.2,
    seed: int = 0,
    n_threads: int | None = None,
    progress: bool = False,
    weight: np.ndarray | None = None,
) -> xr.Dataset:
    """Empirical-Bayes denoising with a Student-t prior on neighbour differences (Gibbs + SAPG).

    ``nu`` is the fixed degrees of freedom (smaller = heavier tails, sharper edges); the scale ``s`` (image
    units) and, with ``sigma=None``, the noise s.d. are estimated by marginal likelihood. Default
    ``nu = 0.1``: on ``camera`` at sigma = 25/255 the evidence gradient in ``nu`` (estimated with a prior
    chain) is negative over 0.1-1.6, i.e. the data favour heavy tails, and the chain still mixes there (pixel
    IACT ~5 sweeps). Other parameters (``weight``: held-out pixels) and the result as
    :func:`bayesgeo.denoise.proximal.fit_tv`, with
    ``scale`` in place of ``theta`` and no ``image_map``. The default chain is shorter than TV's: the Gibbs
    sampler mixes ~3x faster per step (pixel IACT ~5 vs ~18 for MYULA) but a step costs ~3x more.
    """
    y, weight = observed_image(y, weight)
    return fit_empirical_bayes(
        StudentTGibbs(y, nu, weight),
        y,
        0.5 * _kernels.tv(y) / y.size,
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
        hyper="scale",
        hyper_units="image units",
        hyper_long_name="Student-t scale of neighbour differences",
        attrs={"prior": f"student_t (nu={nu:g}, anisotropic)", "sampler": "scale-mixture Gibbs", "nu": nu},
    )
