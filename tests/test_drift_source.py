"""drift.source: kernel algebra against the simulator and quadrature, recovery, tier agreement, contract, bad
input, the 2021 Fukutoku-Oka-no-Ba raft, and (slow) the calibration study."""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from conftest import run_cli

from bayesgeo import fit_spec
from bayesgeo.cli import main
from bayesgeo.drift import release_point, simulate, uniform_flow
from bayesgeo.drift.inverse import case, data, kernel, model
from bayesgeo.drift.inverse.recovery import recovery_scores, recovery_table
from bayesgeo.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "fob2021_raft_centroids.csv"
SYNTHETIC = ROOT / "models" / "synthetic_source.toml"
FOB = ROOT / "models" / "fob2021_source.toml"
REFERENCE = "2024-06-01T00:00Z"
FAST = {"data.predictive_draws": 6, "data.predictive_particles": 5, "data.horizon_days": 5.0}
CANDIDATES = [
    v for v in case.FOB_CANDIDATES if v.name in ("Ioto", "Fukutoku-Oka-no-Ba", "Minami-Hiyoshi Seamount")
]
TRUTH = {"eruption_time": -0.6, "u": -0.28, "v": 0.04, "diffusivity": 200.0}


def scenario(truth=TRUTH, days=(1, 2, 3, 4, 6, 8), seed=1, sources=CANDIDATES, source=1) -> dict:
    """A spec dict with sightings simulated from ``sources[source]``."""
    ref = data.parse_time("t", REFERENCE)
    sim = model.simulate(sources[source], truth, np.asarray(days, float), ref, 5e3, seed=seed)
    rows = [
        {"time": str(t)[:16] + "Z", "lon": float(x), "lat": float(y)}
        for t, x, y in zip(sim.time.values, sim.lon.values, sim.lat.values, strict=True)
    ]
    return {
        "model": {"case": "drift.source"},
        "data": {"sightings": rows, "reference_time": REFERENCE, "earliest": "2024-05-26T00:00Z"},
        "switches": {"source": [{"name": v.name, "lon": v.lon, "lat": v.lat} for v in sources]},
        "priors": {"diffusivity": {"dist": "LogNormal", "mu": 4.6, "sigma": 1.0}},
        "inference": {"seed": 3, "draws": 500},
    }


def assert_pointwise_sums_to_the_model_loglik(tree, spec, n=25):
    """The ``log_likelihood`` group sums, over every table and item, to the PyMC model's log likelihood (the
    ``loglik`` potential with the source sampled) at the draw's source and parameters."""
    from pymc.model.transform.conditioning import remove_value_transforms

    problem = case.prepare(load_spec(spec, FAST))
    m = remove_value_transforms(model.build_model(problem.design, problem.priors, problem.bounds, "sample"))
    names = ["eruption_time", "u", "v", "diffusivity", "source_u"]
    f = m.compile_fn(m["loglik"], inputs=[m[k] for k in names], point_fn=False)
    cdf = np.cumsum(problem.weights) / problem.weights.sum()
    mid = cdf - 0.5 * np.diff(np.r_[0.0, cdf])  # source_u at the middle of each source's interval
    post = tree["posterior"].to_dataset().stack(sample=("chain", "draw"))
    ll = tree["log_likelihood"].to_dataset().stack(sample=("chain", "draw"))
    total = sum(ll[k].sum(ll[k].dims[0]) for k in ll.data_vars)
    for i in np.linspace(0, post.sizes["sample"] - 1, n).astype(int):
        args = [float(post[k][i]) for k in names[:-1]] + [mid[int(post["source_index"][i])]]
        assert float(total[i]) == pytest.approx(float(f(*args)), rel=1e-9, abs=1e-6)


# --- the kernel against the simulator and against brute-force integration


def test_kernel_law_is_what_the_simulator_does():
    u, v, kh, days = -0.3, 0.1, 250.0, 6.0
    field = uniform_flow(u, v, bounds=(150.0, 170.0, 20.0, 40.0))
    traj = simulate(
        field,
        release_point(160.0, 30.0, "2000-01-01", n=4000),
        duration=days * 86400,
        diffusivity=kh,
        output_every=None,
        seed=2,
    )
    east, north = data.displacement(160.0, 30.0, traj.final_lon.values, traj.final_lat.values)
    tau = days * 86400
    se = np.sqrt(2 * kh * tau / east.size)
    assert abs(east.mean() - u * tau) < 4 * se and abs(north.mean() - v * tau) < 4 * se
    for d in (east, north):  # variance 2 Kh tau, within 4 standard errors of a sample variance
        assert abs(d.var() / (2 * kh * tau) - 1) < 4 * np.sqrt(2 / d.size)


