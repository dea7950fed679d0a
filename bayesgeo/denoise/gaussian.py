"""Exact (collapsed) inference for Gaussian image priors: the latent image is integrated out analytically.

Hyperparameters: noise s.d. ``sigma`` (``beta = sigma**-2``), prior scale ``tau`` (``alpha = tau**-2``) and,
for the proper CAR, ``kappa``. Their posterior ``p(theta | y) ∝ p(y | theta) p(theta)`` is evaluated in closed
form (:mod:`bayesgeo.gmrf`) and

* ``exact``: integrated by quadrature on a grid in log coordinates — the outer axes ``log(alpha/beta)``
  (and ``log kappa``) cost one O(N) pass per node, the inner ``log beta`` axis is free because the evidence
  depends on ``beta`` only through two sums; the grid also gives the model evidence ``log p(y)``;
* ``nuts``: sampled with nutpie on the same closed-form density (a 2–3 parameter PyMC model);
* ``map``: optimised (type-II MAP), then plugged in.

The image posterior is then a mixture over hyperparameters of exact Gaussians; its mean and variance are
linear in the spectral filters, so they cost two transforms however many nodes or draws there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
from pymc_extras.prior import Prior
from scipy.optimize import minimize
from scipy.special import logsumexp

from bayesgeo import gmrf
from bayesgeo.priors import SpectralPrior


@dataclass(frozen=True)
class Spectrum:
    """The data in the spectral domain: coefficients, eigenvalues, and the power on the proper modes."""

    coef: np.ndarray
    lam: np.ndarray
    boundary: str
    proper: np.ndarray = field(repr=False)

    @classmethod
    def of(cls, y: np.ndarray, boundary: str) -> Spectrum:
        lam = gmrf.laplacian_eigenvalues(y.shape, boundary)
        return cls(gmrf.forward(y, boundary), lam, boundary, lam > 0)

    @property
    def power(self) -> np.ndarray:
        c = self.coef[self.proper]
        return (c * np.conj(c)).real if np.iscomplexobj(c) else c**2


@dataclass(frozen=True)
class HyperPosterior:
    """Weighted hyperparameter points (quadrature nodes, MCMC draws or one mode) and the model evidence."""

    ratio: np.ndarray  # alpha / beta
    beta: np.ndarray
    hyper: dict[str, np.ndarray]
    weight: np.ndarray
    log_evidence: float = np.nan
    cell: dict[str, np.ndarray] | None = None  # widths of quadrature cells in log coordinates
    shear: np.ndarray | None = None  # slope of the inner log-beta grid on the outer log coordinates

    @property
    def sigma(self) -> np.ndarray:
        return self.beta**-0.5

    @property
    def tau(self) -> np.ndarray:
        return (self.ratio * self.beta) ** -0.5


def prior_logp(prior: Prior):
    """Vectorised log density of a scalar ``Prior`` as a NumPy-callable function."""
    x = pt.dvector("x")
    dist = prior.pymc_distribution.dist(**prior.parameters)
    f = pytensor.function([x], pm.logp(dist, x))
    return lambda v: f(np.atleast_1d(np.asarray(v, dtype=float)))


class _LogPost:
    """Log posterior density in log coordinates ``u = (log ratio, [log kappa], [log beta])``."""

    def __init__(
        self, spec: Spectrum, prior: SpectralPrior, priors: dict[str, Prior], beta_known: float | None
    ):
        self.spec, self.prior, self.beta_known = spec, prior, beta_known
        self.power, self.lam = spec.power, spec.lam[spec.proper]
        self.n = self.power.size
        self.names = ("tau", *prior.hyper)
        self.lp = {k: prior_logp(priors[k]) for k in (*self.names, *(() if beta_known else ("sigma",)))}

    def g(self, hyper: dict[str, float]) -> np.ndarray:
        return self.prior.g(self.lam, **hyper)

    def outer_terms(self, log_ratio: float, log_hyper: np.ndarray):
        hyper = dict(zip(self.prior.hyper, np.exp(log_hyper), strict=True))
        return gmrf.evidence_terms(self.power, self.g(hyper), np.exp(log_ratio)), hyper

    def density(self, log_ratio: float, log_hyper: np.ndarray, log_beta: np.ndarray, terms=None):
        """Log density, with the Jacobian of the log coordinates and all constants, at many ``log_beta``."""
        (logdet, quad), hyper = terms or self.outer_terms(log_ratio, log_hyper)
        beta = np.exp(log_beta)
        out = gmrf.log_evidence_from_terms(logdet, quad, self.n, beta)
        tau = (np.exp(log_ratio) * beta) ** -0.5
        out = out + self.lp["tau"](tau) + np.log(tau) + np.log(0.5)  # d log tau = -1/2 d log ratio (+ ...)
        for k, v in hyper.items():
            out = out + self.lp[k](v)[0] + np.log(v)
        if not self.beta_known:
            sigma = beta**-0.5
            out = out + self.lp["sigma"](sigma) + np.log(sigma) + np.log(0.5)
        return out

    def __call__(self, u: np.ndarray) -> float:
        log_beta = np.log(self.beta_known) if self.beta_known else u[-1]
        k = len(self.prior.hyper)
        return float(self.density(u[0], u[1 : 1 + k], np.atleast_1d(log_beta))[0])


def _start(spec: Spectrum, prior: SpectralPrior, beta_known: float | None) -> np.ndarray:
    hyper0 = {k: 0.1 for k in prior.hyper}
    g = prior.g(spec.lam[spec.proper], **hyper0)
    alpha, beta, _ = gmrf.em_hyperparameters(
        spec.power,
        g,
        beta=beta_known or 1.0 / np.var(spec.power) ** 0.5,
        fixed_beta=beta_known is not None,
        tol=1e-6,
        max_iter=500,
        beta_max=1e6 / np.mean(spec.power),  # noise s.d. >= 1e-3 of the signal: a start, not a bound
    )
    u = [np.log(alpha / beta), *np.log(list(hyper0.values()))]
    return np.array(u + ([] if beta_known else [np.log(beta)]))


def _mode(logpost: _LogPost, u0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    res = minimize(lambda u: -logpost(u), u0, method="BFGS", options={"gtol": 1e-6})
    u = res.x
    h = 1e-3
    d = u.size
    H = np.empty((d, d))
    f0 = logpost(u)
    for i in range(d):
        for j in range(i, d):
            ei, ej = np.eye(d)[i] * h, np.eye(d)[j] * h
            H[i, j] = H[j, i] = (
                (logpost(u + ei + ej) - logpost(u + ei - ej) - logpost(u - ei + ej) + logpost(u - ei - ej))
                / (4 * h * h)
                if i != j
                else (logpost(u + ei) - 2 * f0 + logpost(u - ei)) / (h * h)
            )
    cov = np.linalg.inv(-H)
    if not np.all(np.linalg.eigvalsh(cov) > 0):
        raise RuntimeError("the hyperparameter posterior has no well-defined mode (flat evidence)")
    return u, cov


def quadrature(
    spec: Spectrum,
    prior: SpectralPrior,
    priors: dict[str, Prior],
    beta_known: float | None = None,
    n_outer: int | None = None,
    n_inner: int = 25,
    width: float = 5.0,
) -> HyperPosterior:
    """Integrate the hyperparameter posterior on a grid; returns normalised node weights and ``log p(y)``."""
    logpost = _LogPost(spec, prior, priors, beta_known)
    u, cov = _mode(logpost, _start(spec, prior, beta_known))
    k = 1 + len(prior.hyper)
    n_outer = n_outer or (25 if k == 1 else 13)
    for _ in range(4):
        result, edge = _grid(logpost, u, cov, k, n_outer, n_inner, width)
        if edge < 1e-6:
            return result
        width *= 1.6
    return result


def _grid(logpost: _LogPost, u, cov, k, n_outer, n_inner, width):
    sd_o = np.sqrt(np.diag(cov)[:k])
    axes = [u[i] + sd_o[i] * np.linspace(-width, width, n_outer) for i in range(k)]
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, k)
    d_outer = np.prod([a[1] - a[0] for a in axes])
    rows = []
    for node in mesh:
        terms = logpost.outer_terms(node[0], node[1:])
        if logpost.beta_known:
            lb, d_inner = np.array([np.log(logpost.beta_known)]), np.array([1.0])
        else:
            # conditional Gaussian of log beta given the outer coordinates
            c_oo, c_bo = cov[:k, :k], cov[k, :k]
            mean = u[k] + c_bo @ np.linalg.solve(c_oo, node - u[:k])
            sd = np.sqrt(cov[k, k] - c_bo @ np.linalg.solve(c_oo, c_bo))
            lb = mean + sd * np.linspace(-width, width, n_inner)
            d_inner = np.full(n_inner, lb[1] - lb[0])
        dens = logpost.density(node[0], node[1:], lb, terms)
        rows.append((np.repeat(node[None], lb.size, 0), lb, dens + np.log(d_outer * d_inner)))
    nodes = np.concatenate([r[0] for r in rows])
    log_beta = np.concatenate([r[1] for r in rows])
    logw = np.concatenate([r[2] for r in rows])
    log_z = logsumexp(logw)
    w = np.exp(logw - log_z)
    # mass on the outermost grid slices tells whether the grid is wide enough
    on_edge = np.zeros(w.size, bool)
    for i in range(k):
        on_edge |= np.isin(nodes[:, i], [axes[i][0], axes[i][-1]])
    if not logpost.beta_known:
        inner_pos = np.tile(np.arange(n_inner), len(mesh))
        on_edge |= (inner_pos == 0) | (inner_pos == n_inner - 1)
    hyper = {name: np.exp(nodes[:, 1 + i]) for i, name in enumerate(logpost.prior.hyper)}
    widths = [np.full(w.size, a[1] - a[0]) for a in axes]
    cell = {
        "ratio": widths[0],
        **dict(zip(logpost.prior.hyper, widths[1:], strict=True)),
        "beta": np.concatenate(
            [np.full(r[1].size, r[1][1] - r[1][0] if r[1].size > 1 else 0.0) for r in rows]
        ),
    }
    shear = None if logpost.beta_known else np.linalg.solve(cov[:k, :k], cov[k, :k])
    post = HyperPosterior(np.exp(nodes[:, 0]), np.exp(log_beta), hyper, w, float(log_z), cell, shear)
    return post, float(w[on_edge].sum())


def mode(spec: Spectrum, prior: SpectralPrior, priors: dict[str, Prior], beta_known: float | None = None):
    """Type-II MAP: the single most probable hyperparameter point (weight 1)."""
    logpost = _LogPost(spec, prior, priors, beta_known)
    u, _ = _mode(logpost, _start(spec, prior, beta_known))
    beta = beta_known or np.exp(u[-1])
    hyper = {name: np.exp(u[1 + i : 2 + i]) for i, name in enumerate(prior.hyper)}
    return HyperPosterior(np.exp(u[:1]), np.array([beta]), hyper, np.ones(1))


def build_model(
    spec: Spectrum, prior: SpectralPrior, priors: dict[str, Prior], sigma_known: float | None = None
) -> pm.Model:
    """PyMC model of the collapsed hyperparameter posterior (image integrated out exactly)."""
    power, lam = spec.power, spec.lam[spec.proper]
    with pm.Model() as model:
        sigma = pm.Data("sigma", sigma_known) if sigma_known else priors["sigma"].create_variable("sigma")
        tau = priors["tau"].create_variable("tau")
        hyper = {k: priors[k].create_variable(k) for k in prior.hyper}
        g = prior.g(pt.as_tensor(lam), **hyper) if hyper else pt.as_tensor(prior.g(lam))
        pm.Potential("log_evidence", gmrf.log_evidence(power, g, tau**-2, sigma**-2, xp=pt))
    return model


def from_draws(sigma: np.ndarray, tau: np.ndarray, hyper: dict[str, np.ndarray]) -> HyperPosterior:
    """Equal-weight hyperparameter points from MCMC draws."""
    beta = sigma**-2.0
    return HyperPosterior((tau**-2.0) / beta, beta, hyper, np.full(beta.size, 1.0 / beta.size))


def field_moments(
    spec: Spectrum, prior: SpectralPrior, post: HyperPosterior, rng: np.random.Generator, max_nodes: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """Exact posterior mean and per-pixel variance of the image, mixed over the hyperparameter posterior.

    ``E[x] = T'(y_hat * sum_j w_j f_j)`` and ``E[Var(x|theta)]`` are linear in the filters; the spread of the
    conditional means, ``Var(E[x|theta])``, is exact for up to ``max_nodes`` distinct filters and otherwise
    estimated from ``max_nodes`` nodes drawn by weight.
    """
    keys = np.column_stack([post.ratio, *post.hyper.values()])
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    w_o = np.bincount(inv, weights=post.weight)
    b_o = np.bincount(inv, weights=post.weight / post.beta)
    mean_filter = np.zeros(spec.lam.shape)
    var_spec = np.zeros(spec.lam.shape)
    filters = []
    for row, w, b in zip(uniq, w_o, b_o, strict=True):
        g = prior.g(spec.lam, **dict(zip(post.hyper, row[1:], strict=True)))
        f = 1.0 / (1.0 + row[0] * g)
        mean_filter += w * f
        var_spec += b * f
        filters.append(f)
    mean = gmrf.inverse(spec.coef * mean_filter, spec.boundary)
    var = gmrf.pointwise_variance(var_spec, spec.boundary)
    if len(filters) > 1:
        pick = (
            np.arange(len(filters))
            if len(filters) <= max_nodes
            else rng.choice(len(filters), size=max_nodes, p=w_o / w_o.sum())
        )
        ww = w_o[pick] / w_o[pick].sum() if len(filters) <= max_nodes else np.full(pick.size, 1 / pick.size)
        second = sum(
            wi * gmrf.inverse(spec.coef * filters[i], spec.boundary) ** 2
            for i, wi in zip(pick, ww, strict=True)
        )
        var = var + np.clip(second - mean**2, 0, None)
    return mean, var


def sample_points(post: HyperPosterior, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n`` hyperparameter draws from weighted points; quadrature nodes get a uniform jitter within their
    cell. Cells are sheared: the inner log-beta grid follows the conditional mean of the outer coordinates,
    so a step in those moves log beta along (else a tight ``tau`` ridge is smeared when the noise is small).
    """
    idx = rng.choice(post.weight.size, size=n, p=post.weight)
    log = {
        "ratio": np.log(post.ratio[idx]),
        "beta": np.log(post.beta[idx]),
        **{k: np.log(v[idx]) for k, v in post.hyper.items()},
    }
    if post.cell is not None:
        step = {k: post.cell[k][idx] * rng.uniform(-0.5, 0.5, n) for k in log}
        if post.shear is not None:
            outer = ["ratio", *post.hyper]
            step["beta"] = step["beta"] + sum(b * step[k] for b, k in zip(post.shear, outer, strict=True))
        log = {k: v + step[k] for k, v in log.items()}
    beta = np.exp(log["beta"])
    return {
        "sigma": beta**-0.5,
        "tau": (np.exp(log["ratio"]) * beta) ** -0.5,
        **{k: np.exp(log[k]) for k in post.hyper},
    }


