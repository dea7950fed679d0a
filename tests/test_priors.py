"""Prior components: stencil forms and normalised log densities against dense linear algebra."""

import numpy as np
import pytensor.tensor as pt
import pytest

from bayesgeo import gmrf
from bayesgeo.priors import SMOOTHNESS, gmrf_logp, laplacian_apply, quadratic_form


@pytest.mark.parametrize("boundary", gmrf.BOUNDARIES)
@pytest.mark.parametrize("shape", [(9,), (5, 7), (3, 4, 5)])
def test_laplacian_stencil_matches_matrix(boundary, shape):
    x = np.random.default_rng(0).normal(size=shape)
    L = gmrf.laplacian_matrix(shape, boundary)
    np.testing.assert_allclose(laplacian_apply(x, boundary), (L @ x.ravel()).reshape(shape), atol=1e-12)


@pytest.mark.parametrize("boundary", gmrf.BOUNDARIES)
@pytest.mark.parametrize("name", sorted(SMOOTHNESS))
def test_logp_is_the_normalised_density_on_the_proper_subspace(boundary, name):
    shape = (6, 5)
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape)
    prior, hyper, tau = SMOOTHNESS[name], ({"kappa": 0.4} if name == "car" else {}), 0.7
    L = gmrf.laplacian_matrix(shape, boundary)
    w, V = np.linalg.eigh(L)
    g = prior.g(np.where(w > 1e-9, w, 0.0), **hyper)
    Q = (V * g) @ V.T / tau**2
    keep = g > 1e-9
    dense = -0.5 * x.ravel() @ Q @ x.ravel() + 0.5 * np.sum(np.log(g[keep] / tau**2)) \
        - 0.5 * keep.sum() * np.log(2 * np.pi)
    assert quadratic_form(x, prior, boundary, **hyper) == pytest.approx(x.ravel() @ Q @ x.ravel() * tau**2)
    assert gmrf_logp(x, tau, prior, boundary, **hyper) == pytest.approx(dense, rel=1e-10)
    xt = pt.as_tensor(x)
    sym = gmrf_logp(xt, pt.as_tensor(tau), prior, boundary, xp=pt,
                    **{k: pt.as_tensor(v) for k, v in hyper.items()})
    assert float(sym.eval()) == pytest.approx(dense, rel=1e-10)
