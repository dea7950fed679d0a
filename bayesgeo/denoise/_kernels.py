"""Numba kernels for the non-Gaussian image samplers (2-D arrays, rows parallel with ``prange``).

Conventions: forward differences with a free (Neumann) boundary, ``(D1 x)[i, j] = x[i+1, j] - x[i, j]`` and
``(D2 x)[i, j] = x[i, j+1] - x[i, j]``, zero on the last row/column; ``div = -D^T``. Edge arrays of the
Student-t sampler have shapes ``(n1 - 1, n2)`` (vertical edges) and ``(n1, n2 - 1)`` (horizontal edges).
Random numbers are drawn outside by a ``numpy.random.Generator`` and passed in, so results do not depend on
the number of threads. Data terms carry a per-pixel ``weight`` (1 observed, 0 held out).
"""

from __future__ import annotations

import numba as nb
import numpy as np

_TAU = 0.25  # Chambolle dual step (1/4 in 2-D, as in scikit-image)


@nb.njit(parallel=True, cache=True)
def tv(x: np.ndarray) -> float:
    """Isotropic total variation ``sum_ij sqrt((D1 x)^2 + (D2 x)^2)``."""
    n1, n2 = x.shape
    total = 0.0
    for i in nb.prange(n1):
        row = 0.0
        for j in range(n2):
            g1 = x[i + 1, j] - x[i, j] if i < n1 - 1 else 0.0
            g2 = x[i, j + 1] - x[i, j] if j < n2 - 1 else 0.0
            row += np.sqrt(g1 * g1 + g2 * g2)
        total += row
    return total


@nb.njit(inline="always")
def _div(p1: np.ndarray, p2: np.ndarray, i: int, j: int, n1: int, n2: int) -> float:
    d = 0.0
    if i < n1 - 1:
        d += p1[i, j]
    if i > 0:
        d -= p1[i - 1, j]
    if j < n2 - 1:
        d += p2[i, j]
    if j > 0:
        d -= p2[i, j - 1]
    return d


@nb.njit(parallel=True, cache=True)
def _dual_iterations(v: np.ndarray, weight: float, p1: np.ndarray, p2: np.ndarray, n_inner: int) -> None:
    """``n_inner`` Chambolle projection steps on the dual of ``prox_{weight TV}(v)`` (``p`` in place)."""
    n1, n2 = v.shape
    u = np.empty_like(v)
    inv_w = 1.0 / weight
    for _ in range(n_inner):
        for i in nb.prange(n1):
            for j in range(n2):
                u[i, j] = _div(p1, p2, i, j, n1, n2) - v[i, j] * inv_w
        for i in nb.prange(n1):
            for j in range(n2):
                g1 = u[i + 1, j] - u[i, j] if i < n1 - 1 else 0.0
                g2 = u[i, j + 1] - u[i, j] if j < n2 - 1 else 0.0
                den = 1.0 + _TAU * np.sqrt(g1 * g1 + g2 * g2)
                p1[i, j] = (p1[i, j] + _TAU * g1) / den
                p2[i, j] = (p2[i, j] + _TAU * g2) / den


@nb.njit(parallel=True, cache=True)
def tv_prox(v: np.ndarray, weight: float, p1: np.ndarray, p2: np.ndarray, n_inner: int) -> np.ndarray:
    """``argmin_x ||x - v||^2 / 2 + weight TV(x)`` by warm-started Chambolle iterations (``p`` updated)."""
    _dual_iterations(v, weight, p1, p2, n_inner)
    n1, n2 = v.shape
    out = np.empty_like(v)
    for i in nb.prange(n1):
        for j in range(n2):
            out[i, j] = v[i, j] - weight * _div(p1, p2, i, j, n1, n2)
    return out


@nb.njit(parallel=True, cache=True)
def myula_step(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    beta: float,
    theta: float,
    lam: float,
    delta: float,
    p1: np.ndarray,
    p2: np.ndarray,
    n_inner: int,
    noise: np.ndarray,
) -> float:
    """One MYULA step for ``exp(-beta sum w (y - x)^2 / 2 - theta TV(x))``, in place; returns
    ``sum w (y - x)^2``.

    ``x <- x - delta beta w (x - y) - (delta / lam) (x - prox_{lam theta TV}(x)) + sqrt(2 delta) noise``,
    the prox by ``n_inner`` dual iterations warm-started from ``p``.
    """
    tv_weight = lam * theta
    _dual_iterations(x, tv_weight, p1, p2, n_inner)
    n1, n2 = x.shape
    a = delta * beta
    b = delta / lam * tv_weight
    c = np.sqrt(2.0 * delta)
    total = 0.0
    for i in nb.prange(n1):
        row = 0.0
        for j in range(n2):
            w = weight[i, j]
            xn = x[i, j] - a * w * (x[i, j] - y[i, j]) - b * _div(p1, p2, i, j, n1, n2) + c * noise[i, j]
            x[i, j] = xn
            row += w * (y[i, j] - xn) ** 2
        total += row
    return total


