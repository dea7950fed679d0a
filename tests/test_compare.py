"""Model comparison: ``--vary``, PSIS-LOO (against exact LOO on a conjugate model), the plot, the CLI.

The LOO path is checked on a tiny conjugate-normal case registered for the test only; the denoise tests use
16 x 16 images so that every fit takes a fraction of a second.
"""

import sys
import types

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.stats import norm

from bayesgeo import gmrf
from bayesgeo.api import compare
from bayesgeo.cli import main, split_values
from bayesgeo.errors import SpecError
from bayesgeo.heldout import gaussian_loglik, psis_loo
from bayesgeo.plots import plot_compare
from bayesgeo.spec import CASES, Inference, check_keys, load_spec, number

NOISE_SD, PRIOR_MEAN = 1.0, 0.0
Y = np.random.default_rng(7).normal(3.0, NOISE_SD, size=(6, 5))  # 30 observations, mean 3


def normal_posterior(y: np.ndarray, prior_sd: float) -> tuple[float, float]:
    """Mean and s.d. of ``mu | y`` for ``y_i ~ N(mu, NOISE_SD^2)``, ``mu ~ N(PRIOR_MEAN, prior_sd^2)``."""
    prec = prior_sd**-2 + y.size / NOISE_SD**2
    return (PRIOR_MEAN * prior_sd**-2 + y.sum() / NOISE_SD**2) / prec, prec**-0.5


def exact_loo(y: np.ndarray, prior_sd: float) -> np.ndarray:
    """``log p(y_i | y_-i)`` in closed form (nats), in C order."""
    flat = y.ravel()
    out = []
    for i in range(flat.size):
        m, s = normal_posterior(np.delete(flat, i), prior_sd)
        out.append(norm.logpdf(flat[i], m, np.hypot(s, NOISE_SD)))
    return np.array(out)


def _prepare(spec):
    data = spec.section("data")
    check_keys(data, ("y", "prior_sd", "loglik"), "data")
    return np.asarray(data["y"], float), number("data.prior_sd", data["prior_sd"], low=0, strict=True), data


def _fit(problem, settings):
    """Exact posterior draws of ``mu`` and the pointwise log-likelihood, split over two variables."""
    y, prior_sd, data = problem
    m, s = normal_posterior(y, prior_sd)
    mu = np.random.default_rng(settings.seed).normal(m, s, size=(settings.chains, settings.draws))
    ll = gaussian_loglik(y, mu[..., None, None], NOISE_SD)
    groups = {"posterior": xr.Dataset({"mu": (("chain", "draw"), mu)})}
    if data.get("loglik", True):
        groups["log_likelihood"] = xr.Dataset(
            {
                "first": (("chain", "draw", "obs"), ll[:, :, 0]),
                "rest": (("chain", "draw", "a", "b"), ll[:, :, 1:]),
            }
        )
    tree = xr.DataTree.from_dict(groups)
    tree.attrs |= {"variant": "normal", "inference_method": "exact"}
    return tree


@pytest.fixture
def normal_case(monkeypatch, tmp_path):
    """Register the conjugate-normal case ``test.normal`` for one test; returns a spec file using it."""
    module = types.ModuleType("bayesgeo_test_normal_case")
    module.prepare, module.fit = _prepare, _fit
    module.has_exact_evidence = lambda problem, settings: False
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(CASES, "test.normal", module.__name__)
    path = tmp_path / "normal.toml"
    path.write_text(
        f'[model]\ncase = "test.normal"\n[data]\ny = {Y.tolist()}\nprior_sd = 10.0\n'
        "[inference]\ndraws = 2000\nchains = 2\nseed = 3\n"
    )
    return path


def test_psis_loo_matches_exact_loo(normal_case):
    spec = {"model": {"case": "test.normal"}, "data": {"y": Y.tolist(), "prior_sd": 10.0}}
    tree = _fit(_prepare(load_spec(spec)), Inference(draws=4000, chains=2, seed=3))
    lpd = psis_loo(tree)
    exact = exact_loo(Y, 10.0)
    assert lpd.sizes == {"observation": Y.size}  # both variables, flattened and concatenated in order
    # Monte Carlo error over 20 seeds at 4000 draws: largest per point 0.015 nats, s.d. of the sum 0.013
    np.testing.assert_allclose(lpd.values, exact, atol=0.03)
    assert abs(float(lpd.sum()) - exact.sum()) < 0.05
    assert lpd.attrs["pareto_k_max"] < 0.5 and lpd.attrs["n_high_k"] == 0
    assert 0.5 < lpd.attrs["p_loo"] < 1.5  # one parameter


def test_loo_ranks_the_wide_prior_first(normal_case):
    table = compare([normal_case], score="loo", vary={"data.prior_sd": [0.1, 10.0]})
    assert list(table.index) == ["data.prior_sd=10.0", "data.prior_sd=0.1"]
    wide, tight = exact_loo(Y, 10.0), exact_loo(Y, 0.1)
    # s.d. of the sums over 20 seeds (4000 draws): 0.013 (wide), 0.09 (tight: errors shared by all points)
    np.testing.assert_allclose(table["elpd"], [wide.sum(), tight.sum()], atol=0.4)
    diff = tight - wide
    np.testing.assert_allclose(table["delta"].iloc[1], diff.sum(), atol=0.4)
    np.testing.assert_allclose(table["delta_se"].iloc[1], np.sqrt(diff.size * diff.var(ddof=1)), rtol=0.05)
    assert table["delta"].iloc[1] < -3 * table["delta_se"].iloc[1]  # the prior centred on 0 is clearly worse
    assert {"elpd", "se", "elpd_point", "se_point", "delta", "delta_se", "hyperparameters", "time_s"} <= set(
        table.columns
    ) and {"p_loo", "pareto_k_max", "n_high_k"} <= set(table.columns)
    assert table.attrs["score"] == "loo" and "PSIS-LOO" in table.attrs["method"]
    assert "all Pareto k <=" in table.attrs["method"]


