"""Ensembles, hazard maps, the analogue library round trip and the drift plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bayesgeo import drift as d


@pytest.fixture(scope="module")
def setup():
    field = d.northwest_pacific("2021-08-01", "2022-01-01", resolution=0.25, time_step="10D")
    land = d.land_mask(*d.field_bounds(field))
    sources = [v for v in d.HAZARD_SOURCES if v.name in ("Fukutoku-Oka-no-Ba", "Miyakejima")]
    ens = d.run_ensemble(
        field,
        sources,
        ["2021-08-13", "2021-09-13"],
        [0.0, 0.02],
        n_particles=200,
        duration="100D",
        land=land,
        seed=1,
    )
    return field, land, ens


def test_ensemble_layout_reproducibility_and_library_round_trip(setup, tmp_path):
    field, land, ens = setup
    assert dict(ens.sizes) == {"source": 2, "release": 2, "windage": 2, "particle": 200}
    stranded = ens.final_status == 2
    assert (
        stranded.any()
        and d.is_land(
            land, ens.stranding_lon.values[stranded.values], ens.stranding_lat.values[stranded.values]
        ).all()
    )
    assert (ens.arrival_time.values[stranded.values] > 0).all()
    assert np.isnan(ens.arrival_time.values[~stranded.values]).all()
    path = tmp_path / "library.nc"
    d.save_ensemble(ens, path)
    assert d.load_ensemble(path).identical(ens)
    sources = [v for v in d.HAZARD_SOURCES if v.name in ("Fukutoku-Oka-no-Ba", "Miyakejima")]
    again = d.run_ensemble(
        field,
        sources,
        ["2021-08-13", "2021-09-13"],
        [0.0, 0.02],
        n_particles=200,
        duration="100D",
        land=land,
        seed=1,
        scheduler="synchronous",
    )
    assert again.identical(ens)  # same seed, same numbers, whatever the scheduler


def test_hazard_by_region_and_cell(setup):
    _, land, ens = setup
    hr = d.hazard_by_region(ens)
    assert set(hr.p_arrival.dims) == {"source", "region"}
    assert ((hr.p_arrival >= 0) & (hr.p_arrival <= 1)).all()
    fob = hr.sel(source="Fukutoku-Oka-no-Ba")
    # the mean fraction is the arrival histogram summed over time bins, and never exceeds the stranded share
    np.testing.assert_allclose(fob.arrival_histogram.sum("arrival_day"), fob.mean_fraction, atol=1e-12)
    total = (ens.final_status.sel(source="Fukutoku-Oka-no-Ba") == 2).mean().item()
    assert fob.mean_fraction.sum().item() <= total + 1e-12
    ok = fob.p_arrival > 0
    assert ((fob.first_arrival_q05 <= fob.first_arrival_q95 + 1e-9) | ~ok).all()
    by_w = d.hazard_by_region(ens, by=("source", "windage"))
    assert set(by_w.p_arrival.dims) == {"source", "windage", "region"}
    hc = d.hazard_by_cell(ens, 0.5, land=land)
    assert set(hc.p_arrival.dims) == {"source", "lat", "lon"}
    assert np.nanmax(hc.p_arrival.values) <= 1 and np.isfinite(hc.p_arrival.values).any()


def test_plots_return_axes(setup):
    field, land, ens = setup
    traj = d.simulate(
        field,
        d.release_disk(141.48, 24.29, 20e3, "2021-08-13", 30, land=land),
        duration="60D",
        land=land,
        windage=0.02,
    )
    hr, hc = d.hazard_by_region(ens), d.hazard_by_cell(ens, 0.5, land=land)
    fig, axs = plt.subplots(2, 3)
    for ax, call in zip(
        axs.flat,
        [
            lambda ax: d.plot_trajectories(traj, land, ax),
            lambda ax: d.plot_arrival_density(ens, land, ax, source="Fukutoku-Oka-no-Ba"),
            lambda ax: d.plot_arrival_times(hr, "Fukutoku-Oka-no-Ba", ax=ax),
            lambda ax: d.plot_hazard(hc, "Fukutoku-Oka-no-Ba", land, ax),
            lambda ax: d.plot_hazard(hr, "Miyakejima", ax=ax, var="mean_fraction"),
            lambda ax: d.plot_coastline(land, ax),
        ],
        strict=True,
    ):
        assert call(ax) is ax
    plt.close(fig)


def test_sources_table():
    table = d.sources_dataset()
    assert table.sizes["source"] == 7 and "Fukutoku-Oka-no-Ba" in table.source
    assert float(table.lon.sel(source="Fukutoku-Oka-no-Ba")) == pytest.approx(141.481)
    assert {"Ioto", "Nikko Seamount", "Myojinsho"} <= {v.name for v in d.IZU_BONIN_CANDIDATES}
