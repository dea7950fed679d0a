"""Laplace approximation (INLA-style) for latent Gaussian fields on a grid under a per-cell likelihood.

Model: ``F`` latent fields ``eta_f`` on one grid of ``N`` cells, independent a priori,
``eta_f ~ N(m_f 1, P_f^-1)`` with ``P_f = tau_f^-2 S + kappa_f I`` (``S`` the sparse structure matrix of a
smoothness prior, ``kappa_f`` a ridge), and data in cell ``c`` that depend on ``eta[:, c]`` only. The
likelihood Hessian is therefore block diagonal (``F x F`` per cell) and the joint Hessian
``H = blockdiag(P_f) + B`` is as sparse as the grid graph.

For fixed hyperparameters ``theta = log tau``:

1. the latent mode ``eta*`` by damped Newton steps on ``H`` (per-cell blocks projected onto the positive
   semi-definite cone, so every step descends), factorised as ``Pi H Pi' = L D L'`` by SuperLU with a
   symmetric fill-reducing ordering and no pivoting;
2. the Laplace marginal likelihood ``log p(y | theta) ~ log p(y, eta* | theta) + (FN/2) log 2 pi
   - 1/2 log|H|``;
3. the marginal variances ``diag(H^-1)`` by selected inversion (Takahashi recursions on ``L``), exact
   for the Gaussian approximation at O(sum of squared column counts of ``L``);
4. the next-order terms of the Laplace expansion (:func:`correction`): the likelihood's third and fourth
   derivatives are per cell, so the corrections of ``log p(y | theta)`` and of the mean need only the cells'
   ``F x F`` blocks of ``H^-1`` (from the same selected inversion) and one solve.

The hyperparameters are integrated on a grid in standardised coordinates around their posterior mode
(Rue, Martino & Chopin 2009, JRSS B 71:319); results are weighted mixtures of Gaussians over the grid.
Derivatives of the per-cell likelihood come from central differences of the vectorised NumPy forward model
(one batched whole-section evaluation of the stencil per Newton step; no graph compilation).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numba as nb
import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.sparse.linalg import splu
from scipy.special import logsumexp, ndtr

LOG_2PI = float(np.log(2 * np.pi))


def grid_laplacian(shape: tuple[int, ...]) -> sp.csc_array:
    """Sparse nearest-neighbour graph Laplacian ``D - W`` of a grid with free (Neumann) edges."""
    n_total = int(np.prod(shape))
    out = sp.csc_array((n_total, n_total))
    for axis, n in enumerate(shape):
        if n < 2:
            continue
        d = np.full(n, 2.0)
        d[[0, -1]] = 1.0
        path = sp.diags_array([d, -np.ones(n - 1), -np.ones(n - 1)], offsets=[0, 1, -1])
        left = sp.eye_array(int(np.prod(shape[:axis])))
        right = sp.eye_array(int(np.prod(shape[axis + 1 :])))
        out = out + sp.kron(sp.kron(left, path), right)
    return sp.csc_array(out)


def structure_matrix(shape: tuple[int, ...], name: str) -> sp.csc_array:
    """Structure matrix ``S`` of a smoothness prior: ``L`` (``gmrf``) or ``L^2`` (``gmrf2``), matching
    :data:`bayesgeo.priors.SMOOTHNESS` (``x' S x`` is its quadratic form, its spectrum ``g(lambda)``)."""
    lap = grid_laplacian(shape)
    if name == "gmrf":
        return lap
    if name == "gmrf2":
        return sp.csc_array(lap @ lap)
    raise ValueError(f"no sparse structure matrix for prior {name!r}")


@dataclass(frozen=True)
class FieldPrior:
    """Independent Gaussian priors ``N(m_f 1, (tau_f^-2 S + kappa_f I)^-1)`` on ``F`` fields of one grid.

    ``structure`` is ``None`` for independent cells (then ``P_f = kappa_f I`` and there is no ``tau``);
    ``spectrum`` holds the eigenvalues of ``structure`` (flattened), which give ``log|P_f|`` exactly.
    """

    mean: np.ndarray
    ridge: np.ndarray
    n_cells: int
    structure: sp.csc_array | None = None
    spectrum: np.ndarray | None = None

    @property
    def n_fields(self) -> int:
        return len(self.mean)

    @property
    def n_hyper(self) -> int:
        return 0 if self.structure is None else self.n_fields

    def precision(self, tau: np.ndarray) -> sp.csc_array:
        """Block-diagonal prior precision of all fields (field-major order), ``(F N, F N)``."""
        eye = sp.eye_array(self.n_cells, format="csc")
        if self.structure is None:
            blocks = [k * eye for k in self.ridge]
        else:
            blocks = [self.structure / t**2 + k * eye for t, k in zip(tau, self.ridge, strict=True)]
        return sp.block_diag(blocks, format="csc")

    def log_det(self, tau: np.ndarray) -> float:
        if self.structure is None:
            return float(self.n_cells * np.sum(np.log(self.ridge)))
        return float(
            sum(np.sum(np.log(self.spectrum / t**2 + k)) for t, k in zip(tau, self.ridge, strict=True))
        )

    def centred(self, eta: np.ndarray) -> np.ndarray:
        return (eta - self.mean[:, None]).ravel()


@dataclass(frozen=True)
class CellLikelihood:
    """Gaussian likelihood of ``K`` outputs per cell, ``y ~ N(forward(eta), sd^2)``, separable in cells.

    ``forward`` maps latent fields ``(F, ..., N)`` to predictions ``(K, ..., N)`` (batch axes broadcast, cell
    constants on the last axis); ``curved[k]`` says whether the
    residual curvature of output ``k`` enters the Hessian (exact Newton) or only its Gauss-Newton part
    (for piecewise-linear outputs, whose second differences are noise). ``observed`` ``(N,)`` (bool) marks
    the cells whose data enter (default all); the others are predicted by the prior alone.
    """

    forward: Callable[[np.ndarray], np.ndarray]
    y: np.ndarray
    sd: np.ndarray
    curved: np.ndarray
    step: float = 1e-4
    observed: np.ndarray | None = None

    def log_density(self, eta: np.ndarray) -> float:
        return self._log_density(self.forward(eta))

    def cells(self, f: np.ndarray) -> np.ndarray:
        """Per-cell log density ``(..., N)`` of predictions ``f`` ``(K, ..., N)``: ``-inf`` where it is not
        finite, 0 in unobserved cells."""
        shape = self.y.shape[:1] + (1,) * (f.ndim - 2) + self.y.shape[1:]
        y, sd = self.y.reshape(shape), self.sd.reshape(shape)
        out = -0.5 * np.sum(((f - y) / sd) ** 2, axis=0) - np.sum(np.log(sd), axis=0) - 0.5 * len(f) * LOG_2PI
        out = np.where(np.isfinite(out), out, -np.inf)
        return out if self.observed is None else np.where(self.observed, out, 0.0)

    def _log_density(self, f: np.ndarray) -> float:
        return float(np.sum(self.cells(f)))

    def derivatives(self, eta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log density, its gradient ``(F, N)`` and per-cell Hessian ``(F, F, N)`` by central differences.

        The stencil (centre, ``+-h e_i``, ``+-h (e_i + e_j)``) is evaluated in one call of the forward model.
        """
        n_f, h = eta.shape[0], self.step
        pairs = list(itertools.combinations(range(n_f), 2))
        eye = np.eye(n_f)
        offsets = np.vstack(
            [np.zeros(n_f), eye, -eye] + [s * (eye[i] + eye[j]) for s in (1, -1) for i, j in pairs]
        )
        f = self.forward(eta[:, None, :] + h * offsets.T[:, :, None])  # (K, P, N)
        f0, fp, fm = f[:, 0], f[:, 1 : n_f + 1], f[:, n_f + 1 : 2 * n_f + 1]
        fpp, fmm = np.split(f[:, 2 * n_f + 1 :], 2, axis=1)
        jac = np.moveaxis(fp - fm, 1, 0) / (2 * h)  # (F, K, N)
        w = 1.0 / self.sd**2 if self.observed is None else self.observed / self.sd**2
        r = np.where(w > 0, self.y - f0, 0.0) * w
        grad = np.einsum("fkn,kn->fn", jac, r)
        hess = -np.einsum("fkn,gkn,kn->fgn", jac, jac, w)
        rc = r * self.curved[:, None]
        for i in range(n_f):
            hess[i, i] += np.sum(rc * (fp[:, i] - 2 * f0 + fm[:, i]), axis=0) / h**2
        for q, (i, j) in enumerate(pairs):
            d2 = (fpp[:, q] - fp[:, i] - fp[:, j] + 2 * f0 - fm[:, i] - fm[:, j] + fmm[:, q]) / (2 * h**2)
            hess[i, j] = hess[j, i] = hess[i, j] + np.sum(rc * d2, axis=0)
        return self._log_density(f0), grad, hess

    def tensors(self, eta: np.ndarray, h: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
        """Third and fourth derivatives ``(F,)*3 + (N,)``, ``(F,)*4 + (N,)`` of the per-cell log density.

        Central differences (second order, step ``h`` in latent units) on a ``5^F`` stencil evaluated in one
        call of the forward model; outputs that are not ``curved`` and unobserved cells contribute none.
        """
        n_f, n = eta.shape
        offsets = np.stack(np.meshgrid(*[np.arange(-2, 3)] * n_f, indexing="ij")).reshape(n_f, -1)
        f = self.forward(eta[:, None, :] + h * offsets[:, :, None])  # (K, 5^F, N)
        z = (f - self.y[:, None]) / self.sd[:, None]
        v = -0.5 * np.sum(z[self.curved] ** 2, axis=0)
        if self.observed is not None:
            v = np.where(self.observed, v, 0.0)
        v = v.reshape((5,) * n_f + (n,))
        out = []
        for order in (3, 4):
            t = np.empty((n_f,) * order + (n,))
            for idx in itertools.product(range(n_f), repeat=order):
                d = v
                for count in np.bincount(idx, minlength=n_f):
                    d = np.tensordot(_DIFF[count] / h**count, d, axes=([0], [0]))
                t[idx] = d
            out.append(t)
        return out[0], out[1]


#: Central difference weights on offsets -2..2 for derivatives of order 0..4 (unit step).
_DIFF = (
    np.array([0.0, 0.0, 1.0, 0.0, 0.0]),
    np.array([0.0, -0.5, 0.0, 0.5, 0.0]),
    np.array([0.0, 1.0, -2.0, 1.0, 0.0]),
    np.array([-0.5, 1.0, 0.0, -1.0, 0.5]),
    np.array([1.0, -4.0, 6.0, -4.0, 1.0]),
)


def psd_blocks(blocks: np.ndarray) -> np.ndarray:
    """Project per-cell symmetric blocks ``(F, F, N)`` onto the positive semi-definite cone."""
    w, v = np.linalg.eigh(np.moveaxis(blocks, -1, 0))
    out = np.einsum("nij,nj,nkj->nik", v, np.clip(w, 0.0, None), v)
    return np.moveaxis(out, 0, -1)


def coupling(blocks: np.ndarray) -> sp.csc_array:
    """Per-cell blocks ``(F, F, N)`` as a sparse matrix, field-major (entries ``(iN + c, jN + c)``)."""
    n_f, _, n = blocks.shape
    i, j, c = np.meshgrid(np.arange(n_f), np.arange(n_f), np.arange(n), indexing="ij")
    return sp.csc_array((blocks.ravel(), ((i * n + c).ravel(), (j * n + c).ravel())), shape=(n_f * n,) * 2)


@dataclass(frozen=True)
class Factor:
    """``Pi H Pi' = L D L'`` of a symmetric positive-definite sparse matrix (SuperLU, symmetric mode)."""

    lu: object
    d: np.ndarray

    @classmethod
    def of(cls, h: sp.csc_array) -> Factor:
        lu = splu(
            sp.csc_matrix(h),
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )
        d = lu.U.diagonal()
        if not np.array_equal(lu.perm_r, lu.perm_c) or np.any(d <= 0):
            raise np.linalg.LinAlgError("the Hessian is not positive definite")
        return cls(lu, d)

    def solve(self, b: np.ndarray) -> np.ndarray:
        return self.lu.solve(b)

    @property
    def log_det(self) -> float:
        return float(np.sum(np.log(self.d)))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws from ``N(0, H^-1)`` as columns: ``H^-1 b`` with ``b = Pi' L D^1/2 z ~ N(0, H)``."""
        z = rng.standard_normal((self.d.size, n)) * np.sqrt(self.d)[:, None]
        return self.solve((self.lu.L @ z)[self.lu.perm_c])

    def inverse_diagonal(self) -> np.ndarray:
        """``diag(H^-1)`` in the original order, by Takahashi's recursions on the factor."""
        return self._selected_inverse[0][self.lu.perm_c]

    def inverse_blocks(self, n_fields: int) -> np.ndarray:
        """Per-cell blocks ``(F, F, N)`` of ``H^-1`` (field-major order) from the selected inverse: the
        entries ``(iN + c, jN + c)`` lie in the factor's pattern because ``H`` couples a cell's fields."""
        zdiag, low = self._selected_inverse
        n = self.d.size // n_fields
        pos = self.lu.perm_c.reshape(n_fields, n)  # H[i, j] sits at (perm_c[i], perm_c[j]) in the factor
        out = np.empty((n_fields, n_fields, n))
        for i in range(n_fields):
            out[i, i] = zdiag[pos[i]]
            for j in range(i):
                lo, hi = np.maximum(pos[i], pos[j]), np.minimum(pos[i], pos[j])
                out[i, j] = out[j, i] = low[lo, hi]
        return out

    @cached_property
    def _selected_inverse(self) -> tuple[np.ndarray, sp.csc_array]:
        """``diag(Z)`` and the strictly lower part of ``Z = (L D L')^-1`` on the pattern of ``L``."""
        low = sp.csc_array(sp.tril(self.lu.L, k=-1, format="csc"))
        low.sort_indices()
        zdiag, z = _takahashi(low.indptr, low.indices, low.data, self.d)
        return zdiag, sp.csc_array((z, low.indices, low.indptr), shape=low.shape)


@nb.njit(cache=True)
def _takahashi(indptr, indices, data, d):  # pragma: no cover - compiled
    """Diagonal and strictly lower entries (on the pattern of ``L``) of ``(L D L')^-1`` for unit
    lower-triangular ``L`` (strict part in CSC, sorted rows).

    ``Z_ij = delta_ij / d_i - sum_{k in S_i} L_ki Z_kj`` for ``j`` in ``S_i``, the rows of column ``i``,
    from the last column back. Every needed ``Z_kj`` (``k < j``) sits in column ``k`` because ``S_i`` minus
    ``k`` lies in ``S_k``; a dense map from row index to position in ``S_i`` makes each column one sweep.
    """
    n = d.size
    z = np.zeros(data.size)
    zdiag = np.zeros(n)
    where = np.full(n, -1)
    for i in range(n - 1, -1, -1):
        lo, hi = indptr[i], indptr[i + 1]
        for a in range(lo, hi):
            where[indices[a]] = a - lo
        acc = np.zeros(hi - lo)
        for a in range(lo, hi):
            k, lki = indices[a], data[a]
            acc[a - lo] += lki * zdiag[k]
            for b in range(indptr[k], indptr[k + 1]):
                r = indices[b]
                pos = where[r]
                if pos >= 0:
                    acc[pos] += lki * z[b]  # term k of Z_ri
                    acc[a - lo] += data[lo + pos] * z[b]  # term r of Z_ki
        s = 0.0
        for a in range(lo, hi):
            z[a] = -acc[a - lo]
            s += data[a] * z[a]
            where[indices[a]] = -1
        zdiag[i] = 1.0 / d[i] - s
    return zdiag, z


@dataclass(frozen=True)
class Mode:
    """The latent mode at fixed hyperparameters, the factor of the Hessian there, and an optional linear
    constraint ``a . eta = const`` under which it was found."""

    eta: np.ndarray
    log_joint: float
    factor: Factor
    a: np.ndarray | None = None

    @property
    def log_marginal(self) -> float:
        """Laplace approximation of ``log p(y | theta)`` (of ``p(y, a . eta | theta)`` when constrained)."""
        log_det, dim = self.factor.log_det, self.eta.size
        if self.a is not None:  # Hessian restricted to the constraint plane, in orthonormal coordinates
            log_det += np.log(self.a @ self.factor.solve(self.a)) + np.log(self.a @ self.a)
            dim -= 1
        return self.log_joint + 0.5 * dim * LOG_2PI - 0.5 * log_det

    def variances(self) -> np.ndarray:
        return self.factor.inverse_diagonal().reshape(self.eta.shape)

    def covariance(self, b: np.ndarray) -> np.ndarray:
        """``Sigma b`` for the Gaussian approximation's covariance ``Sigma`` (on the constraint plane)."""
        x = self.factor.solve(b)
        if self.a is not None:
            w = self.factor.solve(self.a)
            x -= w * (self.a @ x) / (self.a @ w)
        return x

    def covariance_blocks(self) -> np.ndarray:
        """Per-cell blocks ``(F, F, N)`` of ``Sigma`` (rank-one update on the constraint plane)."""
        out = self.factor.inverse_blocks(self.eta.shape[0])
        if self.a is not None:
            w = self.factor.solve(self.a)
            w2 = w.reshape(self.eta.shape)
            out -= np.einsum("in,jn->ijn", w2, w2) / (self.a @ w)
        return out


@dataclass(frozen=True)
class Correction:
    """Next-order terms of the Laplace approximation from the likelihood's third and fourth derivatives.

    ``log_marginal`` is added to :attr:`Mode.log_marginal`, ``shift`` (``(F, N)``, latent units) to the
    mode to give the posterior mean (Shun & McCullagh 1995, JRSS B 57:749; the mean term is INLA's
    simplified Laplace mean, Rue, Martino & Chopin 2009).
    """

    log_marginal: float
    shift: np.ndarray


#: Cells whose own next-order terms exceed this (nats) keep the Gaussian approximation: there the expansion is
#: no longer small (a field the data barely see under a large smoothness scale) and would run away.
CELL_TERM_MAX = 0.25


def correction(lik: CellLikelihood, mode: Mode) -> Correction:
    """Higher-order Laplace terms at ``mode``, with ``Sigma`` the Gaussian approximation's covariance:

    ``log_marginal = f4 Sigma Sigma / 8 + t' Sigma t / 8 + f3 f3 Sigma Sigma Sigma / 12`` and
    ``shift = Sigma t / 2``, ``t_i = f3_ijk Sigma_jk``. The likelihood is separable, so ``f3``, ``f4`` are
    per cell and need only the cells' blocks of ``Sigma`` (selected inversion); the last term keeps only pairs
    within a cell (cross-cell pairs decay with the cube of the correlation: 3 % of it on a 20 x 20 section).
    Only cells whose own terms stay below :data:`CELL_TERM_MAX` contribute.
    """
    f3, f4 = lik.tensors(mode.eta)
    cov = mode.covariance_blocks()
    quartic = np.einsum("ijkln,ijn,kln->n", f4, cov, cov) / 8
    cubic = np.einsum("ijkn,lmpn,iln,jmn,kpn->n", f3, f3, cov, cov, cov) / 12
    keep = np.abs(quartic) + cubic <= CELL_TERM_MAX
    t = np.einsum("ijkn,jkn->in", f3, cov) * keep
    shift = 0.5 * mode.covariance(t.ravel())
    log_marginal = np.sum((quartic + cubic)[keep]) + t.ravel() @ shift / 4
    return Correction(float(log_marginal), shift.reshape(mode.eta.shape))


def latent_mode(
    lik: CellLikelihood,
    prior: FieldPrior,
    tau: np.ndarray,
    eta0: np.ndarray,
    tol: float = 1e-7,
    max_iter: int = 2000,
    constraint: np.ndarray | None = None,
) -> Mode:
    """Newton's method with backtracking for the mode of ``p(eta | y, tau)``, from ``eta0`` ``(F, N)``.

    Steps use the exact Hessian when it is positive definite (the prior usually makes it so even where a
    cell's likelihood is not convex) and the per-cell PSD projection otherwise. Stops when the Newton
    decrement ``g' H^-1 g`` falls below ``tol``; the returned factor is the exact Hessian's when positive
    definite. With ``constraint`` ``a`` (flattened), steps keep ``a . eta`` at its value in ``eta0``.
    Very rough fields (large ``tau``, saturated cells) can need several hundred iterations (an SBC draw with
    tau = 2.2 took over 200).
    """
    precision = prior.precision(tau)
    const = 0.5 * prior.log_det(tau) - 0.5 * eta0.size * LOG_2PI

    def log_prior(eta):
        d = prior.centred(eta)
        return -0.5 * float(d @ (precision @ d)) + const

    eta = eta0.copy()
    for _ in range(max_iter):
        ll, g, b = lik.derivatives(eta)
        lj = ll + log_prior(eta)
        try:
            factor = Factor.of(precision + coupling(-b))
        except np.linalg.LinAlgError:
            factor = Factor.of(precision + coupling(psd_blocks(-b)))
        grad = g.ravel() - precision @ prior.centred(eta)
        step = factor.solve(grad)
        if constraint is not None:
            w = factor.solve(constraint)
            step -= w * (constraint @ step) / (constraint @ w)
        slope = float(grad @ step)
        if slope < tol:
            return Mode(eta, lj, factor, constraint)
        step = step.reshape(eta.shape)
        t = 1.0
        while t > 1e-8:
            cand = eta + t * step
            new = lik.log_density(cand) + log_prior(cand)
            if np.isfinite(new) and new >= lj + 1e-4 * t * slope:
                break
            t *= 0.5
        else:
            return Mode(eta, lj, factor, constraint)
        eta = cand
    raise RuntimeError(f"Newton's method did not converge in {max_iter} iterations")


LEVEL_GRID = np.arange(-3, 4)  # offsets of a field's mean, in Gaussian-approximation s.d.


def level_marginals(
    lik: CellLikelihood, prior: FieldPrior, tau: np.ndarray, mode: Mode
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance ``(F, N)`` of the fields with each field's mean integrated by its Laplace marginal.

    Where the data barely see a field, the posterior of its mean level is skewed and the joint mode misplaces
    it (the posterior mean of a level sat 1.5 s.d. from the mode on a 20 x 20 section). For each field the
    level ``t = mean(eta_f)`` is fixed on a grid of :data:`LEVEL_GRID` s.d., the rest re-optimised under that
    constraint (continuation outwards from the mode) and weighted by the constrained Laplace marginal
    ``p(y, t)``, both with their :func:`correction` on the constraint plane; each field is the mixture of
    its own corrected constrained means (its cells are taken from its own level integration only, so shared
    terms are not counted twice).
    """
    n_f, n = mode.eta.shape
    v0 = mode.variances().ravel()
    mean, var = mode.eta.ravel().copy(), v0.copy()
    for f in range(n_f):
        a = np.zeros(mode.eta.size)
        a[f * n : (f + 1) * n] = 1.0 / n
        w = mode.factor.solve(a)
        var_t = float(a @ w)
        slope = w / var_t  # d eta / d t under the Gaussian approximation
        modes = {0: Mode(mode.eta, mode.log_joint, mode.factor, a)}
        for sign in (1, -1):
            for z in sign * np.arange(1, LEVEL_GRID.max() + 1):
                start = modes[z - sign].eta.ravel() + slope * np.sqrt(var_t) * sign
                modes[z] = latent_mode(lik, prior, tau, start.reshape(mode.eta.shape), constraint=a)
        etas, logm = {}, {}
        for z, m in modes.items():
            c = correction(lik, m)
            etas[z], logm[z] = (m.eta + c.shift).ravel(), m.log_marginal + c.log_marginal
        keys = sorted(etas)
        lw = np.array([logm[k] for k in keys])
        wk = np.exp(lw - logsumexp(lw))
        cells = slice(f * n, (f + 1) * n)
        e = np.stack([etas[k][cells] for k in keys])
        mean[cells] = wk @ e
        # the spread of the conditional means replaces the Gaussian's along the level
        var[cells] += wk @ e**2 - mean[cells] ** 2 - slope[cells] ** 2 * var_t
    return mean.reshape(mode.eta.shape), np.clip(var, 1e-12, None).reshape(mode.eta.shape)


class GridNode(NamedTuple):
    """One hyperparameter grid node: ``log p(theta | y)`` up to a constant (next-order corrected), the
    corrected latent means and the Gaussian variances ``(F, N)``, the latent mode and the corrected
    ``log p(y | theta)``."""

    log_post: float
    mean: np.ndarray
    var: np.ndarray
    mode: np.ndarray
    log_marginal: float


@dataclass(frozen=True)
class LaplaceResult:
    """Hyperparameter grid (``theta = log tau``, weights) and the Gaussian latent marginals at each node.

    ``mean``, ``var``: ``(K, F, N)``; ``log_evidence``: ``log p(y)`` integrated over the grid;
    ``scale`` maps standardised grid coordinates to ``theta`` (nodes ``theta_mode + scale @ z``, spacing
    ``step`` in ``z``); ``edge_mass`` is the weight of the boundary nodes (below the expansion threshold),
    small when the grid covers the posterior; ``latent``: the approximation used (``laplace`` or ``ep``) and,
    for EP, whether every run converged, the sweeps over all runs and the most cells fallen back in one run.
    """

    theta: np.ndarray
    weight: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    log_evidence: float
    theta_mode: np.ndarray
    scale: np.ndarray
    step: float
    edge_mass: float
    latent: str = "laplace"
    ep_converged: bool = True
    ep_sweeps: int = 0
    ep_fallback: int = 0


GRID_STEP = {1: 0.5}  # hyperparameter count -> spacing of the standardised grid (default 1.0)
GRID_DROP = 3.0  # nodes are expanded while log p(theta | y) is within this of its maximum


def integrate(
    lik: CellLikelihood,
    prior: FieldPrior,
    hyper_logp: Sequence[Callable[[float], float]],
    eta0: np.ndarray,
    theta0: np.ndarray | None = None,
    latent: str = "laplace",
) -> LaplaceResult:
    """Laplace-approximate the latent posterior and integrate the hyperparameters on a grid; the fields'
    mean levels are then corrected by their own Laplace marginals (:func:`level_marginals`).

    The mode of ``theta`` and the grid's scale come from the plain Laplace marginal; node weights and means
    carry the higher-order :func:`correction`.

    With ``latent = "ep"`` the grid's weights, means and variances are corrected by expectation propagation
    at a few design nodes (:func:`.field_ep.correct_grid`, which also grows the grid where the corrected
    posterior goes) in place of the level integration; if EP is not usable at the heaviest node the Laplace
    result is returned (``LaplaceResult.latent`` says which).

    ``hyper_logp[f]`` is the log prior density of ``tau_f``; ``theta0`` a start for ``log tau`` (default
    ``log 0.3``). The grid is grown from the mode through neighbouring nodes while ``log p(theta | y)`` stays
    within :data:`GRID_DROP` of its maximum, so skewed posteriors get the nodes they need.
    """
    state = {"eta": eta0}

    def mode_at(theta: np.ndarray, start: np.ndarray | None = None) -> Mode:
        m = latent_mode(lik, prior, np.exp(theta), state["eta"] if start is None else start)
        state["eta"] = m.eta
        return m

    def log_post(theta: np.ndarray, m: Mode | None = None) -> float:
        m = m or mode_at(theta)
        return m.log_marginal + sum(f(np.exp(t)) + t for f, t in zip(hyper_logp, theta, strict=True))

    k = prior.n_hyper
    if k == 0:
        m = mode_at(np.zeros(0))
        c = correction(lik, m)
        return LaplaceResult(
            np.zeros((1, 0)),
            np.ones(1),
            (m.eta + c.shift)[None],
            m.variances()[None],
            m.log_marginal + c.log_marginal,
            np.zeros(0),
            np.zeros((0, 0)),
            1.0,
            0.0,
        )
    theta0 = np.full(k, np.log(0.3)) if theta0 is None else theta0
    simplex = theta0 + 0.5 * np.vstack([np.zeros(k), np.eye(k)])
    res = minimize(
        lambda t: -log_post(t),
        theta0,
        method="Nelder-Mead",
        options={"xatol": 0.01, "fatol": 0.01, "initial_simplex": simplex},
    )
    mode_theta = res.x
    h = 0.1
    cov = _covariance(-_hessian(log_post, mode_theta, h))
    if np.min(np.diag(cov)) < (2 * h) ** 2:  # narrow posterior: repeat with a step of half a s.d.
        cov = _covariance(-_hessian(log_post, mode_theta, 0.5 * np.sqrt(np.min(np.diag(cov)))))
    w, v = np.linalg.eigh(cov)
    scale = v * np.sqrt(w)
    step = GRID_STEP.get(k, 1.0)
    start = mode_at(mode_theta).eta
    nodes: dict[tuple[int, ...], GridNode] = {}

    def evaluate(key: tuple[int, ...]) -> float:
        t = mode_theta + scale @ (np.array(key) * step)
        m = mode_at(t, start)
        c = correction(lik, m)
        log_marginal = m.log_marginal + c.log_marginal
        lp = log_post(t, m) + c.log_marginal
        nodes[key] = GridNode(lp, m.eta + c.shift, m.variances(), m.eta, log_marginal)
        return lp

    evaluate((0,) * k)
    grow_grid(nodes, evaluate, lambda q: nodes[q].log_post, GRID_DROP)
    ep = None
    if latent == "ep":
        from bayesgeo.geofluid.field_ep import correct_grid

        tau_of = lambda q: np.exp(mode_theta + scale @ (np.array(q) * step))  # noqa: E731
        ep = correct_grid(lik, prior, nodes, evaluate, tau_of, GRID_DROP)
    keys = np.array(list(nodes))
    logw = np.array([nodes[tuple(q)].log_post for q in keys])
    theta = mode_theta + (keys * step) @ scale.T
    mean = np.stack([nodes[tuple(q)].mean for q in keys])
    var = np.stack([nodes[tuple(q)].var for q in keys])
    if ep is not None:  # EP corrections of weights, means and variances (no level integration needed)
        logw = logw + np.array([ep.delta[tuple(q)] for q in keys])
        mean = mean + np.stack([ep.mean[tuple(q)] for q in keys])
        var = var * np.stack([ep.ratio[tuple(q)] for q in keys])
    weight = np.exp(logw - logsumexp(logw))
    if ep is None:
        top = int(np.argmax(weight))  # field levels by their Laplace marginals, at the heaviest node
        level_mean, level_var = level_marginals(lik, prior, np.exp(theta[top]), mode_at(theta[top], start))
        mean = mean + (level_mean - mean[top])
        var = np.clip(var + (level_var - var[top]), 1e-12, None)
    inside = logw > logw.max() - GRID_DROP
    return LaplaceResult(
        theta=theta,
        weight=weight,
        mean=mean,
        var=var,
        log_evidence=float(logsumexp(logw) + k * np.log(step) + np.sum(np.log(np.sqrt(w)))),
        theta_mode=mode_theta,
        scale=scale,
        step=step,
        edge_mass=float(weight[~inside].sum()),
        latent="laplace" if ep is None else "ep",
        ep_converged=latent != "ep" or (ep is not None and ep.converged),
        ep_sweeps=0 if ep is None else ep.iterations,
        ep_fallback=0 if ep is None else ep.fallback,
    )


def grow_grid(nodes: dict, evaluate: Callable, score: Callable, drop: float) -> None:
    """Grow a hyperparameter grid breadth-first: ``evaluate(key)`` adds the neighbours (``+-1`` on each axis)
    of every node whose ``score`` is within ``drop`` of the best so far, repeatedly."""
    best = max(score(q) for q in nodes)
    queue = [q for q in nodes if score(q) > best - drop]
    while queue:
        key = queue.pop(0)
        for e in np.vstack([np.eye(len(key), dtype=int), -np.eye(len(key), dtype=int)]):
            q = tuple(np.add(key, e))
            if q in nodes:
                continue
            evaluate(q)
            s = score(q)
            best = max(best, s)
            if s > best - drop:
                queue.append(q)


def sample_theta(result: LaplaceResult, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` hyperparameter draws: grid nodes ``idx`` by weight, ``theta`` jittered inside their grid cell."""
    idx = rng.choice(result.weight.size, size=n, p=result.weight)
    theta = result.theta[idx]
    if theta.shape[1]:
        z = np.linalg.solve(result.scale, (theta - result.theta_mode).T).T
        theta = result.theta_mode + (z + result.step * rng.uniform(-0.5, 0.5, size=z.shape)) @ result.scale.T
    return idx, theta


def sample_eta(
    result: LaplaceResult, idx: np.ndarray, lik: CellLikelihood, prior: FieldPrior, rng: np.random.Generator
) -> np.ndarray:
    """Latent draws ``(n, F, N)`` from the Gaussians of grid nodes ``idx`` (each node's factor recomputed at
    its stored mode: one Newton check, no iterations)."""
    eta = np.empty((idx.size, *result.mean.shape[1:]))
    for k in np.unique(idx):
        rows = np.flatnonzero(idx == k)
        mode = latent_mode(lik, prior, np.exp(result.theta[k]), result.mean[k])
        eta[rows] = result.mean[k] + mode.factor.sample(rows.size, rng).T.reshape(rows.size, *eta.shape[1:])
    return eta


MIN_CURVATURE = 1.0  # floor of -d2 log p / d(log tau)2 at the mode: an s.d. of at most 1 in log tau


def _covariance(neg_hessian: np.ndarray) -> np.ndarray:
    """Inverse of the negative Hessian of ``log p(theta | y)``, curvature floored at :data:`MIN_CURVATURE`.

    A direction the data leave flat or not concave (a smoothness scale below what they resolve: a nearly
    constant field drawn with tau = 0.04) then gets a unit scale, and the grid grows along it while the
    posterior stays within :data:`GRID_DROP` of its maximum.
    """
    lam, vec = np.linalg.eigh(neg_hessian)
    return (vec / np.maximum(lam, MIN_CURVATURE)) @ vec.T


def _hessian(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    k = x.size
    e = np.eye(k) * h
    f0 = f(x)
    out = np.empty((k, k))
    for i in range(k):
        out[i, i] = (f(x + e[i]) - 2 * f0 + f(x - e[i])) / h**2
        for j in range(i):
            out[i, j] = out[j, i] = (
                f(x + e[i] + e[j]) - f(x + e[i] - e[j]) - f(x - e[i] + e[j]) + f(x - e[i] - e[j])
            ) / (4 * h**2)
    return out


def mixture_summary(
    mean: np.ndarray,
    var: np.ndarray,
    weight: np.ndarray,
    transform: Callable[[np.ndarray], np.ndarray],
    quantiles: tuple[float, ...] = (0.05, 0.95),
    n_quad: int = 20,
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Mean, s.d. and quantiles of ``transform(eta)`` for a Gaussian mixture per cell.

    ``mean``, ``var``: ``(K, ...)`` component moments; ``weight``: ``(K,)``. Moments by Gauss-Hermite
    quadrature; quantiles by bisection of the mixture CDF, mapped through the (monotone) ``transform``.
    """
    keep = weight > 1e-6 * weight.max()
    mean, var, weight = mean[keep], var[keep], weight[keep] / weight[keep].sum()
    x, wq = np.polynomial.hermite_e.hermegauss(n_quad)
    wq = wq / wq.sum()
    sd = np.sqrt(var)
    m1 = np.zeros(mean.shape[1:])
    m2 = np.zeros(mean.shape[1:])
    for wk, mk, sk in zip(weight, mean, sd, strict=True):
        vals = transform(mk[None] + sk[None] * x.reshape((-1,) + (1,) * mk.ndim))
        wx = wq.reshape((-1,) + (1,) * mk.ndim)
        m1 += wk * np.sum(wx * vals, axis=0)
        m2 += wk * np.sum(wx * vals**2, axis=0)
    lo = np.min(mean - 10 * sd, axis=0)
    hi = np.max(mean + 10 * sd, axis=0)
    qs = []
    for q in quantiles:
        a, b = lo.copy(), hi.copy()
        for _ in range(45):
            mid = 0.5 * (a + b)
            cdf = np.tensordot(weight, ndtr((mid[None] - mean) / sd), axes=1)
            below = cdf < q
            a = np.where(below, mid, a)
            b = np.where(below, b, mid)
        qs.append(transform(0.5 * (a + b)))
    return m1, np.sqrt(np.clip(m2 - m1**2, 0.0, None)), qs
