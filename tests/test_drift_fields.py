"""Forcing-field reading, land mask, stranding and bad-input errors of the drift simulator."""

import numpy as np
import pytest
import xarray as xr

from bayesgeo import drift as d


@pytest.fixture(scope="module")
def okinawa_land():
    return d.land_mask(126.0, 130.0, 25.0, 28.0)


def _glorys_like(tmp_path):
    """A GLORYS-style file: (time, depth, latitude, longitude), latitude descending, CF names."""
    lon = np.arange(126.0, 130.01, 0.25)
    lat = np.arange(28.0, 24.99, -0.25)
    time = np.array(["2021-08-01", "2021-08-11"], dtype="datetime64[ns]")
    shape = (2, 2, lat.size, lon.size)
    ds = xr.Dataset(
        {
            "uo": (
                ("time", "depth", "latitude", "longitude"),
                np.full(shape, -0.3, np.float32),
                {"standard_name": "eastward_sea_water_velocity", "units": "m s-1"},
            ),
            "vo": (
                ("time", "depth", "latitude", "longitude"),
                np.zeros(shape, np.float32),
                {"standard_name": "northward_sea_water_velocity", "units": "m s-1"},
            ),
        },
        coords={
            "time": time,
            "depth": [0.494, 1.54],
            "latitude": ("latitude", lat, {"units": "degrees_north"}),
            "longitude": ("longitude", lon, {"units": "degrees_east"}),
        },
    )
    path = tmp_path / "glorys.nc"
    ds.to_netcdf(path)
    return path, ds


def test_open_field_reads_cf_file_and_separate_wind(tmp_path):
    path, _ = _glorys_like(tmp_path)
    wind = xr.Dataset(
        {
            "u10": (("time", "latitude", "longitude"), np.full((1, 3, 3), 8.0), {"units": "m s**-1"}),
            "v10": (("time", "latitude", "longitude"), np.full((1, 3, 3), -2.0), {"units": "m s**-1"}),
        },
        coords={"time": ["2021-08-01"], "latitude": [30.0, 27.0, 24.0], "longitude": [125.0, 128.0, 131.0]},
    ).assign_coords(time=lambda ds: ds.time.astype("datetime64[ns]"))
    field = d.open_field(path, wind=wind)
    assert field.uo.dims == ("time", "lat", "lon") and (np.diff(field.lat) > 0).all()
    assert field.uo.attrs["units"] == "m s-1" and float(field.uwind.mean()) == pytest.approx(8.0)
    assert d.field_bounds(field) == (126.0, 130.0, 25.0, 28.0)


def test_stranding_happens_on_land_only(tmp_path, okinawa_land):
    field = d.open_field(_glorys_like(tmp_path)[0])  # westward 0.3 m/s onto Okinawa's east coast
    rel = d.release_polygon(
        [(128.5, 26.3), (129.0, 26.3), (129.0, 26.8), (128.5, 26.8)],
        "2021-08-01",
        300,
        seed=1,
        land=okinawa_land,
    )
    out = d.simulate(field, rel, duration="9D", dt=1800.0, land=okinawa_land, diffusivity=5.0, output_every=1)
    stranded = out.final_status.values == 2
    assert stranded.sum() > 50  # the island is in the way of a good share of them
    assert d.is_land(okinawa_land, out.stranding_lon[stranded], out.stranding_lat[stranded]).all()
    active = out.status.values == 1
    assert not d.is_land(okinawa_land, out.lon.values[active], out.lat.values[active]).any()
    assert (out.stranding_time[stranded] > out.release_time[stranded]).all()


def test_streamed_output_file_equals_memory(tmp_path):
    field = d.uniform_flow(0.2, 0.1)
    rel = d.release_disk(160.0, 30.0, 50e3, "2000-01-01", 50, end="2000-01-02", seed=2)
    kw = dict(duration="3D", dt=3600.0, diffusivity=2.0, output_every=6, seed=5)
    mem = d.simulate(field, rel, **kw)
    disk = d.simulate(field, rel, outfile=tmp_path / "traj.nc", **kw)
    xr.testing.assert_allclose(mem.lon, disk.lon.load())
    assert disk.attrs["featureType"] == "trajectory" and disk.lon.attrs["units"] == "degrees_east"
    assert np.isnan(mem.lon.isel(time=0)).sum() == 48  # continuous release: 2 of 50 round to step 0