def heldout_draws(
    y: np.ndarray,
    weight: np.ndarray,
    prior: SpectralPrior,
    points: dict[str, np.ndarray],
    boundary: str,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior draws at the held-out pixels (``weight == 0``), Rao-Blackwellised: ``x_i | x_-i`` moments.

    ``points`` are hyperparameter draws (``sigma``, ``tau``, and the prior's own, as from
    :func:`sample_points`). At each, one exact draw of the image given the observed pixels
    (:func:`bayesgeo.gmrf.masked_draw`) is reduced at every held-out pixel to the Gaussian conditional of
    ``x_i`` given the rest of the draw (:func:`bayesgeo.gmrf.prior_conditional`): same posterior, far less
    Monte Carlo noise in ``E[f(x_i)]``. Returns conditional means and variances, each
    ``(n_points, n_heldout)`` (image units, squared for the variance).
    """
    lam = gmrf.laplacian_eigenvalues(y.shape, boundary)
    held = weight == 0
    mean, var = np.empty((2, points["tau"].size, int(held.sum())))
    for s in range(mean.shape[0]):
        g = prior.g(lam, **{k: points[k][s] for k in prior.hyper})
        alpha, beta = points["tau"][s] ** -2, points["sigma"][s] ** -2
        x = gmrf.masked_draw(y, weight, g, alpha, beta, rng, boundary)
        m, v = gmrf.prior_conditional(x, g, alpha, boundary)
        mean[s], var[s] = m[held], v[held]
    return mean, var
