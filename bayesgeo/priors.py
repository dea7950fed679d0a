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


def _car(lam: np.ndarray, kappa) -> np.ndarray:
    return lam + kappa**2 * (lam > 0)  # works for a NumPy or a PyTensor kappa


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


def _shape(x) -> tuple[int, ...]:
    """Static shape of a NumPy array or a PyTensor variable (fields need a fixed grid)."""
    shape = x.type.shape if hasattr(x, "type") else x.shape
    if any(s is None for s in shape):
        raise ValueError(f"a grid field needs a static shape, got {shape}")
    return tuple(int(s) for s in shape)


def _diffs(x, axis: int, boundary: str, xp):
    """Neighbour differences along ``axis`` (with the wrap-around pair for a periodic grid)."""
    n = _shape(x)[axis]
    lo = [slice(None)] * x.ndim
    hi = [slice(None)] * x.ndim
    lo[axis], hi[axis] = slice(1, None), slice(None, -1)
    d = x[tuple(lo)] - x[tuple(hi)]
    if boundary == "periodic" and n > 2:
        first = [slice(None)] * x.ndim
        last = [slice(None)] * x.ndim
        first[axis], last[axis] = slice(0, 1), slice(n - 1, n)
        d = xp.concatenate([d, x[tuple(first)] - x[tuple(last)]], axis=axis)
    return d


def grid_differences(x, boundary: str = "neumann", xp=np) -> list:
    """Differences between grid neighbours, one array per axis (the edges of the grid graph)."""
    return [_diffs(x, axis, boundary, xp) for axis, n in enumerate(_shape(x)) if n > 1]


def laplacian_apply(x, boundary: str = "neumann", xp=np):
    """``L x`` for the grid-graph Laplacian ``D - W`` by a stencil (no matrix)."""
    out = xp.zeros_like(x)
    for axis, n in enumerate(_shape(x)):
        if n < 2:
            continue
        if boundary == "periodic" and n > 2:
            out = out + 2 * x - xp.roll(x, 1, axis=axis) - xp.roll(x, -1, axis=axis)
            continue
        d = _diffs(x, axis, boundary, xp)  # d[i] = x[i+1] - x[i]
        pad = [(0, 0)] * x.ndim
        pad_lo, pad_hi = list(pad), list(pad)
        pad_lo[axis], pad_hi[axis] = (1, 0), (0, 1)
        out = out + _pad(d, pad_hi, xp) * -1 + _pad(d, pad_lo, xp)
    return out


def _pad(d, widths, xp):
    if xp is np:
        return np.pad(d, widths)
    import pytensor.tensor as pt

    return pt.pad(d, widths)


def quadratic_form(x, prior: SpectralPrior, boundary: str = "neumann", xp=np, **hyper):
    """``x' g(L) x`` by stencils, for the smoothness priors of :data:`SMOOTHNESS`."""
    if prior.name == "gmrf":
        return sum(xp.sum(d**2) for d in grid_differences(x, boundary, xp))
    if prior.name == "gmrf2":
        return xp.sum(laplacian_apply(x, boundary, xp) ** 2)
    if prior.name == "car":
        centred = x - xp.mean(x)
        return quadratic_form(x, SMOOTHNESS["gmrf"], boundary, xp) + hyper["kappa"] ** 2 * xp.sum(centred**2)
    raise ValueError(f"no stencil for prior {prior.name!r}")


def gmrf_logp(x, tau, prior: SpectralPrior, boundary: str = "neumann", xp=np, **hyper):
    """Log density of a smoothness prior of scale ``tau`` (precision ``tau**-2 g(L)``) on a grid field ``x``.

    Includes every term that depends on ``tau`` and on the prior's own hyperparameters (the rank ``N - 1``
    pseudo-determinant), so a hyperprior on ``tau`` gives the right posterior — unlike ``pm.ICAR``, whose logp
    omits the ``-(N - 1) log tau`` term. The flat constant mode contributes nothing.
    """
    from bayesgeo.gmrf import laplacian_eigenvalues

    lam = laplacian_eigenvalues(_shape(x), boundary)
    proper = lam > 0
    rank = int(proper.sum())
    if prior.hyper:
        log_det_g = xp.sum(xp.log(prior.g(lam[proper], **hyper)))
    else:
        log_det_g = float(np.sum(np.log(prior.g(lam[proper]))))
    return (-0.5 * quadratic_form(x, prior, boundary, xp, **hyper) / tau**2 - rank * xp.log(tau)
            + 0.5 * log_det_g - 0.5 * rank * np.log(2 * np.pi))
