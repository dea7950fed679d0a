# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   language_info:
#     name: python
#     pygments_lexer: ipython3
# ---

# %% [markdown]
# # Pumice drift: currents, windage, diffusion and hazard
#
# A submarine eruption can leave a raft of floating pumice that drifts for months and strands on coasts
# thousands of kilometres away — in 2021 the Fukutoku-Oka-no-Ba (FOB) raft reached Okinawa two months
# after the eruption. A pumice clast moves with
#
# `velocity = ocean current + α × 10 m wind + random turbulent kicks`,
#
# with windage α of 0–3 % and a horizontal diffusivity `Kh ≈ 10 m²/s`. This lesson builds each part and
# ends with a hazard map: "if this volcano erupted, where and when would pumice arrive?"

# %%
import matplotlib.pyplot as plt
import numpy as np

import bayesgeo
from bayesgeo import drift
from bayesgeo.plots import use_style

use_style()  # the package's colour-blind-safe colours for C0, C1, ...

fob = [v for v in drift.HAZARD_SOURCES if v.name == "Fukutoku-Oka-no-Ba"][0]

# %% [markdown]
# ## 1. A current field
# bayesgeo reads any CF NetCDF of surface currents (GLORYS, HYCOM, JCOPE…). Here we use its idealised
# north-west Pacific: westward flow in the south, a Kuroshio-like jet along the Ryukyus and Japan.

# %%
field = drift.northwest_pacific("2021-08-01", "2022-02-01", resolution=0.25)
land = drift.land_mask(120, 150, 15, 40)
snap = field.isel(time=0)
speed = np.hypot(snap.uo, snap.vo)
fig, ax = plt.subplots(figsize=(7, 5.5), layout="constrained")
ax.pcolormesh(snap.lon, snap.lat, speed, cmap="Blues", vmax=1.0)
s = slice(None, None, 6)
ax.quiver(snap.lon[s], snap.lat[s], snap.uo[s, s], snap.vo[s, s], scale=15, width=0.002)
drift.plot_coastline(land, ax)
ax.plot(fob.lon, fob.lat, "r^", ms=10)
ax.set(xlabel="longitude (°E)", ylabel="latitude (°N)", title="surface current speed (m/s)")
# %% [markdown]
# ## 2. Following one particle: why RK4
# On a solid-body rotation the exact path is a circle. Euler's method spirals outwards; fourth-order
# Runge–Kutta keeps the radius, and its error shrinks as `dt⁴`.

# %%
rot = drift.solid_body_rotation(period="10D")
start = drift.release_point(rot.attrs["center_lon"] + 5, rot.attrs["center_lat"], "2000-01-01")
errors = {}
for method in ("euler", "rk4"):
    for dt in (6 * 3600.0, 3 * 3600.0, 1800.0):
        out = drift.simulate(rot, start, duration="10D", dt=dt, method=method, output_every=None)
        r = drift.great_circle_distance(
            out.final_lon, out.final_lat, rot.attrs["center_lon"], rot.attrs["center_lat"]
        )
        r0 = drift.great_circle_distance(
            start.lon, start.lat, rot.attrs["center_lon"], rot.attrs["center_lat"]
        )
        errors[method, dt] = abs(float(r[0] - r0[0]))
for (method, dt), e in errors.items():
    print(f"{method:5s} dt = {dt / 3600:4.1f} h: radius error after one turn {e:10.3f} m")

# %% [markdown]
# ## 3. Windage
# Pumice floats high: part of it sits in the wind. With α = 2 % a 10 m/s wind adds 0.2 m/s — as much as the
# background current. Same release, three windage classes:

# %%
release = drift.release_disk(fob.lon, fob.lat, 10e3, "2021-08-13", n=300, seed=1, land=land)
fig, ax = plt.subplots(figsize=(7, 5.5), layout="constrained")
drift.plot_coastline(land, ax)
for alpha, color in zip((0.0, 0.01, 0.02), ("C0", "C1", "C3")):
    run = drift.simulate(field, release, duration="120D", windage=alpha, diffusivity=10.0, land=land, seed=2)
    ax.plot(run.lon.values.T[:, ::10], run.lat.values.T[:, ::10], color=color, lw=0.4, alpha=0.5)
    ax.plot(
        [], [], color=color, label=f"α = {alpha:.0%}: {float((run.final_status == 2).mean()):.0%} stranded"
    )