def _field_without(attr):
    ds = d.uniform_flow(0.1, 0.0)
    del ds.uo.attrs[attr]
    return ds


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: d.open_field(_field_without("units")), "has no 'units' attribute"),
        (
            lambda: d.open_field(
                d.uniform_flow(0.1, 0.0).assign(uo=lambda ds: ds.uo.assign_attrs(units="cm/s"))
            ),
            "units 'cm/s'",
        ),
        (lambda: d.open_field(xr.Dataset({"temp": ("x", [1.0])})), "eastward_sea_water_velocity"),
        (lambda: d.open_field("/nonexistent/field.nc"), "does not exist"),
    ],
)
def test_bad_fields_give_one_line_errors(make, message):
    with pytest.raises(ValueError, match=message) as err:
        make()
    assert "\n" not in str(err.value)


def test_bad_runs_give_one_line_errors(okinawa_land):
    gyre = d.double_gyre("2000-01-01", "10D")
    rel = d.release_point(155.0, 35.0, "2000-01-01", n=2)
    nan_field = d.uniform_flow(0.1, 0.0)
    nan_field["uo"][0, 3, 3] = np.nan
    cases = [
        (lambda: d.simulate(gyre, rel, duration="20D"), "field time covers"),
        (lambda: d.simulate(gyre, d.release_point(155.0, 35.0, "1999-01-01"), duration="1D"), "field time"),
        (
            lambda: d.simulate(
                d.uniform_flow(0.1, 0.0, bounds=(126, 130, 25, 28)),
                d.release_point(127.8, 26.4, "2000-01-01"),
                duration="1D",
                land=okinawa_land,
            ),
            "on land",
        ),
        (lambda: d.simulate(nan_field, d.release_point(160.0, 30.0, "2000-01-01"), duration="1D"), "NaN"),
        (
            lambda: d.simulate(gyre, d.release_point(100.0, 35.0, "2000-01-01"), duration="1D"),
            "outside the field",
        ),
        (lambda: d.simulate(gyre, rel, duration="1D", windage=0.02), "needs a field with 10 m wind"),
        (lambda: d.simulate(gyre, rel, duration="1D", diffusivity=-1.0), "diffusivity"),
        (lambda: d.simulate(gyre, rel, duration="1D", dt=0), "dt must be"),
        (
            lambda: d.simulate(gyre, d.release_point(155.0, 35.0, "not a date"), duration="1D"),
            "not a valid time",
        ),
        (
            lambda: d.simulate(
                d.uniform_flow(1.0, 0.0, bounds=(150, 151, 30, 31)),
                d.release_point(150.9, 30.5, "2000-01-01"),
                duration="1D",
                on_leave="raise",
            ),
            "left the field",
        ),
    ]
    for run, message in cases:
        with pytest.raises(ValueError, match=message) as err:
            run()
        assert "\n" not in str(err.value)
    filled = d.open_field(nan_field, fill_nan=0.0)
    out = d.simulate(filled, d.release_point(160.0, 30.0, "2000-01-01"), duration="1D", output_every=None)
    assert out.final_status.item() == 1


def test_land_mask_crops_across_the_dateline():
    mask = d.land_mask(170.0, 190.0, -20.0, -10.0)  # Fiji straddles 180
    assert mask.lon[0] < 180 < mask.lon[-1] and mask.any()
    assert d.is_land(mask, [178.0], [-17.8])[0] and not d.is_land(mask, [185.0], [-15.0])[0]


def test_release_longitude_convention_follows_the_field():
    field = d.uniform_flow(0.1, 0.0, bounds=(-170.0, -140.0, 20.0, 45.0))
    out = d.simulate(field, d.release_point(200.0, 30.0, "2000-01-01"), duration="1D", output_every=None)
    assert -160.0 < out.final_lon.item() < -159.0


def test_max_age_stops_particles_at_their_own_age():
    field = d.uniform_flow(0.1, 0.0)
    rel = d.release_point(160.0, 30.0, "2000-01-01", n=4, end="2000-01-04")  # one release a day
    out = d.simulate(field, rel, duration="6D", max_age="2D", output_every=None)
    assert (out.final_status == 4).all()
    np.testing.assert_array_equal(out.final_time - out.release_time, np.timedelta64(2, "D"))