@nb.njit(parallel=True, cache=True)
def student_t_weights(
    x: np.ndarray,
    inv_s2: float,
    nu: float,
    g1: np.ndarray,
    g2: np.ndarray,
    e1: np.ndarray,
    e2: np.ndarray,
    w1: np.ndarray,
    w2: np.ndarray,
) -> None:
    """Gibbs update of the edge precisions ``w ~ Gamma(a = (nu + 1) / 2, rate (nu + dx^2 / s^2) / 2)``.

    ``g`` are standard Gamma(a + 1) and ``e`` standard exponential draws on the edge arrays;
    ``g exp(-e / a)`` is standard Gamma(a) (Stuart's boost: much faster than drawing Gamma(a < 1) directly).
    ``w`` is written in place.
    """
    n1, n2 = x.shape
    inv_a = 2.0 / (nu + 1.0)
    for i in nb.prange(n1):
        for j in range(n2):
            if i < n1 - 1:
                d = x[i + 1, j] - x[i, j]
                w1[i, j] = 2.0 * g1[i, j] * np.exp(-e1[i, j] * inv_a) / (nu + d * d * inv_s2)
            if j < n2 - 1:
                d = x[i, j + 1] - x[i, j]
                w2[i, j] = 2.0 * g2[i, j] * np.exp(-e2[i, j] * inv_a) / (nu + d * d * inv_s2)


@nb.njit(parallel=True, cache=True)
def gmrf_checkerboard(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    beta: float,
    inv_s2: float,
    w1: np.ndarray,
    w2: np.ndarray,
    z: np.ndarray,
) -> float:
    """Red-black Gibbs sweep for ``x | w`` with precision ``beta diag(weight) + D^T W D / s^2``; returns
    ``sum weight (y - x)^2``.

    Each pixel's full conditional is Gaussian with precision ``beta weight + sum_e w_e / s^2``; ``z`` holds
    the standard normal draws.
    """
    n1, n2 = x.shape
    for color in range(2):
        for i in nb.prange(n1):
            for j in range((i + color) % 2, n2, 2):
                prec = beta * weight[i, j]
                m = prec * y[i, j]
                if i > 0:
                    a = w1[i - 1, j] * inv_s2
                    prec += a
                    m += a * x[i - 1, j]
                if i < n1 - 1:
                    a = w1[i, j] * inv_s2
                    prec += a
                    m += a * x[i + 1, j]
                if j > 0:
                    a = w2[i, j - 1] * inv_s2
                    prec += a
                    m += a * x[i, j - 1]
                if j < n2 - 1:
                    a = w2[i, j] * inv_s2
                    prec += a
                    m += a * x[i, j + 1]
                x[i, j] = m / prec + z[i, j] / np.sqrt(prec)
    total = 0.0
    for i in nb.prange(n1):
        row = 0.0
        for j in range(n2):
            row += weight[i, j] * (y[i, j] - x[i, j]) ** 2
        total += row
    return total


@nb.njit(parallel=True, cache=True)
def student_t_stats(x: np.ndarray, inv_s2: float, nu: float) -> tuple[float, float]:
    """``(sum_e r_e / (1 + r_e), sum_e r_e / (1 + r_e)^2)``, ``r_e = dx_e^2 / (nu s^2)``, all edges."""
    n1, n2 = x.shape
    c = inv_s2 / nu
    s1 = 0.0
    s2 = 0.0
    for i in nb.prange(n1):
        a = 0.0
        b = 0.0
        for j in range(n2):
            if i < n1 - 1:
                d = x[i + 1, j] - x[i, j]
                r = d * d * c
                a += r / (1.0 + r)
                b += r / (1.0 + r) ** 2
            if j < n2 - 1:
                d = x[i, j + 1] - x[i, j]
                r = d * d * c
                a += r / (1.0 + r)
                b += r / (1.0 + r) ** 2
        s1 += a
        s2 += b
    return s1, s2


@nb.njit(parallel=True, cache=True)
def ising_sweep(s: np.ndarray, h: np.ndarray, coupling: float, u: np.ndarray) -> None:
    """Red-black heat-bath sweep for ``p(s) ∝ exp(J sum_<ij> s_i s_j + sum_i h_i s_i)``, ``s`` in {-1, +1}.

    ``u`` holds uniform(0, 1) draws; ``s`` is updated in place.
    """
    n1, n2 = s.shape
    for color in range(2):
        for i in nb.prange(n1):
            for j in range((i + color) % 2, n2, 2):
                n = 0.0
                if i > 0:
                    n += s[i - 1, j]
                if i < n1 - 1:
                    n += s[i + 1, j]
                if j > 0:
                    n += s[i, j - 1]
                if j < n2 - 1:
                    n += s[i, j + 1]
                p_up = 1.0 / (1.0 + np.exp(-2.0 * (coupling * n + h[i, j])))
                s[i, j] = 1 if u[i, j] < p_up else -1


@nb.njit(parallel=True, cache=True)
def ising_pseudo_score(s: np.ndarray, coupling: float) -> tuple[float, float]:
    """Gradient and 2nd derivative in ``J`` of the log pseudo-likelihood ``sum_i log p(s_i | s_di, J)``.

    ``p(s_i | .) = exp(J s_i n_i) / (2 cosh(J n_i))`` with ``n_i`` the sum of the 4 neighbours.
    """
    n1, n2 = s.shape
    g = 0.0
    hsum = 0.0
    for i in nb.prange(n1):
        a = 0.0
        b = 0.0
        for j in range(n2):
            n = 0.0
            if i > 0:
                n += s[i - 1, j]
            if i < n1 - 1:
                n += s[i + 1, j]
            if j > 0:
                n += s[i, j - 1]
            if j < n2 - 1:
                n += s[i, j + 1]
            t = np.tanh(coupling * n)
            a += n * (s[i, j] - t)
            b -= n * n * (1.0 - t * t)
        g += a
        hsum += b
    return g, hsum
