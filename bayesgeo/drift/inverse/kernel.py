"""Tier 1: the advection-diffusion Gaussian kernel of a raft released at a point into a uniform drift.

A pumice clast released at time ``t0`` from a source drifts with the uniform velocity ``(u, v)`` (m s-1) and
diffuses with horizontal diffusivity ``Kh`` (m2 s-1): after ``tau = t - t0`` seconds its displacement from
the source (east, north metres, :func:`~bayesgeo.drift.inverse.data.displacement`) is
``N((u tau, v tau), 2 Kh tau I)``, the law the drift simulator reproduces in a uniform field.

Every function takes an ``ops`` namespace (:data:`NP` or :data:`PT`) so that one implementation serves the
PyMC model (PyTensor, for NUTS) and the NumPy evaluations (quadrature, per-draw source probabilities).
Arguments broadcast: constants of the data carry trailing ``(source, item)`` axes, parameters leading axes.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytensor.tensor as pt
from scipy import special

_FUNCS = (
    "exp",
    "expm1",
    "log",
    "log1p",
    "sqrt",
    "abs",
    "sign",
    "where",
    "maximum",
    "minimum",
    "clip",
    "erfc",
)
NP = SimpleNamespace(
    **{f: getattr(np, f) for f in _FUNCS if hasattr(np, f)}, erfc=special.erfc, erfcx=special.erfcx
)
PT = SimpleNamespace(**{f: getattr(pt, f) for f in _FUNCS}, erfcx=pt.erfcx)
_TINY = 1e-300
#: reporting-delay quadrature: nodes per mean delay and the truncation (in mean delays)
_DELAY_NODES, _DELAY_SPAN = 6, 8.0


def normal_cdf(x, ops=NP):
    return 0.5 * ops.erfc(-x / np.sqrt(2.0))


def sighting_loglik(east, north, sd2, tau, u, v, kh, ops=NP):
    """Log density of each sighting: ``N((east, north); (u, v) tau, (2 Kh tau + sd2) I)`` (tau in s)."""
    var = 2.0 * kh * tau + sd2
    r2 = (east - u * tau) ** 2 + (north - v * tau) ** 2
    return -ops.log(2.0 * np.pi * var) - r2 / (2.0 * var)


def collapsed_sighting_loglik(east, north, sd2, tau, kh, prior_u, prior_v):
    """Sightings' log likelihood with ``u``, ``v`` integrated out under independent normal priors.

    ``east``, ``north`` (source, sighting); ``tau``, ``kh`` broadcast against them with leading grid axes.
    Returns the log marginal likelihood summed over sightings (grid..., source) and the conditional normal
    posterior of each velocity component, ``{"u": (mean, sd), "v": (mean, sd)}`` with the same shape.
    """
    var = 2.0 * kh * tau + sd2
    total = -np.log(2.0 * np.pi * var).sum(-1)
    conditional = {}
    for name, y, (m, s) in (("u", east, prior_u), ("v", north, prior_v)):
        a = (tau**2 / var).sum(-1)
        b = (tau * y / var).sum(-1)
        c = (y**2 / var).sum(-1)
        precision = 1.0 / s**2 + a
        mean = (m / s**2 + b) / precision
        total = total - 0.5 * np.log(s**2 * precision) - 0.5 * (c + m**2 / s**2 - mean**2 * precision)
        conditional[name] = (mean, 1.0 / np.sqrt(precision))
    return total, conditional


def first_passage(level, speed, s2, t, ops=NP):
    """Probability that a Brownian motion with drift ``speed`` (m s-1, >= 0) and variance rate ``s2``
    (m2 s-1) started at 0 has reached ``level`` (m, either sign) by time ``t`` (s, > 0)."""
    a = ops.abs(level)
    mu = speed * ops.where(level < 0, -1.0, 1.0)
    root = ops.sqrt(s2 * t)
    z1 = (mu * t - a) / root
    z2 = (mu * t + a) / root
    toward = mu > 0
    # exp(2 mu a / s2) Phi(-z2), written with erfcx where the exponent is large (mu > 0)
    tail_toward = 0.5 * ops.erfcx(ops.where(toward, z2, 0.0) / np.sqrt(2.0)) * ops.exp(-0.5 * z1**2)
    tail_away = ops.exp(ops.where(toward, 0.0, 2.0 * mu * a / s2)) * normal_cdf(-z2, ops)
    return ops.where(a <= 0.0, 1.0, normal_cdf(z1, ops) + ops.where(toward, tail_toward, tail_away))


def arrival_fraction(east, north, radius, tau, u, v, kh, ops=NP):
    """Fraction of a raft's clasts that have come within ``radius`` (m) of a site by ``tau`` seconds.

    The site is at (``east``, ``north``) metres from the source. Along the drift, the time to reach the near
    edge of the site's disk is a first passage; across it, the clasts must pass within ``radius`` of the site
    with the cross-track spread ``2 Kh tau_c`` reached at the crossing time ``tau_c``. Zero for ``tau <= 0``.
    """
    speed = ops.sqrt(u**2 + v**2 + 1e-12)
    along = (east * u + north * v) / speed
    across = ops.abs(east * v - north * u) / speed
    level = ops.where(along > radius, along - radius, ops.where(along < -radius, along + radius, 0.0))
    s2 = 2.0 * kh + 1e-9
    t = ops.maximum(tau, 1.0)
    crossing = ops.clip(level / speed, 0.0, t)
    spread = ops.sqrt(s2 * crossing + 1.0)
    hit = normal_cdf((radius - across) / spread, ops) - normal_cdf((-radius - across) / spread, ops)
    return ops.where(tau > 0.0, first_passage(level, speed, s2, t, ops) * hit, 0.0)


def non_detection_loglik(fraction, n_effective, ops=NP):
    """``log P(no clast arrived)`` when each of ``n_effective`` independent clasts arrives with probability
    ``fraction``."""
    return n_effective * ops.log1p(-ops.minimum(fraction, 1.0 - 1e-12))


def delay_nodes(mean_delay: float) -> tuple[np.ndarray, np.ndarray]:
    """Reporting delays (days) at which the first-arrival law is evaluated, and each interval's delay
    density (exponential with ``mean_delay`` days) at its midpoint."""
    d = np.linspace(0.0, _DELAY_SPAN * mean_delay, int(_DELAY_SPAN * _DELAY_NODES) + 1)
    mid = 0.5 * (d[1:] + d[:-1])
    return d, np.exp(-mid / mean_delay) / mean_delay


def first_report_loglik(fractions, density, n_effective, ops=NP):
    """Log density (per day) of a first-stranding report after an exponential reporting delay.

    ``fractions`` holds the arrival fraction at the report time minus each delay node (last axis, increasing
    delay; see :func:`delay_nodes`) and ``density`` the delay density on each interval. The first arrival of
    ``n_effective`` clasts has CDF ``1 - (1 - F)^n``; its probability on each interval is weighted by the
    density of the delay that separates it from the report.
    """
    cdf = -ops.expm1(n_effective * ops.log1p(-ops.minimum(fractions, 1.0 - 1e-12)))
    mass = cdf[..., :-1] - cdf[..., 1:]
    return ops.log(ops.maximum((mass * density).sum(-1), _TINY))
