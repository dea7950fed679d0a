"""Exact Gaussian algebra against dense linear algebra on small grids."""

import numpy as np
import pytest
from scipy.optimize import minimize

from bayesgeo import gmrf

SPECTRA = {
    "gmrf": lambda lam: lam,
    "gmrf2": lambda lam: lam**2,
    "car": lambda lam: lam + 0.3**2,
}


def dense(shape, boundary, gfun, alpha, beta, y):
    L = gmrf.laplacian_matrix(shape, boundary)
    w, V = np.linalg.eigh(L)
    Q = alpha * (V * gfun(np.clip(w, 0, None))) @ V.T
    P = beta * np.eye(y.size) + Q
    S = np.linalg.inv(P)
    mean = S @ (beta * y.ravel())
    # evidence restricted to the proper subspace of Q: project y onto it
    keep = gfun(np.clip(w, 0, None)) > 1e-9
    B = V[:, keep]
    cov = B.T @ (np.eye(y.size) / beta) @ B + np.diag(1 / (alpha * gfun(w[keep])))
    z = B.T @ y.ravel()
    sign, logdet = np.linalg.slogdet(2 * np.pi * cov)
    logev = -0.5 * (logdet + z @ np.linalg.solve(cov, z))
    return mean.reshape(shape), np.diag(S).reshape(shape), logev


@pytest.mark.parametrize("boundary", gmrf.BOUNDARIES)
@pytest.mark.parametrize("prior", sorted(SPECTRA))
@pytest.mark.parametrize("shape", [(7, 5), (12,), (3, 4, 5)])
def test_exact_algebra_matches_dense(boundary, prior, shape):
    rng = np.random.default_rng(1)
    y = rng.normal(size=shape)
    alpha, beta = 2.3, 5.0
    g = SPECTRA[prior](gmrf.laplacian_eigenvalues(shape, boundary))
    mean, var, logev = dense(shape, boundary, SPECTRA[prior], alpha, beta, y)
    np.testing.assert_allclose(gmrf.posterior_mean(y, g, alpha, beta, boundary), mean, atol=1e-8)
    np.testing.assert_allclose(gmrf.posterior_variance(g, alpha, beta, boundary), var, atol=1e-8)
    keep = gmrf.proper_modes(g)
    ours = gmrf.log_evidence(gmrf.power(y, boundary)[keep], g[keep], alpha, beta)
    assert ours == pytest.approx(logev, abs=1e-8)


@pytest.mark.parametrize("boundary", gmrf.BOUNDARIES)
def test_eigenvalues_match_dense_laplacian(boundary):
    shape = (6, 4)
    L = gmrf.laplacian_matrix(shape, boundary)
    ours = np.sort(gmrf.laplacian_eigenvalues(shape, boundary).ravel())
    np.testing.assert_allclose(ours, np.linalg.eigvalsh(L), atol=1e-10)


@pytest.mark.parametrize("boundary", gmrf.BOUNDARIES)
def test_exact_draws_have_posterior_moments(boundary):
    rng = np.random.default_rng(2)
    shape = (6, 5)
    y = rng.normal(size=shape)
    g = gmrf.laplacian_eigenvalues(shape, boundary)
    draws = np.stack([gmrf.draw(y, g, 1.5, 4.0, rng, boundary) for _ in range(20_000)])
    mean = gmrf.posterior_mean(y, g, 1.5, 4.0, boundary)
    var = gmrf.posterior_variance(g, 1.5, 4.0, boundary)
    se = np.sqrt(var / draws.shape[0])
    assert np.all(np.abs(draws.mean(0) - mean) < 5 * se)
    np.testing.assert_allclose(draws.var(0), var, rtol=0.06)


def test_em_reaches_evidence_optimum():
    rng = np.random.default_rng(3)
    shape = (40, 30)
    g = gmrf.laplacian_eigenvalues(shape)
    x = gmrf.prior_draw(shape, g, 50.0, rng)
    y = x + rng.normal(scale=0.1, size=shape)
    keep = gmrf.proper_modes(g)
    p, gk = gmrf.power(y)[keep], g[keep]
    alpha, beta, _ = gmrf.em_hyperparameters(p, gk)
    res = minimize(lambda t: -gmrf.log_evidence(p, gk, np.exp(t[0]), np.exp(t[1])), [0.0, 0.0])
    np.testing.assert_allclose([np.log(alpha), np.log(beta)], res.x, atol=1e-3)
