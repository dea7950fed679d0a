"""The public contract through the command line: result files, figures, and bad input -> exit 2."""

import numpy as np
import pytest
import xarray as xr
from conftest import run_cli

from bayesgeo import gmrf
from bayesgeo.cli import main


@pytest.fixture
def small_spec(tmp_path):
    rng = np.random.default_rng(5)
    shape = (48, 40)
    x = 100 + gmrf.prior_draw(shape, gmrf.laplacian_eigenvalues(shape), 1 / 4.0**2, rng)
    np.save(tmp_path / "noisy.npy", x + rng.normal(scale=6.0, size=shape))
    np.save(tmp_path / "clean.npy", x)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        '[model]\ncase = "denoise"\nvariant = "gmrf"\n[data]\nimage = "noisy.npy"\n'
        'truth = "clean.npy"\n[inference]\ndraws = 200\n'
    )
    return spec


def test_fit_writes_a_conforming_result(small_spec, tmp_path, check_contract):
    out = tmp_path / "out"
    res = run_cli("fit", str(small_spec), "--out", str(out), "--seed", "3")
    assert res.returncode == 0, res.stderr
    assert "sigma" in res.stdout and "wrote" in res.stdout
    check_contract(out)
    tree = xr.open_datatree(out / "result.nc")
    assert tree.attrs["seed"] == 3 and 'variant = "gmrf"' in tree.attrs["spec"]
    assert tree["summary"]["image"].dims == ("y", "x")
    assert sorted(p.name for p in out.glob("*.png")) == [
        "denoise_hyperparameters.png",
        "denoise_panels.png",
        "denoise_predictive_check.png",
    ]
    assert not list(out.glob(".*tmp"))


BAD = {
    "unknown variant": ({"model.variant": '"wavelet"'}, "model.variant"),
    "negative sigma": ({"data.noise_sigma": "-1.0"}, "data.noise_sigma"),
    "missing file": ({"data.image": '"nope.npy"'}, "data.image"),
    "unknown key": ({"data.imgae": '"noisy.npy"'}, "data.imgae"),
    "unknown section": ({"modle.case": '"denoise"'}, "spec.modle"),
    "bad method": ({"inference.method": '"gibbs"'}, "inference.method"),
    "bad draws": ({"inference.draws": "0"}, "inference.draws"),
    "bad prior": ({"priors.sigma.dist": '"HalfNormall"'}, "priors.sigma"),
    "unknown prior": ({"priors.smoothness.dist": '"HalfNormal"'}, "priors.smoothness"),
    "image prior mismatch": ({"priors.image.dist": '"tv"'}, "priors.image.dist"),
    "noise model": ({"data.noise_model": '"flip"'}, "data.noise_model"),
    "noise string": ({"data.noise_sigma": '"bogus"'}, "data.noise_sigma"),
    "method for tv": ({"model.variant": '"tv"', "inference.method": '"nuts"'}, "inference.method"),
    "latent outside the field case": ({"inference.latent": '"ep"'}, "inference.latent"),
}


def main_in_process(capsys, *args: str) -> tuple[int, str]:
    """The command's ``main`` in this process (fast); returns exit code and stderr."""
    code = main(list(args))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_line(case, small_spec, tmp_path, capsys):
    overrides, field = BAD[case]
    sets = [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]
    out = tmp_path / "bad"
    code, err = main_in_process(capsys, "fit", str(small_spec), "--out", str(out), *sets)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and field in lines[0], err
    assert not out.exists()


@pytest.mark.parametrize(
    "array", [np.zeros((4, 5, 6)), np.full((8, 8), np.nan), np.zeros(9)], ids=["3-D", "NaN", "1-D"]
)
def test_bad_images_exit_2(array, small_spec, tmp_path, capsys):
    np.save(tmp_path / "bad.npy", array)
    code, err = main_in_process(
        capsys, "fit", str(small_spec), "--set", 'data.image="bad.npy"', "--out", str(tmp_path / "o")
    )
    assert code == 2 and "data.image" in err
    assert len(err.strip().splitlines()) == 1


def test_missing_spec_and_usage_errors(tmp_path):
    res = run_cli("fit", str(tmp_path / "none.toml"))
    assert res.returncode == 2 and "not found" in res.stderr
    res = run_cli("fit")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1


def test_compare_ranks_by_exact_evidence(small_spec):
    res = run_cli("compare", str(small_spec), str(small_spec), "--set", "inference.draws=50")
    assert res.returncode == 0, res.stderr
    assert "log_evidence" in res.stdout and "exact log evidence" in res.stdout