ax.plot(fob.lon, fob.lat, "k^", ms=10)
ax.set(xlim=(120, 146), ylim=(18, 36), xlabel="longitude (°E)", ylabel="latitude (°N)")
ax.legend(frameon=False)
# %% [markdown]
# ## 4. Diffusion
# Eddies smaller than the grid are a random walk: each step adds `√(2 Kh dt) N(0,1)` metres per axis, so in a
# uniform current the cloud's variance grows as `2 Kh t` per axis. We check it with 4000 particles.

# %%
flat = drift.uniform_flow(0.2, 0.0, bounds=(150, 180, 20, 45))
cloud = drift.release_point(160.0, 30.0, "2000-01-01", n=4000)
kh = 50.0
out = drift.simulate(flat, cloud, duration="20D", diffusivity=kh, output_every="2D", seed=3)
t = (out.time - out.time[0]).values / np.timedelta64(1, "s")
y_m = np.deg2rad(out.lat.values) * 6.371e6
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.plot(t / 86400, y_m.var(axis=0) / 1e6, "o", label="simulated (north-south)")
ax.plot(t / 86400, 2 * kh * t / 1e6, "k-", label="2 Kh t")
ax.set(xlabel="days", ylabel="variance (km²)")
ax.legend(frameon=False)
# %% [markdown]
# ## 5. A hazard map
# A hazard assessment runs many scenarios — eruption dates (currents and monsoon change with the season)
# and windage classes — and counts what strands where. In bayesgeo that is a spec; here two sources, two
# dates, two windage classes.

# %%
spec = {
    "model": {"case": "drift.hazard"},
    "data": {
        "release_start": "2021-08-13",
        "release_count": 2,
        "release_interval_days": 60,
        "duration_days": 150,
        "n_particles": 400,
    },
    "switches": {
        "source": [
            {"name": v.name, "lon": v.lon, "lat": v.lat}
            for v in drift.HAZARD_SOURCES
            if v.name in ("Fukutoku-Oka-no-Ba", "Miyakejima")
        ],
        "windage": [0.0, 0.02],
    },
    "inference": {"seed": 1},
}
tree = bayesgeo.fit_spec(spec)
frac = tree["summary"]["arrival_fraction"].to_pandas().T
print((100 * frac[(frac > 0.005).any(axis=1)]).round(1).to_string(float_format="%.1f"), "% of pumice")
drift.plot_arrival_times(
    tree["hazard"].to_dataset(),
    source="Fukutoku-Oka-no-Ba",
    regions=["Okinawa Islands", "Amami Islands", "Yaeyama Islands"],
)
# %% [markdown]
# ## Exercise
# Does windage make FOB pumice strand sooner? Release 300 particles from FOB on 2021-08-13 (a 10 km disk,
# `seed=4`), drift them for 150 days with Kh = 10 m²/s, once with windage 0 % and once with 2 %, and store
# the fraction of particles stranded by then in `stranded = {0.0: ..., 0.02: ...}`.

# %% tags=["exercise"]
stranded = {0.0: None, 0.02: None}  # your answer

# %% tags=["check", "raises-exception"]
ens = drift.run_ensemble(
    field,
    [fob],
    ["2021-08-13"],
    [0.0, 0.02],
    n_particles=300,
    duration="150D",
    diffusivity=10.0,
    land=land,
    seed=4,
)
expected = (ens.final_status == 2).mean(("source", "release", "particle"))
for alpha in (0.0, 0.02):
    p = float(expected.sel(windage=alpha))
    tolerance = 4 * np.sqrt(2 * p * (1 - p) / 300) + 0.01  # two independent 300-particle estimates
    assert stranded[alpha] is not None, "fill in stranded"
    assert abs(stranded[alpha] - p) < tolerance, f"windage {alpha}: {stranded[alpha]:.2f}, expected ~{p:.2f}"
print({a: round(float(expected.sel(windage=a)), 2) for a in (0.0, 0.02)})
