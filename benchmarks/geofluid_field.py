"""geofluid.field measured: MRF vs per-cell error and coverage, smoothness coverage, 100 x 50 timing, and
(``--nuts``) the Laplace fast path against a converged whitened-NUTS reference on a 20 x 20 section
(4 chains x 20000 draws, about 20 min on 2 shared cores; the reference summary is written to
``tests/data/geofluid_field_nuts_20x20.nc``, which the tests compare the Laplace path with). Prints one table.

    .venv/bin/python benchmarks/geofluid_field.py [--nuts]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pymc as pm
import xarray as xr
from arviz_stats.base import array_stats

import bayesgeo
from bayesgeo.geofluid import field
from bayesgeo.geofluid.field_data import simulate
from bayesgeo.geofluid.field_model import OUTPUTS, build_model
from bayesgeo.spec import load_spec

REFERENCE = Path(__file__).parents[1] / "tests" / "data" / "geofluid_field_nuts_20x20.nc"
SUMMARISED = ("porosity", "log10_aspect_ratio")


def fit(path: Path, variant: str = "gmrf", method: str = "auto", draws: int = 200):
    spec = _spec(path, variant) | {"inference": {"method": method, "seed": 1, "draws": draws, "tune": draws}}
    start = time.perf_counter()
    tree = bayesgeo.fit_spec(spec)
    return tree, time.perf_counter() - start


def _spec(path: Path, variant: str = "gmrf") -> dict:
    return {
        "model": {"case": "geofluid.field", "variant": variant},
        "data": {"cells": str(path)},
        "switches": {"lithology": "spinel_lherzolite", "liquid": "melt"},
    }


def nuts_reference(
    path: Path, chains: int = 4, tune: int = 2000, draws: int = 20000, seed: int = 7
) -> xr.Dataset:
    """Whitened NUTS (the model of ``method = "nuts"``) run long: per-cell posterior mean and s.d. of
    porosity and log10 aspect ratio; mean, s.d. and 90 % interval of the smoothness scales; R-hat, bulk/tail
    ESS, divergences, BFMI and wall time (s) as attributes."""
    problem = field.prepare(load_spec(_spec(path)))
    option = problem.options[0]
    y, sd = problem.observations()
    obs, sds = ({k: v.reshape(problem.shape) for k, v in zip(OUTPUTS, a, strict=False)} for a in (y, sd))
    whiten = field._whitening(field._laplace(problem, option))
    model = build_model(
        obs, sds, problem.constants[option], "gmrf", problem.priors, field._grid_coords(problem), whiten
    )
    start = time.perf_counter()
    names = ["tau_porosity", "tau_aspect_ratio", *SUMMARISED]
    tree = pm.sample(
        draws,
        tune=tune,
        chains=chains,
        model=model,
        nuts_sampler="nutpie",
        random_seed=seed,
        var_names=names,
        progressbar=False,
        compute_convergence_checks=False,
    )
    wall = time.perf_counter() - start
    post = tree["posterior"].to_dataset()
    stats = tree["sample_stats"].to_dataset()
    values = np.concatenate([post[v].values.reshape(chains, draws, -1) for v in names], axis=-1)
    values = np.moveaxis(values, -1, 0)
    energy = stats["energy"].values
    out = xr.Dataset()
    for f in ("porosity", "aspect_ratio"):
        t = post[f"tau_{f}"].values
        out[f"tau_{f}"], out[f"tau_{f}_sd"] = t.mean(), t.std()
        out[f"tau_{f}_q05"], out[f"tau_{f}_q95"] = np.quantile(t, [0.05, 0.95])
    for v in SUMMARISED:
        out[v] = post[v].mean(("chain", "draw"))
        out[f"{v}_sd"] = post[v].std(("chain", "draw"))
    out.attrs = {
        "rhat_max": float(array_stats.rhat(values, chain_axis=1, draw_axis=2).max()),
        "ess_bulk_min": float(array_stats.ess(values, chain_axis=1, draw_axis=2).min()),
        "ess_tail_min": float(
            array_stats.ess(values, chain_axis=1, draw_axis=2, method="tail", prob=(0.05, 0.95)).min()
        ),
        "divergences": int(stats["diverging"].sum()),
        "bfmi_min": float(np.min(np.mean(np.diff(energy, axis=1) ** 2, axis=1) / np.var(energy, axis=1))),
        "wall_time_s": wall,
        "chains": chains,
        "draws": draws,
        "tune": tune,
        "seed": seed,
        "section": "simulate((20, 20), truth='prior', tau=(0.3, 0.3), level=(-3.5, -2.2), seed=0)",
    }
    return out


def gap(summary: xr.Dataset, reference: xr.Dataset) -> dict[str, tuple[float, float, float]]:
    """Max, 95th percentile and mean over cells of ``|mean - mean_ref| / sd_ref`` per summarised variable."""
    out = {}
    for v in SUMMARISED:
        d = np.abs(summary[v].values - reference[v].values).ravel() / reference[f"{v}_sd"].values.ravel()
        out[v] = (float(d.max()), float(np.quantile(d, 0.95)), float(d.mean()))
    return out


def main(nuts: bool) -> None:
    tmp = Path(tempfile.mkdtemp())
    rows = []
    sections = {
        "ne_japan 30x80": simulate((30, 80), seed=1),
        "gmrf-drawn 30x30": simulate((30, 30), truth="prior", tau=(0.3, 0.3), level=(-3.5, -2.2), seed=3),
    }
    for name, cells in sections.items():
        path = tmp / f"{name.split()[0]}.nc"
        cells.to_netcdf(path)
        mrf, t_mrf = fit(path)
        cell, _ = fit(path, "independent")
        a, b = mrf.attrs, cell.attrs
        rows.append((name, "RMSE ratio MRF/per-cell, porosity", a["rmse_porosity"] / b["rmse_porosity"]))
        rows.append(
            (
                name,
                "RMSE ratio MRF/per-cell, log10 aspect ratio",
                a["rmse_log10_aspect_ratio"] / b["rmse_log10_aspect_ratio"],
            )
        )
        rows.append((name, "90% coverage porosity (MRF)", a["coverage90_porosity"]))
        rows.append((name, "90% coverage aspect ratio (MRF)", a["coverage90_aspect_ratio"]))
        rows.append((name, "fit time MRF [s]", t_mrf))
        if "gmrf" in name:
            s = mrf["summary"]
            for f in ("porosity", "aspect_ratio"):
                lo, hi = float(s[f"tau_{f}_q05"]), float(s[f"tau_{f}_q95"])
                rows.append((name, f"tau_{f} 90% interval (truth 0.3)", f"[{lo:.3f}, {hi:.3f}]"))
    big = tmp / "big.nc"
    simulate((50, 100), seed=7).to_netcdf(big)
    _, t_big = fit(big)
    rows.append(("ne_japan 100x50", "Laplace fast path time [s]", t_big))
    if nuts:
        small = tmp / "small.nc"
        simulate((20, 20), truth="prior", tau=(0.3, 0.3), level=(-3.5, -2.2), seed=0).to_netcdf(small)
        lap, t_lap = fit(small, method="map")
        ref = nuts_reference(small)
        REFERENCE.parent.mkdir(exist_ok=True)
        ref.to_netcdf(REFERENCE)
        for v, (dmax, d95, dmean) in gap(lap["summary"], ref).items():
            rows.append(
                (
                    "gmrf-drawn 20x20",
                    f"|Laplace - NUTS| / sd, {v}: max, p95, mean",
                    f"{dmax:.3f}, {d95:.3f}, {dmean:.3f}",
                )
            )
        for f in ("porosity", "aspect_ratio"):
            rows.append(
                (
                    "gmrf-drawn 20x20",
                    f"tau_{f} mean: Laplace / NUTS",
                    f"{float(lap['summary'][f'tau_{f}']):.3f} / {float(ref[f'tau_{f}']):.3f}",
                )
            )
        a = ref.attrs
        rows.append(("gmrf-drawn 20x20", "time Laplace / NUTS [s]", f"{t_lap:.1f} / {a['wall_time_s']:.0f}"))
        rows.append(
            (
                "gmrf-drawn 20x20",
                f"NUTS {a['chains']} x {a['draws']}: R-hat max, ESS bulk/tail min, divergences, BFMI min",
                f"{a['rhat_max']:.4f}, {a['ess_bulk_min']:.0f}/{a['ess_tail_min']:.0f}, {a['divergences']}, "
                f"{a['bfmi_min']:.2f}",
            )
        )
    width = max(len(r[1]) for r in rows)
    for section, what, value in rows:
        value = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{section:<18} {what:<{width}}  {value}")


if __name__ == "__main__":
    main("--nuts" in sys.argv)
