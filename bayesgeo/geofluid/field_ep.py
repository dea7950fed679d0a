"""Expectation propagation (EP) for latent Gaussian fields under a per-cell likelihood.

Same model as :mod:`.field_laplace`: ``F`` fields on ``N`` cells with a sparse Gaussian prior
``N(m, P^-1)`` and data in cell ``c`` that depend on ``eta[:, c]`` only. EP replaces each cell's likelihood
``l_c`` by a Gaussian site ``exp(-x' Lambda_c x / 2 + nu_c' x)`` (``F x F`` precision, shift), so that the
approximation ``q = N(mu, Q^-1)``, ``Q = P + blockdiag(Lambda_c)``, is as sparse as the Laplace one. A site is
updated by matching the moments of the cell's tilted density ``q_{-c}(x) l_c(x)^a`` (``q_{-c}`` the
cavity: ``q``'s marginal of the cell with ``a`` times its site removed; ``a = 1`` is EP, ``a < 1`` power EP,
Minka 2004), all cells in parallel with damping (Minka 2001; Cseke & Heskes 2011, JMLR 12:417; Rue, Martino &
Chopin 2009 for the sparse-precision setting). The cells' marginal blocks come from the selected inverse of
``Q`` (:meth:`.field_laplace.Factor.inverse_blocks`).

Robustness (the forward model saturates, cells can be sharply non-Gaussian):

- sites start from the Laplace solution at the latent mode (the Hessian and gradient of ``l_c`` there) or
  from the converged sites of a neighbouring hyperparameter node;
- tilted moments by ``n_quad^F`` Gauss-Hermite nodes, importance weighted, on the last sweep's tilted
  moments; cells without them or whose weights have a relative effective sample size below
  :data:`ESS_MIN` use a Gaussian fitted at the tilted density's own mode (per-cell Newton steps) instead of
  the current marginal, so sharp or shifted tilted densities are resolved;
- cells whose cavity precision is not positive definite, or whose tilted covariance is degenerate or not
  finite, keep their old site in that sweep;
- every cell has its own damping factor (start :data:`DAMPING`), halved when its update turns back
  (oscillation) and regrown by :data:`RECOVER` while it keeps its direction; all steps are shortened when
  the joint precision would not stay positive definite;
- convergence: the largest site change in the metric of the cell's marginal (dimensionless) below ``tol``;
- a cell whose damping falls below :data:`MIN_DAMPING`, and after ``max_iter`` sweeps every cell still
  moving, falls back to its Laplace site (counted in :attr:`EPResult.fallback`).

EP's log evidence (:func:`_log_marginal`) is exact for a linear-Gaussian likelihood. On the Laplace
hyperparameter grid, EP runs at a few design nodes only and corrects the whole grid (:func:`correct_grid`).
Parallel EP does not converge everywhere: where a field is barely smoothed and barely seen (aspect ratio at
low porosity under a large smoothness scale) whole patches oscillate; such runs are not used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesgeo.geofluid.field_laplace import (
    LOG_2PI,
    CellLikelihood,
    Factor,
    FieldPrior,
    GridNode,
    coupling,
    grow_grid,
    psd_blocks,
)

DAMPING = 1.0  # initial damping factor of every cell's site update
RECOVER = 1.5  # a cell whose update keeps its direction multiplies its damping by this (up to the start)
MIN_DAMPING = 1e-2  # a cell whose damping falls below this stops moving and keeps its site
TOL = 3e-3  # convergence: largest site change in units of the cell's marginal
MAX_ITER = 100
N_QUAD = 7  # Gauss-Hermite nodes per field for the tilted moments
NEWTON = 2  # Newton steps to the tilted mode for a fresh quadrature proposal
ESS_MIN = 0.5  # relative effective sample size below which a cell's proposal is refitted
EIG_MIN = 1e-10  # smallest eigenvalue (relative to the largest) of an acceptable covariance or cavity


@dataclass(frozen=True)
class EPResult:
    """EP approximation of the fields given ``tau``.

    ``mean``, ``var`` ``(F, N)``: marginal moments; ``factor``: of ``Q``; ``lam`` ``(F, F, N)``, ``nu``
    ``(F, N)``: the sites; ``log_marginal``: EP's approximation of ``log p(y | tau)``; ``converged``: all
    cells converged within ``max_iter`` sweeps; ``iterations``: sweeps done; ``fallback``: cells that were
    reset to their Laplace site (``(N,)`` bool).
    """

    mean: np.ndarray
    var: np.ndarray
    factor: Factor
    lam: np.ndarray
    nu: np.ndarray
    log_marginal: float
    converged: bool
    iterations: int
    fallback: np.ndarray
    history: tuple = ()

    @property
    def n_fallback(self) -> int:
        return int(self.fallback.sum())


def laplace_sites(
    lik: CellLikelihood, prior: FieldPrior, tau: np.ndarray, eta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian sites ``(Lambda, nu)`` of the Laplace approximation at the latent mode ``eta``: the negative
    Hessian of each cell's log likelihood (its PSD projection where the joint precision would not be positive
    definite, as in :func:`.field_laplace.latent_mode`) and ``Lambda eta + gradient``."""
    _, g, b = lik.derivatives(eta)
    lam = -b
    if np.any(np.linalg.eigvalsh(np.moveaxis(lam, -1, 0))[:, 0] < 0):
        try:
            Factor.of(prior.precision(tau) + coupling(lam))
        except np.linalg.LinAlgError:
            lam = psd_blocks(lam)
    return lam, np.einsum("ijn,jn->in", lam, eta) + g


