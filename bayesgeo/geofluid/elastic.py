"""Elastic moduli and velocities of liquid-bearing rock with spheroidal pores.

All functions take an array namespace ``xp`` (``numpy`` or ``pytensor.tensor``) and broadcast over every
argument, so one implementation serves NumPy evaluation and PyMC models (e.g. solid properties of shape
``(lithology, 1)``, liquid properties ``(1, liquid)`` and porosity/aspect-ratio tensors of any broadcastable
shape). Units: moduli GPa, density kg/m3, velocity km/s, porosity, aspect ratio and contiguity dimensionless.

Takei (2002, JGR 107(B2) 2043, doi:10.1029/2001JB000522) writes the liquid-saturated (undrained,
low-frequency) rock through the moduli ``K_b``, ``N`` of its drained solid skeleton
(:func:`undrained_moduli`) and gives the skeleton for two pore geometries:

* equilibrium geometry, parameterised by the grain-boundary contiguity ``psi``: fitted functions of
  ``psi`` and the solid's Poisson ratio (her Appendix A, Table A1) -> :func:`contiguity_skeleton_moduli`;
* randomly oriented oblate spheroids of aspect ratio ``alpha`` -> :func:`skeleton_moduli`. Her own
  numerical skeleton values for this model are not available from any public source we could find
  (VBRc and GeoParams.jl implement only the contiguity model; GeoParams' ``melt_correction_Takei`` uses a
  Dean (1983) self-consistent skeleton with a first-order velocity reduction instead). bayesgeo uses the
  exact dilute (first order in ``phi``) Eshelby-Wu coefficients of empty spheroids (Berryman 1980), closed
  at finite porosity by the Mori-Tanaka mean field. Every effective-medium closure shares that first-order
  term, so the small-porosity quantities Takei uses to read pore shape (velocity reductions per unit
  ``phi`` and their ratio ``dlnVs/dlnVp`` as functions of ``alpha``) are those of the exact dilute solution
  (for melt in diorite: dlnVs/dlnVp = 1.21 at alpha = 1, 1.41 at 0.1, 2.21 at 0.01); at ``phi`` comparable
  to ``alpha`` the closure matters (see ``berryman1980_sc`` below).

Schemes (registry ``ELASTIC_SCHEMES``), all ``f(phi, alpha, k_s, g_s, rho_s, k_l, rho_l, xp)``:

``takei2002`` (default)
    Takei's undrained composite on the oblate-spheroid skeleton of :func:`skeleton_moduli`. The skeleton
    never loses rigidity (``K_b, N > 0`` for ``phi < 1``), so the model is smooth over the whole prior box
    ``phi <= 0.3``, ``alpha >= 1e-3``.
``berryman1980_sc``
    Independent cross-check: Berryman's (1980, JASA 68:1820) self-consistent scheme with isolated
    (unrelaxed) liquid spheroids in a matrix of solid spheres. It agrees with ``takei2002`` to about
    0.01-0.02 km/s for near-spherical pores (alpha ~ 0.9, phi <= 0.1) and diverges for flat pores: isolated
    liquid films stiffen the bulk modulus less than the drained-undrained (Gassmann) relaxation, and the
    self-consistent skeleton collapses near its percolation porosity (phi ~ alpha for thin cracks), so
    at alpha = 0.01 the two differ by tenths of km/s (values recorded in tests/test_geofluid_physics.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "ELASTIC_SCHEMES",
    "berryman_self_consistent",
    "composite_density",
    "contiguity_skeleton_moduli",
    "polarization_factors",
    "skeleton_moduli",
    "takei2002",
    "undrained_moduli",
    "velocities",
]

ALPHA_MAX = 0.9999  # aspect ratios above are evaluated at this value (sphere limit, error < 1e-6)
ALPHA_MIN = 1e-6


def _oblate_theta_f(alpha, xp):
    """Berryman (1980) shape functions theta and f for oblate spheroids (aspect ratio alpha < 1)."""
    a = xp.clip(alpha, ALPHA_MIN, ALPHA_MAX)
    t2 = 1.0 - a**2
    theta = a / t2**1.5 * (xp.arccos(a) - a * xp.sqrt(t2))
    f = a**2 / t2 * (3.0 * theta - 2.0)
    return theta, f


def polarization_factors(k_m, g_m, k_i, g_i, alpha, xp=np):
    """Orientation-averaged Eshelby-Wu factors P (bulk) and Q (shear) of a spheroidal inclusion.

    Berryman (1980), J. Acoust. Soc. Am. 68:1820, eqs. as tabulated in Mavko, Mukerji & Dvorkin (2009,
    The Rock Physics Handbook, sect. 4.8). Inclusion (k_i, g_i) of aspect ratio alpha in background
    (k_m, g_m); P -> (k_m + 4g_m/3)/(k_i + 4g_m/3) for spheres.
    """
    theta, f = _oblate_theta_f(alpha, xp)
    a = g_i / g_m - 1.0
    b = (k_i / k_m - g_i / g_m) / 3.0
    r = 3.0 * g_m / (3.0 * k_m + 4.0 * g_m)
    c = 3.0 - 4.0 * r
    f1 = 1.0 + a * (1.5 * (f + theta) - r * (1.5 * f + 2.5 * theta - 4.0 / 3.0))
    f2 = (
        1.0
        + a * (1.0 + 1.5 * (f + theta) - r * (1.5 * f + 2.5 * theta))
        + b * c
        + a / 2.0 * (a + 3.0 * b) * c * (f + theta - r * (f - theta + 2.0 * theta**2))
    )
    f3 = 1.0 + a * (1.0 - (f + 1.5 * theta) + r * (f + theta))
    f4 = 1.0 + a / 4.0 * (f + 3.0 * theta - r * (f - theta))
    f5 = a * (-f + r * (f + theta - 4.0 / 3.0)) + b * theta * c
    f6 = 1.0 + a * (1.0 + f - r * (f + theta)) + b * (1.0 - theta) * c
    f7 = 2.0 + a / 4.0 * (3.0 * f + 9.0 * theta - r * (3.0 * f + 5.0 * theta)) + b * theta * c
    f8 = a * (1.0 - 2.0 * r + f / 2.0 * (r - 1.0) + theta / 2.0 * (5.0 * r - 3.0)) + b * (1.0 - theta) * c
    f9 = a * ((r - 1.0) * f - r * theta) + b * theta * c
    t_iijj = 3.0 * f1 / f2
    t_ijij = t_iijj / 3.0 + 2.0 / f3 + 1.0 / f4 + (f4 * f5 + f6 * f7 - f8 * f9) / (f2 * f4)
    p = t_iijj / 3.0
    q = (t_ijij - p) / 5.0
    return p, q


def skeleton_moduli(phi, alpha, k_s, g_s, xp=np):
    """Drained skeleton moduli (K_b, N) (GPa) of a solid with randomly oriented oblate-spheroid pores.

    ``K_b = (1-phi) K_s / (1 - phi + phi P)``, ``N = (1-phi) G_s / (1 - phi + phi Q)`` with the
    orientation-averaged factors P, Q of an empty spheroid in the solid (Berryman 1980): the Mori-Tanaka
    closure of the exact dilute result ``K_b = K_s (1 - phi P)``, ``N = G_s (1 - phi Q)`` (see the module
    docstring for why this stands in for Takei's numerical values). ``phi -> 0`` gives the solid.
    """
    p, q = polarization_factors(k_s, g_s, 0.0, 0.0, alpha, xp)
    k_b = (1.0 - phi) * k_s / (1.0 - phi + phi * p)
    n = (1.0 - phi) * g_s / (1.0 - phi + phi * q)
    return k_b, n


# Takei (2002) Table A1: exponents n_K, n_mu of the contiguity model as polynomials in the solid's Poisson
# ratio nu (rows i = 1..3, columns = coefficients of nu^0, nu^1, ...). Two public transcriptions differ in
# one digit of b_12: 0.13572 (VBRc, el_ModUnrlx_MELT_f.m) and 0.13527 (GeoParams.jl, SeismicVelocity.jl,
# whose block carries a FIXME about a layout change). The digit cannot be settled from the paper's figures or
# from limits: it moves n_mu by 4.5e-4 nu and N/mu by < 2e-5 anywhere in 0 <= psi <= 1, 0.1 <= nu <= 0.4
# (asserted in the tests). bayesgeo uses 0.13572, as transcribed by VBRc.
_TAKEI_A = (
    (1.8625, 0.52594, -4.8397, 0.0),
    (4.5001, -6.1551, -4.3634, 0.0),
    (-5.6512, 6.9159, 29.595, -58.96),
)
_TAKEI_B = (
    (1.6122, 0.13572, 0.0),
    (4.5869, 3.6086, 0.0),
    (-7.5395, -4.8676, -4.3182),
)


def _poly(coefficients, nu):
    return sum(c * nu**j for j, c in enumerate(coefficients))


def contiguity_skeleton_moduli(phi, psi, k_s, g_s):
    """Drained skeleton moduli (K_b, N) (GPa) of Takei's equilibrium-geometry model (Takei 2002, App. A).

    ``K_b / K_s = (1 - phi) (1 - (1 - psi)^n_K)``, ``N / G_s = (1 - phi) (1 - (1 - psi)^n_mu)`` with
    ``n_K = a_1 psi + a_2 (1 - psi) + a_3 psi (1 - psi)^1.5``, ``n_mu = b_1 psi + b_2 (1 - psi) +
    b_3 psi (1 - psi)^2``, ``a_i, b_i`` polynomials in the solid's Poisson ratio (Table A1, eqs. A3-A6).

    Parameters
    ----------
    phi : array_like
        Porosity (liquid fraction).
    psi : array_like
        Grain-boundary contiguity in [0, 1]: 1 = no liquid on grain boundaries, 0 = grains fully wetted.
    k_s, g_s : array_like
        Solid bulk and shear moduli (GPa); NumPy arrays or PyTensor tensors.
    """
    nu = (3.0 * k_s - 2.0 * g_s) / (2.0 * (3.0 * k_s + g_s))
    a1, a2, a3 = (_poly(row, nu) for row in _TAKEI_A)
    b1, b2, b3 = (_poly(row, nu) for row in _TAKEI_B)
    wet = 1.0 - psi
    n_k = a1 * psi + a2 * wet + a3 * psi * wet**1.5
    n_mu = b1 * psi + b2 * wet + b3 * psi * wet**2
    k_b = (1.0 - phi) * (1.0 - wet**n_k) * k_s
    n = (1.0 - phi) * (1.0 - wet**n_mu) * g_s
    return k_b, n


def undrained_moduli(phi, k_b, n, k_s, k_l):
    """Undrained (liquid-saturated, relaxed pore pressure) bulk and shear moduli (Takei 2002; Gassmann 1951).

    ``K = K_b + (1 - K_b/K_s)^2 / (phi/K_l + (1 - phi)/K_s - K_b/K_s^2)``, ``mu = N``; moduli in GPa.
    """
    k = k_b + (1.0 - k_b / k_s) ** 2 / (phi / k_l + (1.0 - phi) / k_s - k_b / k_s**2)
    return k, n


def composite_density(phi, rho_s, rho_l):
    """Density of the liquid-bearing rock (kg/m3): ``(1 - phi) rho_s + phi rho_l``."""
    return (1.0 - phi) * rho_s + phi * rho_l


def velocities(k, g, rho, xp=np):
    """P and S velocities (km/s) from bulk and shear moduli (GPa) and density (kg/m3)."""
    scale = np.sqrt(1e9) / 1e3
    return scale * xp.sqrt((k + 4.0 * g / 3.0) / rho), scale * xp.sqrt(g / rho)


def takei2002(phi, alpha, k_s, g_s, rho_s, k_l, rho_l, xp=np):
    """Vp, Vs (km/s) of rock with liquid-filled oblate-spheroid pores (Takei 2002 composite).

    Undrained moduli (:func:`undrained_moduli`) on the spheroid skeleton of :func:`skeleton_moduli`;
    density :func:`composite_density`.

    Parameters
    ----------
    phi : array_like
        Porosity (liquid volume fraction), in [0, 1).
    alpha : array_like
        Pore aspect ratio (short/long axis), in (0, 1].
    k_s, g_s, rho_s : array_like
        Solid bulk and shear moduli (GPa) and density (kg/m3).
    k_l, rho_l : array_like
        Liquid bulk modulus (GPa) and density (kg/m3).
    xp : module
        ``numpy`` or ``pytensor.tensor``.

    Returns
    -------
    vp, vs : array_like
        Broadcast over all inputs, km/s.
    """
    k_b, n = skeleton_moduli(phi, alpha, k_s, g_s, xp)
    k, g = undrained_moduli(phi, k_b, n, k_s, k_l)
    return velocities(k, g, composite_density(phi, rho_s, rho_l), xp)


def berryman_self_consistent(phi, alpha, k_s, g_s, rho_s, k_l, rho_l, xp=np, n_iter: int = 300):
    """Vp, Vs (km/s) from Berryman's (1980) self-consistent scheme with isolated liquid spheroids.

    Solid as spheres, liquid as spheroids of aspect ratio alpha; solved by damped fixed-point iteration
    (``n_iter`` steps, unrolled). A cross-check for :func:`takei2002`, not meant for sampling.
    """
    k, g = k_s + 0.0 * phi * alpha, g_s + 0.0 * phi * alpha
    for _ in range(n_iter):
        p_s, q_s = polarization_factors(k, g, k_s, g_s, 1.0, xp)
        p_l, q_l = polarization_factors(k, g, k_l, 0.0, alpha, xp)
        k_new = ((1.0 - phi) * k_s * p_s + phi * k_l * p_l) / ((1.0 - phi) * p_s + phi * p_l)
        g_new = ((1.0 - phi) * g_s * q_s) / ((1.0 - phi) * q_s + phi * q_l)
        k, g = 0.5 * (k + k_new), 0.5 * (g + g_new)
    return velocities(k, g, composite_density(phi, rho_s, rho_l), xp)


ELASTIC_SCHEMES: dict[str, Callable[..., tuple]] = {
    "takei2002": takei2002,
    "berryman1980_sc": berryman_self_consistent,
}
