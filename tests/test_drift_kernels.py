"""Exact and statistical checks of the drift simulator on analytic flows (closed-form twins)."""

import numba
import numpy as np
import pytest

from bayesgeo import drift as d

DAY = 86400.0


@pytest.fixture(scope="module")
def rotation():
    return d.solid_body_rotation(center=(165.0, 35.0), period="10D")


def _final_error(field, dt, method="rk4"):
    rel = d.release_point(165.0, 40.0, "2000-01-01", n=1)
    out = d.simulate(field, rel, duration="10D", dt=dt, method=method, output_every=None)
    ex, ey = d.solid_body_rotation_exact(165.0, 40.0, 10 * DAY, center=(165.0, 35.0), period="10D")
    err = d.great_circle_distance(out.final_lon.values, out.final_lat.values, ex, ey)[0]
    radius = d.great_circle_distance(out.final_lon.values, out.final_lat.values, 165.0, 35.0)[0]
    return err, radius - d.great_circle_distance(165.0, 40.0, 165.0, 35.0)


def test_solid_body_rotation_keeps_radius_and_rk4_is_fourth_order(rotation):
    errors = [_final_error(rotation, dt) for dt in (DAY, DAY / 2, DAY / 4)]
    position = np.array([e for e, _ in errors])
    ratios = position[:-1] / position[1:]
    assert np.all((ratios > 12) & (ratios < 20)), ratios  # 2**4 = 16
    assert abs(errors[-1][1]) < 5.0  # radius (556 km) kept to metres at dt = 6 h ...
    assert abs(_final_error(rotation, 3600.0)[1]) < 0.1  # ... and to centimetres at dt = 1 h


def test_euler_is_first_order_and_worse_than_rk4(rotation):
    e1, _ = _final_error(rotation, 3600.0, "euler")
    e2, _ = _final_error(rotation, 1800.0, "euler")
    assert 1.7 < e1 / e2 < 2.3
    assert _final_error(rotation, 3600.0)[0] < e1 / 1000


def test_stommel_streamfunction_is_conserved_along_paths():
    bounds, eps = (150.0, 180.0, 15.0, 45.0), 0.05
    field = d.stommel_gyre(bounds=bounds, epsilon=eps, max_speed=1.0, resolution=0.1)
    lat = np.linspace(20, 40, 9)
    rel = d.release_point(158.0, 20.0, "2000-01-01", n=9).assign(lat=("particle", lat))
    out = d.simulate(field, rel, duration="120D", dt=3600.0, output_every="10D")
    psi = d.stommel_streamfunction(out.lon.values, out.lat.values, bounds=bounds, epsilon=eps, max_speed=1.0)
    psi_max = np.abs(field.psi).max().item()
    assert (out.final_status == 1).all()
    assert np.abs(psi - psi[:, :1]).max() < 0.005 * psi_max
    # the paths do go round: they reach the western boundary current
    assert out.lon.min() < 152.0 and float(np.hypot(field.uo, field.vo).max()) > 0.5


def _metres(lon, lat, lat0):
    return np.deg2rad(lon) * 6_371_000.0 * np.cos(np.deg2rad(lat0)), np.deg2rad(lat) * 6_371_000.0


def test_random_walk_variance_grows_as_2_kh_t():
    kh, n = 10.0, 4000
    field = d.uniform_flow(0.1, 0.05, bounds=(150.0, 180.0, 20.0, 45.0))
    rel = d.release_point(160.0, 30.0, "2000-01-01", n=n)
    out = d.simulate(field, rel, duration="10D", dt=3600.0, diffusivity=kh, output_every="5D", seed=7)
    x, y = _metres(out.lon.values.astype(float), out.lat.values.astype(float), 30.0)
    t = (out.time - out.time[0]).values / np.timedelta64(1, "s")
    tol = 4 * np.sqrt(2 / (n - 1))  # four sampling standard deviations of a variance estimate
    for j in (1, 2):
        for comp in (x[:, j], y[:, j]):
            assert abs(comp.var(ddof=1) / (2 * kh * t[j]) - 1) < tol


