"""Every spec of the model zoo (``models/*.toml``) loads and prepares its problem: names, priors and data."""

from pathlib import Path

import pytest

from bayesgeo.spec import get_case, load_spec

SPECS = sorted((Path(__file__).resolve().parents[1] / "models").glob("*.toml"))


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_zoo_spec_prepares(path):
    spec = load_spec(path)
    assert get_case(spec.case).prepare(spec) is not None
