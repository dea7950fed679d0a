"""Simulation-based calibration of the exact Gaussian denoising path."""

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
