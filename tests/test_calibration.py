"""Simulation-based calibration: the exact Gaussian denoising path, the geofluid point quadrature and the
drift-source quadrature."""

from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from bayesgeo.api import calibrate
from bayesgeo.calibration import rank, uniformity

SPEC = {
    "model": {"case": "denoise", "variant": "gmrf"},
    "data": {"image": "builtin:blobs_noisy"},
    "priors": {"sigma": {"dist": "HalfNormal", "sigma": 1.0}, "tau": {"dist": "HalfNormal", "sigma": 1.0}},
    "inference": {"draws": 200, "seed": 4},
}


def test_rank_counts_draws_below_truth():
    rng = np.random.default_rng(0)
    assert rank(np.arange(100.0), 49.5, 100, rng) == 50
    assert rank(np.arange(100.0), -1.0, 99, rng) == 0


def test_calibrate_runs_and_ranks_are_in_range():
    ranks = calibrate(SPEC, n=12)
    assert set(ranks.data_vars) == {"sigma", "tau"}
    assert ranks["tau"].min() >= 0 and ranks["tau"].max() <= 99


@pytest.mark.slow
def test_exact_denoise_posterior_is_calibrated():
    """Measured p = 0.23 (sigma), 0.66 (tau); before the quadrature draws followed the sheared grid cells,
    tau's ranks bunched in the middle (p = 0.0005) wherever the noise was small."""
    ranks = calibrate(SPEC, n=300)
    p = uniformity(ranks).sel(stat="p_value")
    assert float(p["sigma"]) > 0.001 and float(p["tau"]) > 0.001


def test_calibrate_cli(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(
        '[model]\ncase = "denoise"\n[data]\nimage = "builtin:blobs_noisy"\n[inference]\ndraws = 100\n'
    )
    res = run_cli("calibrate", str(spec), "--n", "5", "--out", str(tmp_path / "o"))
    assert res.returncode == 0, res.stderr
    assert "chi2" in res.stdout and (tmp_path / "o" / "sbc_ranks.png").is_file()


MODELS = Path(__file__).resolve().parents[1] / "models"

# one spec per case study (drift.source drops its predictive simulations itself: ``posterior_only``)
CASE_SPECS = {
    "geofluid.point": (MODELS / "synthetic_point.toml", {}, {"porosity", "aspect_ratio", "aspect_ratio_ec"}),
    "drift.source": (
        MODELS / "synthetic_source.toml",
        {},
        {"eruption_time", "u", "v", "diffusivity"},
    ),
}


@pytest.mark.parametrize("case", CASE_SPECS)
def test_calibrate_every_case_runs(case):
    path, overrides, names = CASE_SPECS[case]
    ranks = calibrate(path, n=4, **overrides)
    assert set(ranks.data_vars) == names
    assert all(0 <= int(r) <= 99 for v in ranks.data_vars.values() for r in v.values)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASE_SPECS)
def test_case_posteriors_are_calibrated(case):
    """Measured with n = 100 (seed of the spec): geofluid.point p = 0.85 / 0.66 / 0.78 (phi, alpha,
    alpha_EC); drift.source p = 0.26 / 0.25 / 0.90 / 0.33 (eruption time, u, v, Kh)."""
    path, overrides, _ = CASE_SPECS[case]
    p = uniformity(calibrate(path, n=100, **overrides)).sel(stat="p_value")
    assert all(float(p[v]) > 0.001 for v in p.data_vars)