def test_auto_falls_back_to_loo_and_warns_about_high_k(normal_case):
    # one datum far out and few draws: its importance weights are heavy-tailed
    y = np.append(Y.ravel(), 40.0)
    table = compare([normal_case], **{"data.y": y.tolist(), "inference.draws": 200})
    assert table.attrs["score"] == "loo"
    assert table["n_high_k"].iloc[0] >= 1 and "WARNING: Pareto k >" in table.attrs["method"]
    ax = plot_compare(table)
    assert "high Pareto k" in ax.get_title()
    plt.close(ax.figure)


def test_loo_needs_a_pointwise_log_likelihood(normal_case):
    with pytest.raises(SpecError, match="has no pointwise log-likelihood"):
        compare([normal_case], score="loo", vary={"data.loglik": [True, False]})


def test_vary_cli_writes_table_and_figure(normal_case, tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", str(normal_case), "--vary", "data.prior_sd=0.1,10.0", "--out", str(out)])
    res = capsys.readouterr()
    assert code == 0, res.err
    assert "data.prior_sd=10.0" in res.out and "score: PSIS-LOO" in res.out
    table = pd.read_csv(out / "compare.csv", index_col="spec")
    assert list(table.index) == ["data.prior_sd=10.0", "data.prior_sd=0.1"]
    assert plt.imread(out / "compare.png").shape[2] in (3, 4)
    assert sorted(p.name for p in out.iterdir()) == ["compare.csv", "compare.png"]  # no temporary files


def test_vary_two_keys_two_specs_names_every_combination(normal_case):
    table = compare(
        [normal_case, normal_case],
        score="loo",
        vary={"data.prior_sd": [0.1, 10.0], "inference.seed": [1, 2]},
        **{"inference.draws": 100},
    )
    assert len(table) == 8 and "normal[data.prior_sd=0.1, inference.seed=2]" in table.index


@pytest.fixture
def tiny_denoise(tmp_path):
    rng = np.random.default_rng(2)
    shape = (16, 16)
    x = 10 + gmrf.prior_draw(shape, gmrf.laplacian_eigenvalues(shape), 1.0, rng)
    np.save(tmp_path / "y.npy", x + rng.normal(scale=0.5, size=shape))
    path = tmp_path / "tiny.toml"
    path.write_text(
        '[model]\ncase = "denoise"\nvariant = "gmrf"\n[data]\nimage = "y.npy"\n[inference]\ndraws = 50\n'
    )
    return path


def test_vary_model_variant_by_evidence(tiny_denoise):
    table = compare([tiny_denoise], vary={"model.variant": ["gmrf", "gmrf2", "car"]})
    assert table.attrs["score"] == "evidence"
    assert sorted(table.index) == ["model.variant=car", "model.variant=gmrf", "model.variant=gmrf2"]
    assert sorted(table["variant"]) == ["car", "gmrf", "gmrf2"]
    assert np.isclose(table["probability"].sum(), 1.0)


@pytest.mark.parametrize(
    "vary",
    [
        "model.variant",
        "model.variant=",
        "model.variant=gmrf,",
        "=gmrf,tv",
        "data.imgae=1,2",
        "model.variant=x,y",
    ],
)
def test_bad_vary_exits_2_with_one_line(vary, tiny_denoise, tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", str(tiny_denoise), "--vary", vary, "--out", str(out)])
    err = capsys.readouterr().err
    field = {"data.imgae=1,2": "data.imgae", "model.variant=x,y": "model.variant"}.get(vary, "--vary")
    assert code == 2 and len(err.strip().splitlines()) == 1 and field in err, err
    assert not out.exists()


def test_vary_api_rejects_empty_lists(tiny_denoise):
    with pytest.raises(SpecError, match="compare.vary"):
        compare([tiny_denoise], vary={"model.variant": []})


def test_split_values_keeps_lists_and_quoted_commas():
    assert split_values('gmrf, 2,[1, 2],"a,b"') == ["gmrf", "2", "[1, 2]", '"a,b"']


def test_plot_compare_both_kinds(normal_case, tiny_denoise):
    loo = compare([normal_case], score="loo", vary={"data.prior_sd": [0.1, 10.0, 1.0]})
    ev = compare([tiny_denoise], vary={"model.variant": ["gmrf", "gmrf2"]})
    for table, label in ((loo, "elpd (nats"), (ev, "log evidence (nats")):
        ax = plot_compare(table)
        assert ax.get_xlabel().startswith(label) and ax.get_title()
        ticks = sorted(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True))
        assert [name for _, name in ticks][::-1] == list(table.index)  # best on top
        plt.close(ax.figure)
