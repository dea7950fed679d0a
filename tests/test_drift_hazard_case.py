"""The drift.hazard case through the spec: contract, physics sanity and bad input."""

import numpy as np
import pytest

from bayesgeo import fit_spec
from bayesgeo.drift import hazard_case
from bayesgeo.errors import SpecError
from bayesgeo.io import write_result
from bayesgeo.spec import load_spec


def test_demo_result_conforms_and_is_consistent(tmp_path, check_contract):
    tree = fit_spec(hazard_case.demo_spec(), **{"data.n_particles": 200})
    s = tree["summary"]
    assert s["arrival_fraction"].dims == ("source", "region")
    assert float(s["arrival_fraction"].sum("region").max()) <= 1.0 + 1e-12
    assert np.all(
        (s["arrival_probability_q05"] <= s["arrival_probability"])
        & (s["arrival_probability"] <= s["arrival_probability_q95"])
    )
    assert tree["posterior"]["arrival_fraction"].sizes["draw"] == 2  # 1 release x 2 windage classes
    write_result(tree, tmp_path)
    check_contract(tmp_path)


def test_same_seed_same_hazard():
    a = fit_spec(hazard_case.demo_spec(), **{"data.n_particles": 100})["summary"]["arrival_fraction"]
    b = fit_spec(hazard_case.demo_spec(), **{"data.n_particles": 100})["summary"]["arrival_fraction"]
    np.testing.assert_array_equal(a.values, b.values)


BAD = {
    "source on land": (
        {"switches.source": [{"name": "Nagano", "lon": 138.19, "lat": 36.65}]},
        "switches.source[0]",
    ),
    "source outside": (
        {"switches.source": [{"name": "Hawaii", "lon": -155.0, "lat": 19.4}]},
        "switches.source[0]",
    ),
    "bad time": ({"data.release_start": "13 August"}, "data.release_start"),
    "windage": ({"switches.windage": [0.5]}, "switches.windage"),
    "particles": ({"data.n_particles": 0}, "data.n_particles"),
    "unknown key": ({"data.particles": 10}, "data.particles"),
    "missing field": ({"data.field": "nope.nc"}, "data.field"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_names_the_field(case):
    overrides, field = BAD[case]
    spec = load_spec(hazard_case.demo_spec(), overrides)
    with pytest.raises(SpecError) as err:
        hazard_case.prepare(spec)
    assert str(err.value).startswith(field)