def test_collapsed_likelihood_integrates_the_velocities_exactly():
    rng = np.random.default_rng(0)
    east, north = rng.normal(scale=50e3, size=(2, 1, 5))
    tau, sd2, kh = np.linspace(1, 6, 5) * 86400, np.full(5, 4e6), 150.0
    pu, pv = (-0.2, 0.15), (0.05, 0.1)
    ll, cond = kernel.collapsed_sighting_loglik(east, north, sd2, tau, kh, pu, pv)
    grid = np.linspace(-1.2, 1.2, 1201)
    uu, vv = np.meshgrid(grid, grid, indexing="ij")
    terms = kernel.sighting_loglik(east[0], north[0], sd2, tau, uu[..., None], vv[..., None], kh).sum(-1)
    log_prior = sum(
        -0.5 * ((x - m) / s) ** 2 - np.log(s * np.sqrt(2 * np.pi)) for x, (m, s) in ((uu, pu), (vv, pv))
    )
    w = terms + log_prior
    brute = np.log(np.exp(w - w.max()).sum() * (grid[1] - grid[0]) ** 2) + w.max()
    assert ll[0] == pytest.approx(brute, abs=1e-6)
    post = np.exp(w - w.max())
    assert cond["u"][0][0] == pytest.approx((post * uu).sum() / post.sum(), abs=1e-6)


def test_first_passage_limits():
    t = np.array([1e3, 1e5, 1e7])
    p = kernel.first_passage(10e3, 0.3, 2 * 100.0, t)
    assert np.all(np.diff(p) > 0) and p[0] < 1e-6 and p[-1] == pytest.approx(1.0)
    assert kernel.first_passage(0.0, 0.3, 200.0, t) == pytest.approx(np.ones(3))
    upstream = kernel.first_passage(-10e3, 0.3, 200.0, t)  # reached against the drift only by diffusion
    assert upstream[-1] == pytest.approx(np.exp(-2 * 0.3 * 10e3 / 200.0), rel=1e-6)


def test_arrival_fraction_matches_simulated_clasts():
    u, v, kh = -0.3, 0.02, 300.0
    field = uniform_flow(u, v, bounds=(150.0, 170.0, 25.0, 35.0))
    traj = simulate(
        field,
        release_point(160.0, 30.0, "2000-01-01", n=2000),
        duration=30 * 86400.0,
        diffusivity=kh,
        output_every=1,
        seed=1,
    )
    taus = np.array([8, 12, 16, 30]) * 86400.0
    for site, r in (((157.0, 30.1), 20e3), ((155.0, 30.4), 30e3), ((161.0, 30.0), 20e3)):
        e, n = data.displacement(160.0, 30.0, *site)
        de, dn = data.displacement(traj.lon.values, traj.lat.values, *site)
        reached = np.maximum.accumulate(np.hypot(de, dn) < r, axis=1).mean(0)[(taus / 3600).astype(int)]
        np.testing.assert_allclose(kernel.arrival_fraction(e, n, r, taus, u, v, kh), reached, atol=0.07)


def test_first_report_density_integrates_to_the_arrival_probability():
    delays, density = kernel.delay_nodes(2.0)
    report = np.linspace(-5, 60, 2601)
    tau = (report[:, None] - delays[None, :] + 0.5) * 86400  # eruption at day -0.5
    frac = kernel.arrival_fraction(-300e3, 10e3, 20e3, tau, -0.3, 0.0, 200.0)
    dens = np.exp(kernel.first_report_loglik(frac, density, 50.0))
    f_inf = float(kernel.arrival_fraction(-300e3, 10e3, 20e3, 1e9, -0.3, 0.0, 200.0))
    assert dens.sum() * (report[1] - report[0]) == pytest.approx(1 - (1 - f_inf) ** 50, abs=0.01)


# --- inference


def test_synthetic_recovery_exact_and_seeded():
    tree = fit_spec(scenario(), **FAST)
    s = tree["summary"]
    assert str(s["p_source"].idxmax().values) == "Fukutoku-Oka-no-Ba" and float(s["p_source"].max()) > 0.9
    for k, v in TRUTH.items():
        assert float(s[f"{k}_q05"]) <= v <= float(s[f"{k}_q95"]), k
    again = fit_spec(scenario(), **FAST)["summary"]
    np.testing.assert_array_equal(s["eruption_time"].values, again["eruption_time"].values)