def _gh(n_f: int, n_quad: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.hermite_e.hermegauss(n_quad)
    nodes = np.stack(np.meshgrid(*[x] * n_f, indexing="ij")).reshape(n_f, -1)
    weights = np.prod(np.stack(np.meshgrid(*[w / w.sum()] * n_f, indexing="ij")).reshape(n_f, -1), axis=0)
    return nodes, weights


def _inv(a: np.ndarray) -> np.ndarray:
    """Inverse of stacked symmetric ``(N, F, F)`` matrices (NaN where singular)."""
    with np.errstate(all="ignore"):
        try:
            return np.linalg.inv(a)
        except np.linalg.LinAlgError:
            out = np.full_like(a, np.nan)
            for i, m in enumerate(a):
                try:
                    out[i] = np.linalg.inv(m)
                except np.linalg.LinAlgError:
                    pass
            return out


def _pd(a: np.ndarray) -> np.ndarray:
    """Which stacked symmetric ``(N, F, F)`` matrices are positive definite (and finite)."""
    ok = np.all(np.isfinite(a), axis=(1, 2))
    w = np.full(a.shape[:2], -1.0)
    w[ok] = np.linalg.eigvalsh(a[ok])
    return ok & (w[:, 0] > EIG_MIN * np.maximum(np.abs(w[:, -1]), 1e-300))


class _Tilted:
    """Each cell's tilted density ``exp(power l_c(x) - x' C x / 2 + v' x)`` (cavity precision ``C``
    ``(N, F, F)``, positive definite, shift ``v`` ``(F, N)``), evaluated for all cells at once."""

    def __init__(self, lik: CellLikelihood, cavity: np.ndarray, shift: np.ndarray, power: float):
        self.lik, self.cavity, self.shift, self.power = lik, cavity, shift, power

    def log_h(self, x: np.ndarray) -> np.ndarray:
        """Unnormalised log density at ``x`` ``(F, ..., N)`` -> ``(..., N)``."""
        quad = np.einsum("i...n,nij,j...n->...n", x, self.cavity, x)
        lin = np.einsum("in,i...n->...n", self.shift, x)
        return self.power * self.lik.cells(self.lik.forward(x)) - 0.5 * quad + lin

    def laplace(self, start: np.ndarray, newton: int = NEWTON) -> tuple[np.ndarray, np.ndarray]:
        """Mode and covariance ``(F, N)``, ``(N, F, F)`` of a Gaussian fitted at the tilted mode: ``newton``
        Newton steps from ``start`` with per-cell backtracking, the likelihood's curvature projected onto the
        negative semi-definite cone where the tilted Hessian is not negative definite."""
        x, n = start.copy(), start.shape[1]
        cur = self.log_h(x)
        for k in range(newton + 1):
            _, g, b = self.lik.derivatives(x)
            neg_h = self.cavity - self.power * np.moveaxis(b, -1, 0)
            convex = _pd(neg_h)
            neg_h[~convex] = (self.cavity + self.power * np.moveaxis(psd_blocks(-b), -1, 0))[~convex]
            if k == newton:
                return x, _inv(neg_h)
            grad = self.power * g - np.einsum("nij,jn->in", self.cavity, x) + self.shift
            step = np.linalg.solve(neg_h, grad.T[:, :, None])[:, :, 0].T
            t = np.ones(n)
            for _ in range(10):
                new = self.log_h(x + t * step)
                bad = ~(new >= cur - 1e-10 * np.abs(cur))
                if not bad.any():
                    break
                t = np.where(bad, 0.5 * t, t)
            good = new >= cur - 1e-10 * np.abs(cur)
            x = np.where(good, x + t * step, x)
            cur = np.where(good, new, cur)
        raise AssertionError  # pragma: no cover

    def moments(
        self, centre: np.ndarray, cov: np.ndarray, nodes: np.ndarray, weights: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean ``(F, N)``, covariance ``(N, F, F)``, log normaliser ``(N,)`` of the tilted densities
        (normalised by the cavity's Gaussian normaliser) and the relative effective sample size ``(N,)`` of
        the importance weights, by Gauss-Hermite ``nodes`` ``(F, Q)`` on ``N(centre, cov)``."""
        n_f = centre.shape[0]
        chol = np.linalg.cholesky(cov)
        pts = centre[:, None, :] + np.einsum("nij,jq->iqn", chol, nodes)  # (F, Q, N)
        log_det_chol = np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
        # log(tilted / proposal) at the nodes, the proposal's log density -z'z/2 - log|chol| - F/2 log 2 pi
        log_r = self.log_h(pts) + 0.5 * np.sum(nodes**2, axis=0)[:, None] + log_det_chol + 0.5 * n_f * LOG_2PI
        top = np.max(log_r, axis=0)
        r = np.exp(log_r - top)
        w = weights[:, None] * r
        total = w.sum(axis=0)
        ess = total**2 / np.sum(weights[:, None] * r**2, axis=0)
        w = w / total
        mean = np.einsum("qn,iqn->in", w, pts)
        d = pts - mean[:, None, :]
        cov_t = np.einsum("qn,iqn,jqn->nij", w, d, d)
        # the cavity's normaliser: log N(x) = -x'Cx/2 + v'x + (log|C| - v'C^-1 v - F log 2 pi) / 2
        _, log_det_c = np.linalg.slogdet(self.cavity)
        cav_mean = np.linalg.solve(self.cavity, self.shift.T[:, :, None])[:, :, 0].T
        norm = 0.5 * (log_det_c - np.sum(self.shift * cav_mean, axis=0) - n_f * LOG_2PI)
        return mean, cov_t, top + np.log(total) + norm, ess


def tilted_moments(
    lik: CellLikelihood,
    cavity: np.ndarray,
    shift: np.ndarray,
    start: np.ndarray,
    power: float = 1.0,
    n_quad: int = 7,
    proposal: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean ``(F, N)``, covariance ``(N, F, F)`` and log normaliser ``(N,)`` of each cell's tilted density
    ``N(x; cavity) l_c(x)^power`` (cavity precision ``(N, F, F)``, positive definite, and shift ``(F, N)``).

    Importance-weighted ``n_quad^F`` Gauss-Hermite nodes on ``proposal`` (mean, covariance; e.g. the last
    sweep's tilted moments); cells whose weights have a relative effective sample size below
    :data:`ESS_MIN` (all cells without a proposal) use a Gaussian fitted at the tilted mode instead (Newton
    steps from ``start``).
    """
    tilted = _Tilted(lik, cavity, shift, power)
    nodes, weights = _gh(start.shape[0], n_quad)
    if proposal is not None:
        mean, cov, log_z, ess = tilted.moments(*proposal, nodes, weights)
        redo = ~(ess >= ESS_MIN)
        if not redo.any():
            return mean, cov, log_z
    m2, c2, z2, _ = tilted.moments(*tilted.laplace(start), nodes, weights)
    if proposal is None:
        return m2, c2, z2
    mean[:, redo], cov[redo], log_z[redo] = m2[:, redo], c2[redo], z2[redo]
    return mean, cov, log_z


def _whitened(d_lam: np.ndarray, d_nu: np.ndarray, chol: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Site changes ``(N, F, F)``, ``(F, N)`` in the metric of the cell's marginal ``N(mu, L L')`` as one
    vector per cell ``(N, F^2 + F)``: ``L' dLambda L`` and ``L' (dnu - dLambda mu)`` (dimensionless)."""
    a = np.einsum("nki,nkl,nlj->nij", chol, d_lam, chol)
    r = d_nu - np.einsum("nij,jn->in", d_lam, mu)
    b = np.einsum("nki,kn->ni", chol, r)
    return np.concatenate([a.reshape(len(a), -1), b], axis=1)


@dataclass
class _Sweep:
    """One parallel EP evaluation at fixed sites: the marginals, cavities and tilted moments of every cell."""

    mu: np.ndarray  # (F, N) marginal means
    cov: np.ndarray  # (N, F, F) marginal covariance blocks
    cavity: np.ndarray  # (N, F, F) cavity precisions (identity where not positive definite)
    shift: np.ndarray  # (F, N) cavity shifts
    ok: np.ndarray  # (N,) proper cavity and non-degenerate tilted moments
    mean: np.ndarray  # (F, N) tilted means
    tilted: np.ndarray  # (N, F, F) tilted covariances
    log_z: np.ndarray  # (N,) tilted log normalisers


def _sweep(lik, factor, prior_shift, lam, nu, power, n_quad, proposal) -> _Sweep:
    n_f, n = nu.shape
    mu = factor.solve(prior_shift + nu.ravel()).reshape(n_f, n)
    cov = np.moveaxis(factor.inverse_blocks(n_f), -1, 0)
    cov_inv = _inv(cov)
    cavity = cov_inv - power * np.moveaxis(lam, -1, 0)
    shift = np.einsum("nij,jn->in", cov_inv, mu) - power * nu
    ok = _pd(cavity)
    cavity[~ok], shift[:, ~ok] = np.eye(n_f), 0.0
    with np.errstate(all="ignore"):
        mean, tilted, log_z = tilted_moments(lik, cavity, shift, mu, power, n_quad, proposal)
    ok &= _pd(tilted) & np.all(np.isfinite(mean), axis=0) & np.isfinite(log_z)
    return _Sweep(mu, cov, cavity, shift, ok, mean, tilted, log_z)


def expectation_propagation(
    lik: CellLikelihood,
    prior: FieldPrior,
    tau: np.ndarray,
    eta: np.ndarray,
    *,
    sites: tuple[np.ndarray, np.ndarray] | None = None,
    power: float = 1.0,
    n_quad: int | None = None,
    tol: float | None = None,
    max_iter: int | None = None,
    damping: float | None = None,
) -> EPResult:
    """EP for the fields given ``tau``, started from ``sites`` (``(F, F, N)``, ``(F, N)``; default the
    Laplace sites at the latent mode ``eta``, which are also the per-cell fallback).

    Parallel sweeps: every cell's new site is computed from the current approximation, then all move by
    their damping factor. Stops when no site changes by more than ``tol`` (in the metric of its cell's
    marginal) or after ``max_iter`` sweeps, when the cells still moving fall back to their Laplace sites.
    """
    n_quad = N_QUAD if n_quad is None else n_quad
    tol = TOL if tol is None else tol
    max_iter = MAX_ITER if max_iter is None else max_iter
    damping = DAMPING if damping is None else damping
    n_f, n = eta.shape
    precision = prior.precision(tau)
    prior_shift = precision @ np.repeat(prior.mean, n)
    lam0, nu0 = laplace_sites(lik, prior, tau, eta)
    lam, nu = (lam0.copy(), nu0.copy()) if sites is None else (sites[0].copy(), sites[1].copy())
    try:
        factor = Factor.of(precision + coupling(lam))
    except np.linalg.LinAlgError:
        lam, nu = lam0.copy(), nu0.copy()
        factor = Factor.of(precision + coupling(lam))
    damp = np.full(n, damping)
    last = np.zeros((n, n_f * n_f + n_f))
    fallback = np.zeros(n, dtype=bool)
    history = []
    proposal = None
    it = 0
    while True:
        sw = _sweep(lik, factor, prior_shift, lam, nu, power, n_quad, proposal)
        proposal = (np.where(sw.ok, sw.mean, sw.mu), np.where(sw.ok[:, None, None], sw.tilted, sw.cov))
        with np.errstate(all="ignore"):
            prec = _inv(np.where(sw.ok[:, None, None], sw.tilted, np.eye(n_f)))
            lam_t = np.moveaxis(lam, -1, 0)
            d_lam = np.where(sw.ok[:, None, None], (prec - sw.cavity) / power - lam_t, 0.0)
            d_nu = np.where(sw.ok, (np.einsum("nij,jn->in", prec, sw.mean) - sw.shift) / power - nu, 0.0)
        direction = _whitened(d_lam, d_nu, np.linalg.cholesky(sw.cov), sw.mu)
        direction[~sw.ok | fallback] = 0.0
        change = np.max(np.abs(direction), axis=1)
        history.append(
            (float(change.max()), int((change >= tol).sum()), int((~sw.ok).sum()), float(damp.min()))
        )
        if np.all(change < tol) or it >= max_iter:
            break
        it += 1
        # a cell whose update turns back (oscillation) halves its damping factor; one that keeps oscillating
        # below MIN_DAMPING takes its Laplace site and stops
        agree = np.sum(direction * last, axis=1)
        turned = (agree < 0) & (change >= tol)
        damp = np.where(turned, 0.5 * damp, np.where(agree > 0, np.minimum(damping, RECOVER * damp), damp))
        last = direction
        stuck = (damp < MIN_DAMPING) & ~fallback
        if stuck.any():
            fallback |= stuck
            d_lam[stuck] = np.moveaxis(lam0, -1, 0)[stuck] - lam_t[stuck]
            d_nu[:, stuck] = nu0[:, stuck] - nu[:, stuck]
        t = np.where(stuck, 1.0, np.where(fallback, 0.0, damp))
        for _ in range(30):  # shorten every step until the joint precision stays positive definite
            new_lam = np.moveaxis(lam_t + t[:, None, None] * d_lam, 0, -1)
            try:
                factor = Factor.of(precision + coupling(new_lam))
                break
            except np.linalg.LinAlgError:
                t = 0.5 * t
        else:
            raise RuntimeError("expectation propagation left the proper Gaussians")  # pragma: no cover
        lam, nu = new_lam, nu + t * d_nu
    moving = change >= tol
    converged = not moving.any() and not fallback.any()
    if moving.any():  # not converged in max_iter sweeps: the cells still moving take their Laplace sites
        fallback |= moving
        lam[:, :, moving], nu[:, moving] = lam0[:, :, moving], nu0[:, moving]
        factor = Factor.of(precision + coupling(lam))
        sw = _sweep(lik, factor, prior_shift, lam, nu, power, n_quad, proposal)
    log_marginal = _log_marginal(prior, tau, factor, nu, sw, power)
    var = np.moveaxis(np.diagonal(sw.cov, axis1=1, axis2=2), -1, 0)
    return EPResult(sw.mu, var, factor, lam, nu, log_marginal, converged, it, fallback, tuple(history))


def _log_marginal(
    prior: FieldPrior, tau: np.ndarray, factor: Factor, nu: np.ndarray, sw: _Sweep, power: float
):
    """EP's ``log p(y | tau)``: ``log int p(eta) prod_c t_c + sum_c (log Z_c - log int cavity_c t_c^a) / a``
    (``t_c`` the unnormalised sites, ``Z_c`` the tilted normalisers; Minka 2004); NaN if a cell has no proper
    cavity or tilted density."""
    if not np.all(sw.ok):
        return float("nan")
    n = nu.shape[1]
    m = np.repeat(prior.mean, n)
    p = prior.precision(tau)
    b = p @ m + nu.ravel()
    gauss = 0.5 * (prior.log_det(tau) - factor.log_det - m @ (p @ m) + b @ sw.mu.ravel())
    _, log_det_c = np.linalg.slogdet(sw.cavity)
    _, log_det_s = np.linalg.slogdet(sw.cov)
    cav_mean = np.linalg.solve(sw.cavity, sw.shift.T[:, :, None])[:, :, 0].T
    prec_mu = np.linalg.solve(sw.cov, sw.mu.T[:, :, None])[:, :, 0].T
    site = 0.5 * (
        log_det_c - np.sum(sw.shift * cav_mean, axis=0) + log_det_s + np.sum(sw.mu * prec_mu, axis=0)
    )
    return float(gauss + np.sum(sw.log_z - site) / power)


#: Largest share of cells that may fall back to their Laplace site for an EP run to be used at all.
FALLBACK_MAX = 0.05
#: The fitted EP corrections are held constant beyond this many grid steps from the heaviest node.
REACH = 2.0


@dataclass(frozen=True)
class GridCorrection:
    """EP corrections of the Laplace grid, fitted on a design of nodes around the heaviest one.

    At each design node ``k`` (offset ``dz_k`` in grid steps) EP gives ``delta_k = log Z_EP - log Z_Laplace``
    (the Laplace one with its next-order terms), the mean offset ``mean_EP - mean_Laplace`` and the log
    variance ratio ``(F, N)``. Each is fitted by a quadratic in ``dz`` (a constant, a slope per axis with
    design nodes, a curvature per axis with nodes on both sides, cross terms where nodes off the axes exist);
    :meth:`at` evaluates the fits at other nodes, ``dz`` clipped to :data:`REACH` (no far extrapolation).
    """

    delta: np.ndarray  # (columns,)
    mean: np.ndarray  # (columns, F * N)
    log_var: np.ndarray  # (columns, F * N)
    axes: tuple  # (axes with a linear term, index pairs (i, j) with a quadratic term)

    @staticmethod
    def columns(dz: np.ndarray, axes: tuple) -> np.ndarray:
        """Design matrix: a constant, ``dz_i`` for the linear axes and ``dz_i dz_j`` for the quadratic pairs;
        ``dz`` clipped to :data:`REACH`."""
        linear, pairs = axes
        dz = np.clip(dz, -REACH, REACH)
        return np.column_stack([np.ones(len(dz)), *dz[:, linear].T, *[dz[:, i] * dz[:, j] for i, j in pairs]])

    def at(self, dz: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``delta`` ``(K,)``, mean offsets and variance ratios ``(K, *shape)`` at offsets ``dz`` ``(K, k)``
        from the heaviest node."""
        x = self.columns(dz, self.axes)
        mean = (x @ self.mean).reshape(len(dz), *shape)
        return x @ self.delta, mean, np.exp(x @ self.log_var).reshape(len(dz), *shape)


def _usable(r: EPResult, n_cells: int) -> bool:
    return bool(np.isfinite(r.log_marginal)) and r.n_fallback <= FALLBACK_MAX * n_cells


def grid_correction(
    dz: np.ndarray, runs: list[EPResult], log_marginal: np.ndarray, mean: np.ndarray, var: np.ndarray
) -> GridCorrection | None:
    """Fit the EP corrections on design nodes (the first the heaviest; offsets ``dz`` ``(D, k)`` in grid
    steps) from their EP ``runs`` and Laplace ``log_marginal`` (with the next-order terms), ``mean`` and
    ``var`` ``(D, F, N)``. Runs without log evidence or with more than :data:`FALLBACK_MAX` of the cells
    fallen back are left out; ``None`` when that happens at the first node."""
    keep, delta, d_mean, d_log_var = [], [], [], []
    for k, r in enumerate(runs):
        if _usable(r, mean.shape[-1]):
            keep.append(k)
            delta.append(r.log_marginal - log_marginal[k])
            d_mean.append((r.mean - mean[k]).ravel())
            d_log_var.append(np.log(r.var / var[k]).ravel())
    if not keep or keep[0] != 0:
        return None
    rel = dz[keep] - dz[0]
    linear = np.flatnonzero(np.any(rel != 0, axis=0))
    both = [i for i in linear if np.any(rel[:, i] > 0) and np.any(rel[:, i] < 0)]
    pairs = [(i, i) for i in both] + [
        (i, j) for i in linear for j in linear if i < j and np.any(rel[:, i] * rel[:, j] != 0)
    ]
    axes = (linear, pairs)
    x = GridCorrection.columns(rel, axes)
    coef = [np.linalg.lstsq(x, np.asarray(y), rcond=None)[0] for y in (delta, d_mean, d_log_var)]
    return GridCorrection(*coef, axes)


#: Rounds of EP designs: a new design is centred on the heaviest corrected node while that is off the designs.
ROUNDS = 3


@dataclass(frozen=True)
class GridEP:
    """EP corrections of every grid node by key: ``delta`` (log weight), mean offsets and variance ratios;
    ``models`` the fitted designs ``(centre key, GridCorrection)``; ``runs`` every EP run's ``(converged,
    sweeps, cells fallen back)``."""

    delta: dict
    mean: dict
    ratio: dict
    models: tuple
    runs: tuple  # (converged, sweeps, fallback cells) of every EP run

    @property
    def converged(self) -> bool:
        return all(r[0] for r in self.runs)

    @property
    def iterations(self) -> int:
        return sum(r[1] for r in self.runs)

    @property
    def fallback(self) -> int:
        return max(r[2] for r in self.runs)


def correct_grid(
    lik: CellLikelihood,
    prior: FieldPrior,
    nodes: dict[tuple[int, ...], GridNode],
    evaluate,
    tau_of,
    drop: float,
) -> GridEP | None:
    """EP corrections of a Laplace hyperparameter grid, grown where the corrected posterior goes.

    ``nodes`` maps integer grid keys to the :class:`.field_laplace.GridNode` of the Laplace approximation
    (with its next-order terms); ``evaluate(key)`` adds a node; ``tau_of(key)`` gives
    its smoothness scales. A design (the heaviest corrected node and its axis neighbours) is run by EP
    (:func:`grid_correction`) and every node takes the corrections of the nearest design centre; the grid is
    then grown by the corrected log posterior (neighbours of nodes within ``drop`` of its maximum), and while
    the heaviest node lies off every design a new design is centred there (at most :data:`ROUNDS`).
    ``None`` when EP is not usable at the first design centre.
    """
    models: list[tuple[tuple[int, ...], GridCorrection]] = []
    done: dict[tuple[int, ...], EPResult] = {}

    def ep_at(q):  # EP at a node, started from the sites of the nearest node done (Laplace sites at first)
        if q not in done:
            near = min(done, key=lambda p: np.sum(np.subtract(p, q) ** 2), default=None)
            sites = None if near is None else (done[near].lam, done[near].nu)
            done[q] = expectation_propagation(lik, prior, tau_of(q), nodes[q].mode, sites=sites)
        return done[q]

    def nearest(q):
        return min(reversed(models), key=lambda m: np.max(np.abs(np.subtract(q, m[0]))))

    def score(q):
        if not models:
            return nodes[q].log_post
        centre, model = nearest(q)
        dz = np.subtract(q, centre)[None].astype(float)
        return nodes[q].log_post + float((model.columns(dz, model.axes) @ model.delta)[0])

    for _ in range(ROUNDS):
        top = max(nodes, key=score)
        if models and np.max(np.abs(np.subtract(top, nearest(top)[0]))) <= 1:
            break
        k = len(top)
        design = [top] + [tuple(np.add(top, s * e)) for e in np.eye(k, dtype=int) for s in (1, -1)]
        for q in design:
            if q not in nodes:
                evaluate(q)
        if not _usable(ep_at(top), prior.n_cells):
            break
        v = [nodes[q] for q in design]
        model = grid_correction(
            np.array(design, dtype=float) - np.array(top),
            [ep_at(q) for q in design],
            np.array([x.log_marginal for x in v]),
            np.stack([x.mean for x in v]),
            np.stack([x.var for x in v]),
        )
        if model is None:
            break
        models.append((top, model))
        grow_grid(nodes, evaluate, score, drop)
    if not models:
        return None
    runs = tuple((r.converged, r.iterations, r.n_fallback) for r in done.values())
    delta, mean, ratio = {}, {}, {}
    for q in nodes:
        centre, model = nearest(q)
        d, m, r = model.at(np.subtract(q, centre)[None].astype(float), nodes[q].mean.shape)
        delta[q], mean[q], ratio[q] = float(d[0]), m[0], r[0]
    return GridEP(delta, mean, ratio, tuple(models), runs)