def test_same_seed_same_numbers_whatever_threads_or_chunks():
    field = d.uniform_flow(0.1, 0.0)
    rel = d.release_point(160.0, 30.0, "2000-01-01", n=200).assign_coords(particle=np.arange(200))
    kw = dict(duration="2D", dt=3600.0, diffusivity=5.0, output_every=None, seed=3)
    a = d.simulate(field, rel, **kw)
    numba.set_num_threads(1)
    try:
        b = d.simulate(field, rel, **kw)
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    half = d.simulate(field, rel.isel(particle=slice(100, None)), **kw)
    c = d.simulate(field, rel, **(kw | {"seed": 4}))
    np.testing.assert_array_equal(a.final_lon, b.final_lon)
    np.testing.assert_array_equal(a.final_lon[100:], half.final_lon)
    assert not np.array_equal(a.final_lon, c.final_lon)


def _uniform_drift_exact(lon0, lat0, u, v, t):
    """Closed-form path for constant (u, v) m/s on the sphere: lat linear in t, lon by a Mercator integral."""
    r = 6_371_000.0
    lat = lat0 + np.rad2deg(v * t / r)
    merc = lambda phi: np.log(np.tan(np.pi / 4 + np.deg2rad(phi) / 2))  # noqa: E731
    return lon0 + np.rad2deg(u / v * (merc(lat) - merc(lat0))), lat


def test_windage_adds_alpha_times_u10():
    field = d.uniform_flow(0.1, 0.02, uwind=5.0, vwind=-3.0)
    rel = d.release_point(160.0, 30.0, "2000-01-01", n=1)
    for alpha in (0.0, 0.03):
        out = d.simulate(field, rel, duration="20D", dt=3600.0, windage=alpha, output_every=None)
        ex, ey = _uniform_drift_exact(160.0, 30.0, 0.1 + alpha * 5.0, 0.02 - alpha * 3.0, 20 * DAY)
        assert d.great_circle_distance(out.final_lon.values[0], out.final_lat.values[0], ex, ey) < 5.0


def test_backward_run_returns_particles_to_their_start():
    field = d.double_gyre("2000-01-01", "12D")
    rng = np.random.default_rng(0)
    rel = d.release_point(155.0, 35.0, "2000-01-01T12:00", n=50).assign(
        lon=("particle", rng.uniform(152, 168, 50)), lat=("particle", rng.uniform(31, 39, 50))
    )
    fwd = d.simulate(field, rel, duration="10D", dt=3600.0, output_every=None)
    back_rel = d.release_point(0.0, 0.0, fwd.final_time.values[0], n=50).assign(
        lon=("particle", fwd.final_lon.values), lat=("particle", fwd.final_lat.values)
    )
    bwd = d.simulate(field, back_rel, duration="10D", dt=-3600.0, output_every=None)
    assert (bwd.final_time.values == rel.time.values).all()
    dist = d.great_circle_distance(bwd.final_lon.values, bwd.final_lat.values, rel.lon.values, rel.lat.values)
    assert dist.max() < 10.0  # metres, after 10 days of chaotic stirring and back


def test_wgs84_metric_matches_known_degree_lengths():
    from bayesgeo.drift.kernels import EARTHS, degrees_per_metre

    east, north = degrees_per_metre(0.0, *EARTHS["wgs84"])
    assert 1 / north == pytest.approx(110_574.3, abs=0.5)  # metres per degree of latitude at the equator
    assert 1 / east == pytest.approx(111_319.5, abs=0.5)  # metres per degree of longitude at the equator
    # series 111132.954 - 559.822 cos(2 lat) + 1.175 cos(4 lat) m per degree of latitude, at 45 N:
    assert 1 / degrees_per_metre(45.0, *EARTHS["wgs84"])[1] == pytest.approx(111_131.78, abs=0.05)
    field = d.uniform_flow(0.0, 0.5)
    rel = d.release_point(160.0, 30.0, "2000-01-01")
    ell = d.simulate(field, rel, duration="5D", earth="wgs84", output_every=None)
    sph = d.simulate(field, rel, duration="5D", output_every=None)
    travelled = 0.5 * 5 * DAY  # metres north
    assert ell.final_lat.item() - 30.0 == pytest.approx(
        travelled * north_degrees(30.0, ell.final_lat.item()), 1e-4
    )
    assert sph.final_lat.item() - 30.0 == pytest.approx(np.rad2deg(travelled / 6_371_000.0), 1e-9)


def north_degrees(lat0, lat1):
    """Mean degrees of latitude per metre between two latitudes on WGS84 (midpoint rule is enough here)."""
    from bayesgeo.drift.kernels import EARTHS, degrees_per_metre

    return degrees_per_metre(0.5 * (lat0 + lat1), *EARTHS["wgs84"])[1]