def test_nuts_agrees_with_the_exact_quadrature():
    spec = scenario()
    exact = fit_spec(spec, **FAST)["summary"]
    tree = fit_spec(
        spec, **FAST, **{"inference.method": "nuts", "inference.draws": 400, "inference.tune": 400}
    )
    s = tree["summary"]
    assert tree.attrs["p_source_max_abs_error"] < 0.05
    for k in ("eruption_time", "u", "v"):
        assert abs(float(s[k]) - float(exact[k])) < 0.3 * float(exact[f"{k}_sd"]) + 1e-3, k
    assert float(s["diffusivity"]) == pytest.approx(float(exact["diffusivity"]), rel=0.15)
    assert tree["log_likelihood"]["sightings"].dims == ("chain", "draw", "sighting")
    assert_pointwise_sums_to_the_model_loglik(tree, spec)


def test_simulation_tier_recovers_what_the_kernel_tier_recovers_in_a_uniform_flow(tmp_path):
    uniform_flow(TRUTH["u"], TRUTH["v"], bounds=(130.0, 150.0, 15.0, 35.0)).to_netcdf(tmp_path / "uniform.nc")
    ensemble = {"model.variant": "ensemble", "data.field": str(tmp_path / "uniform.nc"), "data.particles": 24}
    pinned_uv = {k: {"dist": "Normal", "mu": TRUTH[k], "sigma": 1e-4} for k in ("u", "v")}
    pinned_scale = {"current_scale": {"dist": "LogNormal", "mu": 0.0, "sigma": 1e-4}}
    # the same drift known to both tiers: the kernel and the simulated clouds give the same posterior
    kern = fit_spec(scenario(), **FAST, **{f"priors.{k}": v for k, v in pinned_uv.items()})["summary"]
    tree = fit_spec(scenario(), **FAST, **ensemble, **{f"priors.{k}": v for k, v in pinned_scale.items()})
    ens = tree["summary"]
    assert tree.attrs["ensemble_particle_steps"] > 0
    ll = tree["log_likelihood"]["sightings"]  # tier 2: each sighting's kernel density at the draw's grid node
    assert ll.dims == ("chain", "draw", "sighting") and np.isfinite(ll).all()
    np.testing.assert_allclose(ens["p_source"].values, kern["p_source"].values, atol=0.02)
    for k in ("eruption_time", "eruption_time_q05", "eruption_time_q95"):
        assert abs(float(ens[k]) - float(kern[k])) < 0.25 * float(kern["eruption_time_sd"]), k
    for k in ("diffusivity", "diffusivity_q05", "diffusivity_q95"):
        assert float(ens[k]) == pytest.approx(float(kern[k]), rel=0.2), k
    # drift inferred (tier 1: u and v; tier 2: the field's scale): both find the source and cover the truth
    for s in (fit_spec(scenario(), **FAST)["summary"], fit_spec(scenario(), **FAST, **ensemble)["summary"]):
        assert str(s["p_source"].idxmax().values) == "Fukutoku-Oka-no-Ba"
        for k in ("eruption_time", "u", "diffusivity"):
            assert float(s[f"{k}_q05"]) <= TRUTH[k] <= float(s[f"{k}_q95"]), k


def test_a_non_detection_rules_out_an_upstream_source():
    # B lies 100 km upstream of A on the drift line: sightings alone cannot exclude an earlier eruption at B,
    # but nothing reached the site between them by day -0.2, and a raft from B would have passed it.
    a = case.FOB_CANDIDATES[4]
    b = a._replace(name="Upstream", lon=a.lon + 0.985)
    spec = scenario(
        truth=TRUTH | {"v": 0.0, "eruption_time": -0.3}, days=(2, 3, 4, 5), sources=[a, b], source=0
    )
    spec["data"]["earliest"] = "2024-05-25T00:00Z"
    before = fit_spec(spec, **FAST)["summary"]["p_source"].sel(source="Upstream")
    spec["data"]["non_detections"] = [{"time": "2024-05-31T19:00Z", "lon": a.lon + 0.5, "lat": a.lat}]
    after = fit_spec(spec, **FAST)["summary"]["p_source"].sel(source="Upstream")
    assert float(before) > 0.02 and float(after) < 0.1 * float(before)


