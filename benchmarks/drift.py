"""Drift benchmark: bayesgeo vs OpenDrift (optional peer, GPL: imported here only) on the same scenario.

Scenario: 10^4 particles released around Fukutoku-Oka-no-Ba, 60 days, hourly RK4 steps, the idealised NW
Pacific field gridded at 0.1 deg with daily time levels (currents only), land mask on. Prints particle-steps/s
of both and their ratio in one run, the agreement of deterministic final positions after 30 days, and the
scaling of bayesgeo from 10^3 to 10^6 particles with peak memory.

Usage: ``python benchmarks/drift.py [--quick]`` (``pip install opendrift`` to include the peer).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import tracemalloc

import numba
import numpy as np

from bayesgeo import drift as d

FOB = (141.481, 24.285)
START = "2021-08-13"


def _field(days: int):
    field = d.northwest_pacific(
        "2021-08-01",
        np.datetime64("2021-08-13") + np.timedelta64(days + 2, "D"),
        resolution=0.1,
        time_step="1D",
        wind=False,
    )
    return field.drop_vars("psi")


def _clock():
    return time.perf_counter(), time.process_time()


def _since(start) -> tuple[float, float]:
    """Wall and CPU seconds (all threads) since ``start``."""
    return time.perf_counter() - start[0], time.process_time() - start[1]


def _bayesgeo(field, land, n: int, days: int, method: str = "rk4", seed: int = 0):
    rel = d.release_disk(*FOB, 50e3, START, n, seed=seed, land=land)
    d.simulate(field, rel.isel(particle=slice(0, 10)), duration="1D", land=land, output_every=None)  # compile
    t = _clock()
    out = d.simulate(field, rel, duration=f"{days}D", dt=3600.0, land=land, method=method, output_every=None)
    return out, *_since(t)


def _opendrift(path: str, lon, lat, days: int, *, land: bool = True, method: str = "rk4"):
    from opendrift.models.oceandrift import OceanDrift
    from opendrift.readers import reader_netCDF_CF_generic

    o = OceanDrift(loglevel=50)
    o.add_reader(reader_netCDF_CF_generic.Reader(path))
    o.set_config("drift:advection_scheme", {"rk4": "runge-kutta4", "euler": "euler"}[method])
    o.set_config("environment:constant:horizontal_diffusivity", 0.0)
    o.set_config("drift:stokes_drift", False)
    o.set_config("drift:vertical_advection", False)
    o.set_config("general:coastline_action", "stranding" if land else "none")
    o.set_config("drift:wind_uncertainty", 0.0)
    o.set_config("drift:current_uncertainty", 0.0)
    o.seed_elements(
        lon=lon, lat=lat, time=np.datetime64(START).astype("datetime64[s]").item(), wind_drift_factor=0.0
    )
    t = _clock()
    o.run(
        duration=np.timedelta64(days, "D").astype("timedelta64[s]").item(),
        time_step=3600,
        time_step_output=86400 * days,
    )
    return o, *_since(t)


def _rate(name: str, steps: float, wall: float, cpu: float) -> tuple[float, float]:
    print(
        f"{name:<18} {wall:7.2f} s wall {steps / wall / 1e6:6.2f}e6 ps/s "
        f"{steps / cpu / 1e6:6.2f}e6 ps per CPU-s"
    )
    return steps / wall, steps / cpu


def _cf_file(field) -> str:
    path = os.path.join(tempfile.mkdtemp(prefix="bayesgeo-drift-bench-"), "field.nc")
    ds = field.rename(uo="x_sea_water_velocity", vo="y_sea_water_velocity")
    ds.lon.attrs, ds.lat.attrs = (
        {"standard_name": "longitude", "units": "degrees_east"},
        {"standard_name": "latitude", "units": "degrees_north"},
    )
    ds.to_netcdf(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller scaling runs")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(
        f"machine: {os.cpu_count()} cores, numba threads {numba.get_num_threads()}, "
        f"load average {os.getloadavg()[0]:.2f} (shared machine: timings are noisy)"
    )
    days, n = 60, 10_000
    steps = n * days * 24
    field = _field(days)
    land = d.land_mask(*d.field_bounds(field))
    print(
        f"scenario: {n} particles x {days * 24} hourly steps, 0.1 deg daily field, land mask "
        "(ps = particle-steps)"
    )
    out, *t_rk4 = _bayesgeo(field, land, n, days)
    ours = {"rk4": _rate("bayesgeo RK4", steps, *t_rk4)}
    ours["euler"] = _rate("bayesgeo Euler", steps, *_bayesgeo(field, land, n, days, "euler")[1:])
    print(f"  (bayesgeo stranded {(out.final_status == 2).mean().item():.1%} of the particles)")

    try:
        import opendrift  # noqa: F401
    except ImportError:
        print("OpenDrift not installed (pip install opendrift): peer skipped")
    else:
        path = _cf_file(field)
        rel = d.release_disk(*FOB, 50e3, START, n, seed=0, land=land)
        for method in ("rk4", "euler"):
            peer = _rate(
                f"OpenDrift {method}",
                steps,
                *_opendrift(path, rel.lon.values, rel.lat.values, days, method=method)[1:],
            )
            print(
                f"  ratio bayesgeo / OpenDrift ({method}): {ours[method][0] / peer[0]:.1f}x wall, "
                f"{ours[method][1] / peer[1]:.1f}x per CPU-second"
            )

        # agreement: deterministic (no diffusion, no windage, no coast) final positions after 30 days
        rel = d.release_disk(*FOB, 150e3, START, 200, seed=1, land=land)
        mine = d.simulate(field, rel, duration="30D", dt=3600.0, output_every=None, earth="wgs84")
        sphere = d.simulate(field, rel, duration="30D", dt=3600.0, output_every=None)
        o = _opendrift(path, rel.lon.values, rel.lat.values, 30, land=False)[0]
        lon_od, lat_od = o.result.lon.isel(time=-1).values, o.result.lat.isel(time=-1).values
        both = (mine.final_status.values == 1) & np.isfinite(lon_od)
        km = (
            d.great_circle_distance(
                mine.final_lon.values[both], mine.final_lat.values[both], lon_od[both], lat_od[both]
            )
            / 1e3
        )
        travel = d.great_circle_distance(
            rel.lon.values[both], rel.lat.values[both], lon_od[both], lat_od[both]
        )
        print(
            f"agreement after 30 days ({both.sum()} particles, mean travel {travel.mean() / 1e3:.0f} km), "
            f"earth='wgs84' as OpenDrift: median {np.median(km):.3f} km, 95% {np.quantile(km, 0.95):.3f} km, "
            f"max {km.max():.3f} km"
        )
        km_s = (
            d.great_circle_distance(
                sphere.final_lon.values[both], sphere.final_lat.values[both], lon_od[both], lat_od[both]
            )
            / 1e3
        )
        print(
            f"  (default earth='sphere', R = 6371 km: median {np.median(km_s):.3f} km, "
            f"max {km_s.max():.3f} km)"
        )

    print("scaling (bayesgeo, 10-day runs, hourly RK4, no trajectory output):")
    print(f"{'particles':>10} {'seconds':>8} {'Mps/s':>7} {'peak MB':>8}")
    sizes = [10**3, 10**4, 10**5] + ([] if args.quick else [10**6])
    for m in sizes:
        tracemalloc.start()
        _, el, _ = _bayesgeo(field, land, m, 10)
        peak = tracemalloc.get_traced_memory()[1] / 1e6  # run allocations: state, field windows, mask
        tracemalloc.stop()
        print(f"{m:>10} {el:>8.2f} {m * 240 / el / 1e6:>7.2f} {peak:>8.0f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
