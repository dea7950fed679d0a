"""Generic fit() methods on a conjugate model with a known posterior; the convergence report."""

import numpy as np
import pymc as pm
import pytest
import xarray as xr

from bayesgeo.diagnostics import convergence_report, summarize, switch_probabilities
from bayesgeo.inference import fit
from bayesgeo.spec import Inference

Y = np.random.default_rng(0).normal(1.0, 2.0, size=40)
POST_SD = 1 / np.sqrt(1 + Y.size / 4.0)  # prior N(0, 1), known noise sd 2
POST_MEAN = POST_SD**2 * Y.sum() / 4.0


def model():
    with pm.Model() as m:
        mu = pm.Normal("mu", 0, 1)
        pm.Normal("y", mu, 2.0, observed=Y)
    return m


@pytest.mark.parametrize("method,tol", [("nuts", 0.1), ("smc", 0.15), ("map", 0.1), ("vi", 0.25)])
def test_methods_recover_the_conjugate_posterior(method, tol):
    tree = fit(model(), Inference(method=method, draws=500, tune=500, chains=2, seed=1))
    s = summarize(tree["posterior"].to_dataset(), ["mu"])
    assert abs(float(s["mu"]) - POST_MEAN) < tol * POST_SD * 3
    assert float(s["mu_sd"]) == pytest.approx(POST_SD, rel=0.25)
    assert tree.attrs["inference_method"] == method
    assert tree["posterior"]["mu"].dims == ("chain", "draw")


def test_convergence_report_flags_disagreeing_chains():
    draws = np.stack([np.random.default_rng(1).normal(0, 1, 300), np.random.default_rng(2).normal(3, 1, 300)])
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros_like(draws, bool))})
    tree = xr.DataTree.from_dict(
        {"posterior": xr.Dataset({"a": (("chain", "draw"), draws)}), "sample_stats": stats}
    )
    report = convergence_report(tree)
    assert report.max_rhat > 1.5 and not report.ok
    assert "chains disagree" in str(report)


def test_nuts_report_is_clean():
    tree = fit(model(), Inference(draws=500, tune=500, seed=2))
    report = convergence_report(tree)
    assert report.ok, str(report)
    assert report.divergences == 0 and report.max_rhat < 1.01


def test_switch_probabilities_are_labelled_and_normalised():
    p = switch_probabilities("liquid", ["aqueous", "melt"], [3.0, 1.0])
    assert p.dims == ("liquid",) and list(p["liquid"].values) == ["aqueous", "melt"]
    np.testing.assert_allclose(p.values, [0.75, 0.25])
