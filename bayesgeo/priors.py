"""Named, swappable prior components.

Smoothness priors on grids are Gaussian with precision ``alpha * g(L)``, ``L`` the grid Laplacian; each is
defined by its spectral function ``g`` (exact algebra in :mod:`bayesgeo.gmrf`). ``tau = alpha**-1/2`` is the
prior scale in data units. All three keep the constant field unpenalised (the proper CAR carries a flat mean),
so they share one null space and their evidences compare exactly.

Hyperpriors are ``pymc_extras.prior.Prior`` objects, declared in specs as
``{dist = "HalfNormal", sigma = 1}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SpectralPrior:
    """A Gaussian smoothness prior ``alpha * g(L)``; ``g(lam, **hyper)`` is zero on the constant mode."""

    name: str
    description: str
    spectrum: Callable[..., np.ndarray]
    hyper: tuple[str, ...] = ()

    def g(self, lam: np.ndarray, **hyper: float) -> np.ndarray:
        return self.spectrum(lam, **hyper)


def _car(lam: np.ndarray, kappa: float) -> np.ndarray:
    return np.where(lam > 0, lam + kappa**2, 0.0)


#: Gaussian smoothness priors on grids (first/second order intrinsic GMRF, proper CAR with a flat mean).
SMOOTHNESS = {
    p.name: p
    for p in (
        SpectralPrior(
            "gmrf", "first-order intrinsic GMRF: Gaussian neighbour differences (membrane)", lambda lam: lam
        ),
        SpectralPrior(
            "gmrf2", "second-order intrinsic GMRF: Gaussian curvature (thin plate)", lambda lam: lam**2
        ),
        SpectralPrior(
            "car",
            "proper CAR alpha (L + kappa^2 I) with a flat mean; 1/kappa is a correlation length in cells",
            _car,
            ("kappa",),
        ),
    )
}
