"""geofluid.point: the three inference routes agree, the quadrature is converged, the CLI writes conforming
results, bad input stops with one line, and synthetic truths are recovered."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from conftest import run_cli

import bayesgeo
from bayesgeo.errors import SpecError
from bayesgeo.geofluid import case, exact
from bayesgeo.geofluid.model import simulate
from bayesgeo.geofluid.recovery import DISTINGUISHABLE, recovery_scores, recovery_table
from bayesgeo.spec import load_spec

MODELS = Path(__file__).resolve().parents[1] / "models"
NARUKO = MODELS / "naruko_point.toml"
SYNTHETIC = MODELS / "synthetic_point.toml"


@pytest.fixture(scope="module")
def naruko_exact():
    return bayesgeo.fit_spec(NARUKO, **{"inference.method": "exact", "inference.seed": 2})


def test_marginalized_probabilities_match_the_quadrature(naruko_exact):
    tree = bayesgeo.fit_spec(NARUKO, **{"inference.method": "smc", "inference.seed": 0})
    m = tree["models"]
    assert tree.attrs["inference_method"] == "smc" and tree.attrs["handling"] == "marginalize"
    np.testing.assert_allclose(m["probability"], m["probability_exact"], atol=0.02)
    np.testing.assert_allclose(m["probability_exact"], naruko_exact["models"]["probability"])
    s, ref = tree["summary"], naruko_exact["summary"]
    assert float(s["p_liquid"].sel(liquid="aqueous")) > 0.99  # melt (0.42 S/m) cannot make 0.4 S/m rock
    for name in ("porosity", "aspect_ratio", "aspect_ratio_ec"):
        assert abs(float(s[name]) - float(ref[name])) < 0.25 * float(ref[f"{name}_sd"])
    top = m["probability"].where(m["probability"] > 0.05)
    err = np.abs(s["porosity_by_model"] - ref["porosity_by_model"]).where(top.notnull())
    assert float(err.max()) < 0.01  # importance-weighted per-combination porosity vs quadrature


def test_marginalized_nuts_matches_the_quadrature_after_importance_correction(naruko_exact):
    """Multi-start NUTS corrected by Pareto-smoothed importance weights: within 0.02 of the quadrature."""
    tree = bayesgeo.fit_spec(
        NARUKO, **{"inference.method": "nuts", "inference.seed": 0, "inference.quick": True}
    )
    m, a = tree["models"], tree.attrs
    assert a["inference_method"] == "nuts" and a["handling"] == "marginalize"
    np.testing.assert_allclose(m["probability"], m["probability_exact"], atol=0.02)
    assert a["importance_pareto_k"] < 0.7 and a["importance_reliable"] == 1
    assert a["importance_ess"] > 500 and a["nuts_chains"] >= 2 and np.isfinite(a["nuts_rhat_max"])
    assert tree["posterior"].sizes["chain"] == 2 and "sample_stats" not in tree.children
    ref = naruko_exact["summary"]
    assert abs(float(tree["summary"]["porosity"]) - float(ref["porosity"])) < 0.25 * float(ref["porosity_sd"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_marginalized_nuts_matches_the_quadrature_on_the_synthetic_point(seed):
    """Thin ridges (velocity errors 0.02 km/s): 40 000 importance draws keep the Monte Carlo error below
    0.02. Measured max abs error 0.014 / 0.016 / 0.013 (k 0.0 / 0.26 / 0.56); 10 000 draws: 0.020-0.033."""
    tree = bayesgeo.fit_spec(
        SYNTHETIC, **{"inference.method": "nuts", "inference.seed": seed, "inference.quick": True}
    )
    assert tree.attrs["p_model_max_abs_error"] < 0.02 and tree.attrs["importance_pareto_k"] < 0.7


def test_quadrature_is_converged_and_its_draws_follow_it(naruko_exact):
    p = case.prepare(
        load_spec(NARUKO, {"switches.lithology": ["granite", "gabbro", "amphibolite", "dunite"]})
    )
    coarse = exact.quadrature(p.rock, p.obs, p.priors, p.log_weights)
    fine = exact.quadrature(p.rock, p.obs, p.priors, p.log_weights, grid=(640, 320, 320))
    np.testing.assert_allclose(coarse.probabilities, fine.probabilities, atol=1e-3)
    assert abs(coarse.log_evidence - fine.log_evidence) < 1e-3
    draws = coarse.sample(20_000, np.random.default_rng(0))
    mean = {k: v["mean"] for k, v in coarse.summary().items()}
    probs = coarse.probabilities
    expected = float((mean["porosity"] * probs).sum())
    assert abs(draws["porosity"].mean() - expected) < 4 * draws["porosity"].std() / np.sqrt(20_000)
    freq = np.bincount(draws["lithology_index"], minlength=probs.shape[0]) / 20_000
    np.testing.assert_allclose(freq, probs.sum(1), atol=0.015)
    s = naruko_exact["summary"]
    assert s["porosity_by_model"].dims == ("lithology", "liquid")
    assert list(s["p_model"]["model"].values[:2]) == ["quartzite|aqueous", "quartz_sandstone|aqueous"]


def test_cli_fit_writes_conforming_results_for_exact_and_joint(tmp_path, check_contract):
    out = tmp_path / "exact"
    res = run_cli("fit", str(SYNTHETIC), "--out", str(out), "--seed", "3")
    assert res.returncode == 0, res.stderr
    assert "p_lithology" in res.stdout and "gabbro" in res.stdout
    check_contract(out)
    assert sorted(p.name for p in out.glob("*.png")) == [
        "geofluid_parameters.png",
        "geofluid_predictive.png",
        "geofluid_probabilities.png",
        "geofluid_scatter.png",
    ]
    tree = xr.open_datatree(out / "result.nc")
    assert tree.attrs["seed"] == 3 and tree.attrs["inference_method"] == "exact"
    assert set(tree["prior_predictive"].data_vars) == {"vp", "vs", "log10_conductivity"}
    assert float(tree["summary"]["p_model"].sel(model="gabbro|melt")) > 0.5
    joint = tmp_path / "joint"
    res = run_cli(
        "fit", str(SYNTHETIC), "--out", str(joint), "--quick", "--set", 'switches.handling="sample"'
    )
    assert res.returncode == 0, res.stderr
    check_contract(joint)
    tree = xr.open_datatree(joint / "result.nc")
    assert tree.attrs["inference_method"] == "smc" and tree.attrs["handling"] == "sample"
    assert {"indicator_rhat", "indicator_ess", "probability_exact"} <= set(tree["models"].data_vars)
    assert tree["posterior"]["lithology_index"].dtype.kind == "i"


def test_lithologies_command_lists_the_table():
    res = run_cli("lithologies")
    assert res.returncode == 0 and "granite" in res.stdout and "lithologies, by decreasing" in res.stdout


BAD = {
    "negative velocity": ({"data.vp": -6.3}, "data.vp"),
    "Vp/Vs below sqrt(4/3)": ({"data.vs": 5.6}, "data.vs"),
    "zero conductivity": ({"data.conductivity": 0.0}, "data.conductivity"),
    "NaN": ({"data.vs": float("nan")}, "data.vs"),
    "velocity in m/s": ({"data.vp": 6300.0}, "data.vp"),
    "temperature outside the fluid law": ({"data.temperature": 1100.0}, "data.temperature"),
    "temperature outside the melt law": ({"data.temperature": 600.0}, "data.temperature"),
    "pressure outside the fluid law": ({"data.pressure": 3.0}, "data.pressure"),
    "unknown lithology": ({"switches.lithology": ["granit"]}, "switches.lithology"),
    "unknown liquid": ({"switches.liquid": ["brine"]}, "switches.liquid"),
    "bad weight": ({"switches.lithology": {"granite": -1.0}}, "switches.lithology.granite"),
    "unknown law": ({"switches.fluid_law": "archie"}, "switches.fluid_law"),
    "unknown data key": ({"data.vp_error": 0.1}, "data.vp_error"),
    "missing datum": ({"data.vp": None}, "data.vp"),
    "nuts on a sampled switch": (
        {"switches.handling": "sample", "inference.method": "nuts"},
        "inference.method",
    ),
    "unbounded prior": (
        {"priors.log10_aspect_ratio": {"dist": "Normal", "mu": -1.0, "sigma": 1.0}},
        "priors.log10_aspect_ratio",
    ),
    "unknown prior": (
        {"priors.aspect_ratio": {"dist": "Uniform", "lower": 0, "upper": 1}},
        "priors.aspect_ratio",
    ),
    "solid above liquid": ({"data.solid_conductivity": 5.0}, "data.solid_conductivity"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_names_the_field(name):
    overrides, field = BAD[name]
    raw = load_spec(NARUKO).raw
    for key, value in overrides.items():
        section, _, leaf = key.partition(".")
        if value is None:
            raw[section].pop(leaf)
        else:
            raw.setdefault(section, {})[leaf] = value
    with pytest.raises(SpecError) as err:
        case.prepare(load_spec(raw))
    assert err.value.field == field, str(err.value)
    assert "\n" not in str(err.value)


def test_aqueous_only_spec_is_not_refused_by_a_melt_law():
    p = case.prepare(load_spec(NARUKO, {"data.temperature": 500.0, "switches.liquid": ["aqueous"]}))
    assert p.rock.liquids == ["aqueous"] and float(p.rock.liquid["sigma"][0]) > 1.0


@pytest.mark.parametrize("value", ["-6.3", "nan", '["granit"]'], ids=["negative", "NaN", "lithology"])
def test_bad_input_exits_2_with_one_line_and_no_files(value, tmp_path):
    key = "switches.lithology" if "granit" in value else "data.vp"
    out = tmp_path / "bad"
    res = run_cli("fit", str(NARUKO), "--out", str(out), "--set", f"{key}={value}")
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0], res.stderr
    assert not out.exists()


def test_synthetic_recovery_small():
    table = recovery_table(SYNTHETIC, n_cases=8, seed=11)
    scores = recovery_scores(table)
    assert scores["max_abs_error"] == 0.0  # exact method: it is its own reference
    assert scores["porosity_coverage_90"] >= 6 / 8
    assert scores["liquid_right"] >= 6 / 8
    assert (table["rank"] <= 3).mean() >= (table["top3_mass_exact"] >= DISTINGUISHABLE).mean() - 0.25


def test_simulate_prior_draws_truths_inside_the_priors():
    p = case.prepare(load_spec(SYNTHETIC))
    rng = np.random.default_rng(0)
    truths = [case.simulate_prior(p, rng)[0].truth for _ in range(40)]
    assert all(0 <= t["porosity"] <= 0.3 and 1e-3 <= t["aspect_ratio"] <= 1 for t in truths)
    assert {t["liquid"] for t in truths} == {"aqueous", "melt"}
    same = replace(p, obs=simulate(p.rock, truths[0], np.random.default_rng(1)))
    assert np.isfinite(same.obs.vp) and same.obs.conductivity > 0


@pytest.mark.slow
def test_recovery_study():
    """The synthetic-recovery study of benchmarks/geofluid_recovery.py (about 3 minutes)."""
    table = recovery_table(SYNTHETIC, n_cases=60, seed=0)
    s = recovery_scores(table)
    assert s["top3_distinguishable"] >= 0.8
    assert s["liquid_right"] >= 0.9
    assert 0.8 <= s["porosity_coverage_90"] <= 0.97
