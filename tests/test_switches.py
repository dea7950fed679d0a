"""Switch helpers: the inverse-CDF index is the categorical prior; conditional probabilities and importance
summaries against direct NumPy computations."""

import numpy as np
import pytensor.tensor as pt

from bayesgeo.switches import (
    conditional_log_probabilities,
    inverse_cdf_index,
    log_weights,
    weighted_summary,
)


def test_inverse_cdf_index_reproduces_the_prior_weights():
    w = np.array([1.0, 3.0, 0.5, 2.5])
    u = (np.arange(70_000) + 0.5) / 70_000  # exact quantile grid: frequencies equal the weights
    freq = np.bincount(inverse_cdf_index(u, w), minlength=4) / u.size
    np.testing.assert_allclose(freq, w / w.sum(), atol=1e-4)
    x = pt.dscalar("u")
    assert int(inverse_cdf_index(x, w, pt).eval({x: 0.2})) == inverse_cdf_index(0.2, w) == 1


def test_conditional_probabilities_normalise_over_the_option_axes():
    rng = np.random.default_rng(0)
    terms = rng.normal(size=(5, 4, 3)) * 50
    p = np.exp(conditional_log_probabilities(terms, n_option_axes=2))
    np.testing.assert_allclose(p.sum(axis=(1, 2)), 1.0)
    direct = np.exp(terms[0] - terms[0].max())
    np.testing.assert_allclose(p[0], direct / direct.sum())
    np.testing.assert_allclose(np.exp(log_weights([1, 1, 2])), [0.25, 0.25, 0.5])


def test_weighted_summary_matches_numpy_for_equal_and_indicator_weights():
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 3.0, size=4000)
    log_w = np.stack([np.zeros_like(x), np.where(x > 2.0, 0.0, -np.inf)], axis=1)
    s = weighted_summary(x, log_w)
    assert np.isclose(s["mean"][0], x.mean()) and np.isclose(s["sd"][0], x.std())
    assert np.isclose(s["mean"][1], x[x > 2].mean())
    np.testing.assert_allclose([s["q05"][0], s["q95"][0]], np.quantile(x, [0.05, 0.95]), atol=0.02)
    assert np.isclose(s["ess"][0], x.size) and np.isclose(s["ess"][1], np.sum(x > 2))