def test_strandings_enter_the_likelihood_and_samplers_agree():
    spec = scenario()
    spec["data"]["strandings"] = [{"time": "2024-06-15T00:00Z", "lon": 138.0, "lat": 24.6, "radius": 30.0}]
    spec["data"]["non_detections"] = [{"time": "2024-06-03T00:00Z", "lon": 141.0, "lat": 26.0}]
    exact = fit_spec(spec, **FAST)
    smc = fit_spec(spec, **FAST, **{"inference.method": "smc", "inference.draws": 400})
    for tree in (exact, smc):
        dims = {k: v.dims for k, v in tree["log_likelihood"].data_vars.items()}
        assert dims == {
            "sightings": ("chain", "draw", "sighting"),
            "strandings": ("chain", "draw", "stranding"),
            "non_detections": ("chain", "draw", "non_detection"),
        }
        assert_pointwise_sums_to_the_model_loglik(tree, spec)
    assert "strandings" in exact.children and exact.attrs["importance_ess_min"] > 50
    assert smc.attrs["p_source_max_abs_error"] < 0.05
    e, s = exact["summary"], smc["summary"]
    assert (
        abs(float(e["eruption_time"]) - float(s["eruption_time"])) < 0.3 * float(e["eruption_time_sd"]) + 0.02
    )


def test_psis_loo_ranks_the_generating_model_first():
    """PSIS-LOO over the sightings (ArviZ on the ``log_likelihood`` group) prefers the synthetic spec's own
    model to one that fixes Kh at the textbook 10 m2/s (truth 150 m2/s); there is no exact evidence."""
    import arviz as az

    pinned = {"priors.diffusivity": {"dist": "LogNormal", "mu": float(np.log(10.0)), "sigma": 0.05}}
    trees = {"spec": fit_spec(SYNTHETIC, **FAST), "kh_10": fit_spec(SYNTHETIC, **FAST, **pinned)}
    for tree in trees.values():
        loo = az.loo(tree, pointwise=True)
        assert np.isfinite(loo.elpd) and np.isfinite(loo.se) and loo.se > 0
        assert loo.pareto_k.sizes["sighting"] == 8 and float(loo.pareto_k.max()) < 1.0
    table = az.compare(trees)
    assert list(table.index) == ["spec", "kh_10"]
    assert -table.loc["kh_10", "elpd_diff"] > 1.5 * table.loc["kh_10", "dse"]
    spec = load_spec(SYNTHETIC)
    assert case.has_exact_evidence(case.prepare(spec), spec.inference) is False


# --- command line and contract


def test_cli_fit_writes_a_conforming_result(tmp_path, check_contract):
    out = tmp_path / "out"
    res = run_cli(
        "fit", str(SYNTHETIC), "--out", str(out), "--seed", "2", *[f"--set={k}={v}" for k, v in FAST.items()]
    )
    assert res.returncode == 0, res.stderr
    assert "p_source" in res.stdout and "Kaitoku Seamount" in res.stdout
    check_contract(out)
    tree = xr.open_datatree(out / "result.nc")
    s = tree["summary"]
    assert s["p_source"].dims == ("source",) and s["p_source"].sum() == pytest.approx(1.0)
    assert {"eruption_time", "u", "v", "diffusivity"} <= set(s.data_vars)
    assert s["u"].attrs["units"] == "m s-1" and s["diffusivity"].attrs["units"] == "m2 s-1"
    assert tree["posterior_predictive"]["lon"].dims == ("sample", "particle", "time")
    assert sorted(p.name for p in out.glob("*.png")) == [
        "drift_source_arrival.png",
        "drift_source_eruption_time.png",
        "drift_source_map.png",
        "drift_source_posterior_predictive.png",
        "drift_source_prior_predictive.png",
        "drift_source_probabilities.png",
    ]
    n = tree["observed_data"].sizes["sighting"]
    assert tree["prior_predictive"]["lon"].dims == ("sample", "particle", "time")
    assert tree["prior_predictive"].sizes["time"] == n
    assert tree["log_likelihood"]["sightings"].shape == (2, 1000, n)


