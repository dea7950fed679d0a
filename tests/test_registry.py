"""Shared contract over every registered component: each case's demo fits and writes a conforming result;
each smoothness prior is finite, flat only on the constant, and round-trips through a spec."""

import numpy as np
import pytest
from conftest import run_cli

from bayesgeo import gmrf
from bayesgeo.priors import SMOOTHNESS, gmrf_logp
from bayesgeo.spec import CASES, get_case, load_spec


def test_every_case_demo_writes_a_conforming_result(tmp_path, check_contract):
    res = run_cli("demo", "--quick", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    for name in CASES:
        if hasattr(get_case(name), "demo_spec"):
            check_contract(tmp_path / name.replace(".", "_"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_case_demo_spec_validates(name):
    case = get_case(name)
    spec = load_spec(case.demo_spec())
    assert spec.case == name
    case.prepare(spec)


@pytest.mark.parametrize("name", sorted(SMOOTHNESS))
def test_smoothness_priors_are_proper_off_the_constant(name):
    prior = SMOOTHNESS[name]
    hyper = {k: 0.3 for k in prior.hyper}
    lam = gmrf.laplacian_eigenvalues((8, 6))
    g = prior.g(lam, **hyper)
    assert g[0, 0] == 0 and np.all(g.ravel()[1:] > 0)
    x = np.random.default_rng(0).normal(size=(8, 6))
    assert np.isfinite(gmrf_logp(x, 0.5, prior, **hyper))
    assert np.isclose(gmrf_logp(x + 3.0, 0.5, prior, **hyper), gmrf_logp(x, 0.5, prior, **hyper))
