"""Comparing geofluid models: held-out cells for ``geofluid.field`` (masked likelihood in the Laplace path and
in the NUTS model, the per-cell prior's score against its exact prior predictive, the MRF beating the per-cell
prior), and exact evidence for ``geofluid.point`` fluid-conductivity laws."""

from dataclasses import replace

import numpy as np
import pytest

from bayesgeo import compare
from bayesgeo.errors import SpecError
from bayesgeo.geofluid import field
from bayesgeo.geofluid.field_data import simulate
from bayesgeo.geofluid.field_heldout import cell_loglik, heldout_score
from bayesgeo.geofluid.field_model import build_model, level
from bayesgeo.heldout import Holdout, pointwise_lpd
from bayesgeo.spec import load_spec


def field_spec(cells: str, variant: str = "gmrf", **inference) -> dict:
    return {
        "model": {"case": "geofluid.field", "variant": variant},
        "data": {"cells": cells},
        "switches": {"lithology": "spinel_lherzolite", "liquid": "melt"},
        "inference": {"seed": 1, "draws": 200} | inference,
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A 6 x 8 GMRF-drawn section, its problem and a held-out mask (10 % of the cells)."""
    path = tmp_path_factory.mktemp("compare") / "cells.nc"
    simulate((6, 8), truth="prior", tau=(0.3, 0.3), level=(-3.5, -2.2), seed=3).to_netcdf(path)
    spec = load_spec(field_spec(str(path)), {})
    problem = field.prepare(spec)
    return problem, spec.inference, Holdout(0.1, seed=1).mask(problem.shape)


def changed(problem, held: np.ndarray):
    """The problem with other Vp, Vs at the held-out cells."""
    cells = problem.cells.copy()
    for name in ("vp", "vs"):
        cells[name] = cells[name].where(~held, cells[name] + 0.3)
    return replace(problem, cells=cells)


def test_laplace_fit_ignores_the_heldout_cells(small):
    problem, settings, held = small
    fields = [
        field.posterior(replace(p, observed=~held.ravel()), settings, np.random.default_rng(0)).fields[0]
        for p in (problem, changed(problem, held))
    ]
    np.testing.assert_array_equal(fields[0]["porosity"].values, fields[1]["porosity"].values)
    full = field.posterior(problem, settings, np.random.default_rng(0)).fields[0]
    assert not np.allclose(full["porosity"].values, fields[0]["porosity"].values)


def test_nuts_model_ignores_the_heldout_cells(small):
    problem, _, held = small
    c = problem.constants[problem.options[0]]
    coords = {d: problem.cells[d].values for d in problem.dims}

    def logp(p, mask):
        y = {k: p.cells[k].values for k in ("vp", "vs")}
        sd = {k: p.cells[f"{k}_sd"].values for k in ("vp", "vs")}
        model = build_model(y, sd, c, "gmrf", p.priors, coords, observed=mask)
        return model.compile_logp()(model.initial_point())

    other = changed(problem, held)
    assert logp(problem, ~held) == logp(other, ~held)
    assert logp(problem, None) != logp(other, None)


def test_per_cell_score_is_the_exact_prior_predictive(small):
    """Under the independent prior a held-out cell is predicted by its level prior alone."""
    problem, settings, held = small
    problem = replace(problem, variant="independent")
    score = heldout_score(problem, replace(settings, draws=2000), Holdout(0.1, seed=1))
    assert score.dims == ("heldout",) and set(score.coords) == {"heldout", "z", "x"}
    assert score.attrs["variant"] == "independent" and score.attrs["time_s"] > 0
    cells = np.flatnonzero(held)
    y, sd = (a[:, cells] for a in problem.observations())
    rng = np.random.default_rng(5)
    (m0, s0), (m1, s1) = level(problem.priors, "porosity"), level(problem.priors, "aspect_ratio")
    eta = np.stack([m + s * rng.standard_normal((200_000, cells.size)) for m, s in ((m0, s0), (m1, s1))])
    c = problem.constants[problem.options[0]]
    c = type(c)(*(v[cells] for v in vars(c).values()))
    reference = pointwise_lpd(cell_loglik(y, sd, eta, c))
    assert float(score.sum()) == pytest.approx(reference.sum(), abs=4 * score.attrs["mc_se"] + 0.05)


def test_mrf_beats_the_per_cell_prior_on_heldout_cells():
    specs = [field_spec("builtin:ne_japan_small", v) for v in ("gmrf", "independent")]
    table = compare(specs, holdout=0.1)
    assert table.attrs["method"].startswith("held-out predictive score: 38 points")
    assert list(table["variant"]) == ["gmrf", "independent"]
    worse = table.loc["spec1"]
    assert worse["delta"] + 4 * worse["delta_se"] < 0


def test_field_has_no_exact_evidence():
    with pytest.raises(SpecError, match="no exact evidence"):
        compare([field_spec("builtin:ne_japan_small", v) for v in ("gmrf", "independent")], score="evidence")


def test_point_fluid_laws_compare_by_exact_evidence():
    point = {
        "model": {"case": "geofluid.point"},
        "data": {"vp": 6.30, "vs": 3.55, "conductivity": 0.396, "pressure": 0.545, "temperature": 828.518},
        "switches": {"lithology": ["spinel_lherzolite", "gabbro"], "liquid": ["aqueous", "melt"]},
        "inference": {"seed": 0, "draws": 100},
    }
    laws = ("sinmyo_keppler_2017", "guo_keppler_2019")
    specs = [point | {"switches": point["switches"] | {"fluid_law": law}} for law in laws]
    table = compare(specs)  # auto: every geofluid.point fit carries the exact evidence
    assert table.attrs["method"].startswith("exact log evidence")
    assert set(table.columns) >= {"log_evidence", "delta", "probability"}
    assert np.all(np.isfinite(table["log_evidence"])) and table["delta"].iloc[0] == 0.0
    assert table["probability"].sum() == pytest.approx(1.0)
    assert table.loc["spec0", "log_evidence"] != table.loc["spec1", "log_evidence"]