def _spec_file(tmp_path, rows, sources=None, extra="", after="", reference=REFERENCE) -> Path:
    sources = sources or [{"name": "Fukutoku-Oka-no-Ba", "lon": 141.481, "lat": 24.285}]
    row_txt = ",\n".join(f'  {{ time = "{t}", lon = {x}, lat = {y} }}' for t, x, y in rows)
    src_txt = ",\n".join(f'  {{ name = "{s["name"]}", lon = {s["lon"]}, lat = {s["lat"]} }}' for s in sources)
    path = tmp_path / "bad.toml"
    path.write_text(
        f'[model]\ncase = "drift.source"\n[data]\nreference_time = "{reference}"\n{extra}\n'
        f"sightings = [\n{row_txt}\n]\n[switches]\nsource = [\n{src_txt}\n]\n{after}\n"
    )
    return path


GOOD = [("2024-06-02T00:00Z", 141.2, 24.35), ("2024-06-03T00:00Z", 140.9, 24.4)]
BAD = {
    "unparseable time": (dict(rows=[("13 Augustish", 141.2, 24.35)]), "data.sightings row 1 time"),
    "candidate on land": (
        dict(rows=GOOD, sources=[{"name": "Tokyo", "lon": 139.69, "lat": 35.69}]),
        "switches.source[0]",
    ),
    "no sightings": (dict(rows=GOOD, extra='until = "2024-06-01T12:00Z"'), "data.sightings"),
    "sighting before earliest": (dict(rows=GOOD, extra='earliest = "2024-06-02T12:00Z"'), "data.sightings"),
    "unknown prior": (dict(rows=GOOD, after="[priors.speed]\ndist = 'Normal'"), "priors.speed"),
    "bad reference time": (dict(rows=GOOD, reference="soon"), "data.reference_time"),
    "nested prior": (
        dict(rows=GOOD, after="[priors.u]\ndist = 'Normal'\n[priors.u.sigma]\ndist = 'HalfNormal'"),
        "priors.u",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_exits_2_with_one_line(name, tmp_path, capsys):
    kwargs, field = BAD[name]
    path = _spec_file(tmp_path, **kwargs)
    code = main(["fit", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("bayesgeo: error:")
    assert field is None or field in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "extra, override, field",
    [
        ("", "inference.method=nuts", "inference.method"),
        ("strandings = []", "inference.seed=1", "data.strandings"),
    ],
)
def test_what_the_ensemble_tier_refuses(extra, override, field, tmp_path, capsys):
    path = _spec_file(tmp_path, GOOD, extra=f'field = "builtin:northwest_pacific"\n{extra}')
    code = main(["fit", str(path), "--set", "model.variant=ensemble", "--set", override])
    assert code == 2 and field in capsys.readouterr().err


# --- the 2021 Fukutoku-Oka-no-Ba raft


def test_fob2021_shipped_sightings_match_the_shared_file():
    if not SHARED.is_file():
        pytest.skip(f"shared data not found at {SHARED}")
    import pandas as pd

    raw = pd.read_csv(SHARED)
    shipped = pd.read_csv(data.builtin_path("x", "builtin:fob2021"), comment="#")
    np.testing.assert_array_equal(shipped["lon"], raw["areaweighted_lon"])
    np.testing.assert_array_equal(shipped["area"], raw["total_area_km2"])
    assert list(shipped["time"]) == list(raw["date_utc"])


def test_fob2021_points_to_fukutoku_oka_no_ba_in_august():
    overrides = dict(FAST)
    if SHARED.is_file():  # read the raw file through the column mapping
        overrides |= {
            "data.sightings": str(SHARED),
            "data.columns": {
                "time": "date_utc",
                "lon": "areaweighted_lon",
                "lat": "areaweighted_lat",
                "area": "total_area_km2",
            },
        }
    tree = fit_spec(FOB, **overrides)
    s = tree["summary"]
    assert str(s["p_source"].idxmax().values) == "Fukutoku-Oka-no-Ba" and float(s["p_source"].max()) > 0.99
    # reference time 2021-08-13T00:00Z; the eruption began ~21:00 UTC on 12 Aug (-0.125 d)
    assert -2.0 < float(s["eruption_time_q05"]) and float(s["eruption_time_q95"]) < 0.5
    assert -0.36 < float(s["u"]) < -0.25 and abs(float(s["v"])) < 0.12


# --- calibration (slow)


@pytest.mark.slow
def test_calibration_over_seeded_synthetic_scenarios():
    table = recovery_table(SYNTHETIC, n_cases=40, seed=0)
    scores = recovery_scores(table)
    assert scores["top_rate"] >= 0.9
    assert 0.8 <= scores["coverage_90"] <= 0.97
