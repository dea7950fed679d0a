"""Exact Gaussian algebra for Gaussian Markov random fields on regular grids.

The model is ``y = x + e`` with ``e ~ N(0, 1/beta I)`` and a prior precision ``alpha * g(L)`` where ``L`` is
the nearest-neighbour graph Laplacian of a 1-D, 2-D or 3-D grid and ``g`` a spectral function (``g(l) = l``:
first-order GMRF; ``l**2``: thin plate; ``l + kappa**2``: proper CAR). ``L`` is diagonalised by an orthonormal
transform ``T`` — the DCT-II for a free (Neumann) boundary and the DFT for a periodic one — so every quantity
below costs one or two transforms, O(N log N). When some pixels are unobserved (held out), the posterior is
no longer diagonal in that basis; :func:`masked_solve` and :func:`masked_draw` then use conjugate gradients
preconditioned by the full-data (diagonal) precision.

All functions are pure; ``xp`` arguments accept ``numpy`` or ``pytensor.tensor`` so the same formula serves
the exact path and the PyMC model of the collapsed hyperparameter posterior.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft
from scipy.sparse.linalg import LinearOperator, cg

BOUNDARIES = ("neumann", "periodic")


def check_boundary(boundary: str) -> str:
    if boundary not in BOUNDARIES:
        raise ValueError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
    return boundary


def laplacian_eigenvalues(shape: tuple[int, ...], boundary: str = "neumann") -> np.ndarray:
    """Eigenvalues of the grid-graph Laplacian, on the grid of spectral indices (same shape as the grid).

    Neumann: ``sum_d 2 - 2 cos(pi k_d / n_d)``; periodic: ``sum_d 2 - 2 cos(2 pi k_d / n_d)``. Zero at k = 0.
    """
    check_boundary(boundary)
    factor = np.pi if boundary == "neumann" else 2 * np.pi
    lam = np.zeros(shape)
    for axis, n in enumerate(shape):
        k = np.arange(n).reshape([-1 if a == axis else 1 for a in range(len(shape))])
        lam = lam + (2.0 - 2.0 * np.cos(factor * k / n))
    lam[(0,) * len(shape)] = 0.0  # exact zero for the constant mode
    return lam


def laplacian_matrix(shape: tuple[int, ...], boundary: str = "neumann") -> np.ndarray:
    """Dense grid Laplacian ``D - W`` (4-neighbour in 2-D); for tests on small grids only."""
    check_boundary(boundary)
    n = int(np.prod(shape))
    idx = np.arange(n).reshape(shape)
    W = np.zeros((n, n))
    for axis, m in enumerate(shape):
        if m < 2:
            continue
        a = np.moveaxis(idx, axis, 0)
        pairs = [(a[:-1], a[1:])]
        if boundary == "periodic" and m > 2:
            pairs.append((a[-1:], a[:1]))
        for i, j in pairs:
            W[i.ravel(), j.ravel()] += 1.0
            W[j.ravel(), i.ravel()] += 1.0
    return np.diag(W.sum(1)) - W


def forward(x: np.ndarray, boundary: str = "neumann") -> np.ndarray:
    """Orthonormal transform ``T x`` that diagonalises the Laplacian (DCT-II or DFT over every axis)."""
    if check_boundary(boundary) == "neumann":
        return sfft.dctn(x, type=2, norm="ortho")
    return sfft.fftn(x, norm="ortho")


def inverse(c: np.ndarray, boundary: str = "neumann") -> np.ndarray:
    """Inverse of :func:`forward`; returns a real array."""
    if check_boundary(boundary) == "neumann":
        return sfft.idctn(c, type=2, norm="ortho")
    return sfft.ifftn(c, norm="ortho").real


def power(y: np.ndarray, boundary: str = "neumann") -> np.ndarray:
    """Spectral power ``|T y|^2`` (the data enter the evidence only through it)."""
    c = forward(y, boundary)
    return (c * np.conj(c)).real if np.iscomplexobj(c) else c**2


def evidence_terms(power: np.ndarray, g: np.ndarray, ratio, xp=np):
    """The two sums through which the data and the prior enter the evidence, at ``ratio = alpha / beta``.

    Returns ``(sum log(1 + 1/(ratio g)), sum power ratio g / (1 + ratio g))``; with them the evidence is
    cheap in ``beta`` (see :func:`log_evidence`), which the hyperparameter quadrature exploits.
    """
    rg = ratio * g
    return xp.sum(xp.log1p(1.0 / rg)), xp.sum(power * rg / (1.0 + rg))


def log_evidence_from_terms(logdet, quad, n: int, beta, xp=np):
    """``log p(y | alpha, beta)`` from :func:`evidence_terms` for ``n`` proper modes."""
    return -0.5 * (n * np.log(2 * np.pi) + logdet - n * xp.log(beta) + beta * quad)


def log_evidence(power: np.ndarray, g: np.ndarray, alpha, beta, xp=np):
    """Log marginal likelihood ``log p(y | alpha, beta)`` over the proper modes (flat modes drop out).

    ``power`` is ``|T y|^2`` and ``g`` the prior's spectral function, both restricted to the proper modes
    (see :func:`proper_modes`); ``alpha`` is the prior precision scale and ``beta = 1/sigma^2`` the noise
    precision. Per mode ``y_k ~ N(0, 1/beta + 1/(alpha g_k))``. With ``xp=pytensor.tensor`` this builds a
    graph.
    """
    logdet, quad = evidence_terms(power, g, alpha / beta, xp)
    return log_evidence_from_terms(logdet, quad, power.size, beta, xp)


def proper_modes(g: np.ndarray) -> np.ndarray:
    """Boolean mask of the modes with positive prior precision (the others are flat and drop out)."""
    return g > 1e-12 * max(float(np.max(g)), 1.0)


def posterior_filter(g: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """Spectral posterior-mean filter ``beta / (beta + alpha g)``."""
    return beta / (beta + alpha * g)


def posterior_mean(y: np.ndarray, g: np.ndarray, alpha: float, beta: float, boundary: str = "neumann"):
    """Exact posterior mean ``(beta I + alpha g(L))^-1 beta y``."""
    return inverse(forward(y, boundary) * posterior_filter(g, alpha, beta), boundary)


def transform_matrix(n: int) -> np.ndarray:
    """Orthonormal DCT-II matrix ``C`` (rows = frequencies) so that ``forward(x) = C x`` in 1-D."""
    return sfft.dct(np.eye(n), type=2, norm="ortho", axis=0)


def pointwise_variance(spectral_var: np.ndarray, boundary: str = "neumann") -> np.ndarray:
    """Diagonal of ``T^T diag(spectral_var) T``: per-pixel variance from per-mode variance.

    Neumann: one small matrix product per axis with the squared DCT matrix; periodic: a constant field
    (the covariance is stationary).
    """
    if check_boundary(boundary) == "periodic":
        return np.full(spectral_var.shape, spectral_var.mean())
    out = spectral_var
    for axis, n in enumerate(spectral_var.shape):
        C2 = transform_matrix(n) ** 2
        out = np.moveaxis(np.tensordot(C2.T, np.moveaxis(out, axis, 0), axes=1), 0, axis)
    return out


def posterior_variance(g: np.ndarray, alpha: float, beta: float, boundary: str = "neumann") -> np.ndarray:
    """Exact per-pixel posterior variance ``diag((beta I + alpha g(L))^-1)``."""
    return pointwise_variance(1.0 / (beta + alpha * g), boundary)


def draw(
    y: np.ndarray,
    g: np.ndarray,
    alpha: float,
    beta: float,
    rng: np.random.Generator,
    boundary: str = "neumann",
) -> np.ndarray:
    """One exact draw from ``x | y, alpha, beta``: mean plus ``T^T (T z) / sqrt(beta + alpha g)``."""
    z = forward(rng.standard_normal(y.shape), boundary) / np.sqrt(beta + alpha * g)
    return posterior_mean(y, g, alpha, beta, boundary) + inverse(z, boundary)


def masked_solve(
    b: np.ndarray,
    weight: np.ndarray,
    g: np.ndarray,
    alpha: float,
    beta: float,
    boundary: str = "neumann",
    rtol: float = 1e-10,
    max_iter: int = 1000,
) -> np.ndarray:
    """Solve ``(beta W + alpha g(L)) x = b`` with ``W = diag(weight)``, by preconditioned conjugate gradients.

    ``weight`` (shape of ``b``, >= 0, not all zero) scales each pixel's data term: 1 observed, 0 held out.
    With zero weights the transform no longer diagonalises the precision; CG runs in the spectral domain,
    where the full-data precision ``beta + alpha g`` is diagonal and is the preconditioner (two transforms per
    iteration). Raises ``RuntimeError`` if the relative residual does not reach ``rtol`` in ``max_iter``.
    """
    shape, d = b.shape, (beta + alpha * g).ravel()
    rhs = forward(b, boundary).ravel()

    def precision(u: np.ndarray) -> np.ndarray:
        u = u.reshape(shape)
        return (beta * forward(weight * inverse(u, boundary), boundary) + alpha * g * u).ravel()

    n = rhs.size
    op = LinearOperator((n, n), matvec=precision, dtype=rhs.dtype)
    pre = LinearOperator((n, n), matvec=lambda r: r / d, dtype=rhs.dtype)
    u, info = cg(op, rhs, x0=rhs / d, rtol=rtol, atol=0.0, maxiter=max_iter, M=pre)
    if info != 0:
        raise RuntimeError(f"conjugate gradients did not converge to {rtol:g} in {max_iter} iterations")
    return inverse(u.reshape(shape), boundary)


def masked_draw(
    y: np.ndarray,
    weight: np.ndarray,
    g: np.ndarray,
    alpha: float,
    beta: float,
    rng: np.random.Generator,
    boundary: str = "neumann",
) -> np.ndarray:
    """One exact draw from ``x | y`` when pixel ``i`` has noise precision ``beta weight_i`` (0: held out).

    Perturbation-optimisation (Papandreou & Yuille 2010; Orieux et al. 2012): with
    ``P = beta W + alpha g(L)`` and ``z1, z2 ~ N(0, I)``,
    ``x = P^-1 (beta W y + sqrt(beta W) z1 + sqrt(alpha) T' sqrt(g) T z2)``; the bracket has covariance
    ``P``, so ``x ~ N(P^-1 beta W y, P^-1)`` exactly, up to the solver tolerance. ``y`` at zero-weight
    pixels is never used.
    """
    b = beta * weight * y + np.sqrt(beta * weight) * rng.standard_normal(y.shape)
    b += np.sqrt(alpha) * inverse(np.sqrt(g) * forward(rng.standard_normal(y.shape), boundary), boundary)
    return masked_solve(b, weight, g, alpha, beta, boundary)


def prior_conditional(
    x: np.ndarray, g: np.ndarray, alpha: float, boundary: str = "neumann"
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of each ``x_i`` given all the others under the prior precision ``Q = alpha g(L)``.

    ``E[x_i | x_-i] = x_i - (Q x)_i / Q_ii`` and ``Var = 1 / Q_ii``, with ``diag(Q)`` from
    :func:`pointwise_variance` (the same squared-transform sum). At an unobserved pixel the posterior has the
    same conditional, so this Rao-Blackwellises a posterior draw there.
    """
    q_diag = alpha * pointwise_variance(g, boundary)
    qx = alpha * inverse(g * forward(x, boundary), boundary)
    return x - qx / q_diag, 1.0 / q_diag


def prior_draw(
    shape: tuple[int, ...], g: np.ndarray, alpha: float, rng: np.random.Generator, boundary: str = "neumann"
) -> np.ndarray:
    """One draw from the prior ``N(0, (alpha g(L))^+)``; flat modes are set to zero (mean-zero field)."""
    proper = proper_modes(g)
    scale = np.where(proper, 1.0 / np.sqrt(alpha * np.where(proper, g, 1.0)), 0.0)
    return inverse(forward(rng.standard_normal(shape), boundary) * scale, boundary)


def em_hyperparameters(
    power: np.ndarray,
    g: np.ndarray,
    alpha: float = 1.0,
    beta: float = 1.0,
    fixed_beta: bool = False,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    beta_max: float = np.inf,
) -> tuple[float, float, int]:
    """Type-II maximum likelihood of ``(alpha, beta)`` by the MacKay fixed point, O(N) per iteration.

    ``power`` and ``g`` are restricted to the proper modes. The fixed point is the stationary point of
    :func:`log_evidence`: ``alpha = gamma / sum(g m^2)`` and ``beta = (N - gamma) / sum((1 - f)^2 power)``
    with ``f`` the posterior filter and ``gamma = sum(f)``. Returns ``(alpha, beta, iterations)``. When the
    evidence grows without bound as the noise vanishes (a noise-free, perfectly smooth image), ``beta`` runs
    off to infinity; the iteration then stops at ``beta_max``.
    """
    for it in range(1, max_iter + 1):
        f = beta / (beta + alpha * g)
        gamma = np.sum(f)
        new_alpha = gamma / np.sum(g * power * f**2)
        new_beta = beta if fixed_beta else (power.size - gamma) / np.sum(power * (1 - f) ** 2)
        if not new_beta <= beta_max:
            return alpha, beta, it
        done = abs(new_alpha - alpha) <= tol * alpha and abs(new_beta - beta) <= tol * beta
        alpha, beta = new_alpha, new_beta
        if done:
            return alpha, beta, it
    return alpha, beta, max_iter
