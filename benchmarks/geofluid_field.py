"""geofluid.field measured: MRF vs per-cell error and coverage, smoothness coverage, 100 x 50 timing, and
(``--nuts``) the fast path (Laplace and EP) against a converged whitened-NUTS reference on a 20 x 20 section
(4 chains x 20000 draws, about 20 min on 2 shared cores; the reference summary is written to
``tests/data/geofluid_field_nuts_20x20.nc``, which the tests compare the fast path with). ``--nuts-fixed``
writes the fixed-tau NUTS reference of a 15 x 40 NE-Japan-like section that the EP tests use
(``tests/data/geofluid_field_nuts_15x40_fixed_tau.nc``, 2 chains x 2000 draws, about 4 min). Prints one table.

    .venv/bin/python benchmarks/geofluid_field.py [--nuts] [--nuts-fixed]
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
FIXED_TAU_REFERENCE = REFERENCE.with_name("geofluid_field_nuts_15x40_fixed_tau.nc")
SUMMARISED = ("porosity", "log10_aspect_ratio")
FIELD_NAMES = ("porosity", "aspect_ratio")


def fit(path: Path, variant: str = "gmrf", method: str = "auto", draws: int = 200, latent: str = "auto"):
    inference = {"method": method, "seed": 1, "draws": draws, "tune": draws, "latent": latent}
    spec = _spec(path, variant) | {"inference": inference}
    start = time.perf_counter()
    tree = bayesgeo.fit_spec(spec)
    return tree, time.perf_counter() - start


def _spec(path: Path, variant: str = "gmrf") -> dict:
    return {
        "model": {"case": "geofluid.field", "variant": variant},
        "data": {"cells": str(path)},
        "switches": {"lithology": "spinel_lherzolite", "liquid": "melt"},
    }


def _section(path: Path):
    """The prepared section at ``path`` (``_spec``), its option, the flattened observations and s.d.
    ``(K, N)`` and the same keyed by output on the grid."""
    problem = field.prepare(load_spec(_spec(path)))
    y, sd = problem.observations()
    grid = ({k: v.reshape(problem.shape) for k, v in zip(OUTPUTS, a, strict=False)} for a in (y, sd))
    return problem, problem.options[0], (y, sd), tuple(grid)


def _nutpie(model, names: list[str], chains: int, tune: int, draws: int, seed: int):
    """``pm.sample`` with nutpie, keeping ``names``; returns the trace and the wall time (s)."""
    start = time.perf_counter()
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
    return tree, time.perf_counter() - start


def nuts_reference(
    path: Path, chains: int = 4, tune: int = 2000, draws: int = 20000, seed: int = 7
) -> xr.Dataset:
    """Whitened NUTS (the model of ``method = "nuts"``) run long: per-cell posterior mean and s.d. of
    porosity and log10 aspect ratio; mean, s.d. and 90 % interval of the smoothness scales; R-hat, bulk/tail
    ESS, divergences, BFMI and wall time (s) as attributes."""
    problem, option, _, (obs, sds) = _section(path)
    whiten = field._whitening(field._laplace(problem, option))
    model = build_model(
        obs, sds, problem.constants[option], "gmrf", problem.priors, field._grid_coords(problem), whiten
    )
    names = ["tau_porosity", "tau_aspect_ratio", *SUMMARISED]
    tree, wall = _nutpie(model, names, chains, tune, draws, seed)
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


def fixed_tau_reference(
    path: Path, tau: tuple[float, float] = (0.71, 1.2), chains: int = 2, tune: int = 1000, draws: int = 2000
) -> xr.Dataset:
    """Whitened NUTS with the smoothness scales fixed (LogNormal priors of s.d. 1e-4 at ``tau``): posterior
    mean and s.d. of the logit fields, the half-against-half Monte Carlo gap as attributes."""
    from pymc_extras.prior import Prior

    problem, option, (y, sd), (obs, sds) = _section(path)
    lik = field.cell_likelihood(y, sd, problem.constants[option])
    prior = field.field_prior(problem.shape, "gmrf", problem.priors, 2)
    eta0 = np.repeat(prior.mean[:, None], prior.n_cells, axis=1)
    whiten = field.whitening_at(lik, prior, np.array(tau), eta0)
    fixed = {
        f"tau_{f}": Prior("LogNormal", mu=float(np.log(t)), sigma=1e-4)
        for f, t in zip(FIELD_NAMES, tau, strict=True)
    }
    model = build_model(
        obs,
        sds,
        problem.constants[option],
        "gmrf",
        problem.priors | fixed,
        field._grid_coords(problem),
        whiten,
    )
    with model:
        pm.Deterministic("eta", whiten[0] + pm.math.dot(whiten[1], model["xi"]))
    tree, wall = _nutpie(model, ["eta"], chains, tune, draws, seed=3)
    e = tree["posterior"]["eta"].values.reshape(chains * draws, 2, *problem.shape)
    mean, sd_ = e.mean(0), e.std(0)
    half = np.abs(e[:draws].mean(0) - e[draws:].mean(0)) / sd_
    out = xr.Dataset(
        {
            "eta": (
                ("field", *problem.dims),
                mean,
                {"long_name": "posterior mean of the logit fields given tau"},
            ),
            "eta_sd": (
                ("field", *problem.dims),
                sd_,
                {"long_name": "posterior s.d. of the logit fields given tau"},
            ),
        },
        coords={"field": list(FIELD_NAMES)},
    )
    out.attrs = {
        "tau_porosity": tau[0],
        "tau_aspect_ratio": tau[1],
        "section": "simulate((15, 40), seed=1)",
        "chains": chains,
        "draws": draws,
        "tune": tune,
        "seed": 3,
        "wall_time_s": round(wall, 1),
        "half_gap_mean": float(half.mean()),
        "half_gap_max": float(half.max()),
        "method": "whitened NUTS (nutpie) with tau fixed (LogNormal priors of s.d. 1e-4), "
        "benchmarks/geofluid_field.py --nuts-fixed",
    }
    return out


def gap(summary: xr.Dataset, reference: xr.Dataset) -> dict[str, tuple[float, float, float]]:
    """Max, 95th percentile and mean over cells of ``|mean - mean_ref| / sd_ref`` per summarised variable."""
    out = {}
    for v in SUMMARISED:
        d = np.abs(summary[v].values - reference[v].values).ravel() / reference[f"{v}_sd"].values.ravel()
        out[v] = (float(d.max()), float(np.quantile(d, 0.95)), float(d.mean()))
    return out


def main(nuts: bool, fixed: bool = False) -> None:
    tmp = Path(tempfile.mkdtemp())
    rows = []
    sections = {
        "ne_japan 30x80": simulate((30, 80), seed=1),
        "ne_japan_smooth 30x80": simulate((30, 80), truth="ne_japan_smooth", seed=1),
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
        if "gmrf" in name or "smooth" in name:
            s = mrf["summary"]
            for f in ("porosity", "aspect_ratio"):
                lo, hi = float(s[f"tau_{f}_q05"]), float(s[f"tau_{f}_q95"])
                label = f"tau_{f} 90% interval" + (" (truth 0.3)" if "gmrf" in name else "")
                rows.append((name, label, f"[{lo:.3f}, {hi:.3f}]"))
    big = tmp / "big.nc"
    simulate((50, 100), seed=7).to_netcdf(big)
    _, t_big = fit(big)
    rows.append(("ne_japan 100x50", "fast path time [s]", t_big))
    if nuts:
        small = tmp / "small.nc"
        simulate((20, 20), truth="prior", tau=(0.3, 0.3), level=(-3.5, -2.2), seed=0).to_netcdf(small)
        fast = {latent: fit(small, method="map", latent=latent) for latent in ("laplace", "ep")}
        ref = nuts_reference(small)
        REFERENCE.parent.mkdir(exist_ok=True)
        ref.to_netcdf(REFERENCE)
        for latent, (tree, _) in fast.items():
            for v, (dmax, d95, dmean) in gap(tree["summary"], ref).items():
                rows.append(
                    (
                        "gmrf-drawn 20x20",
                        f"|{latent} - NUTS| / sd, {v}: max, p95, mean",
                        f"{dmax:.3f}, {d95:.3f}, {dmean:.3f}",
                    )
                )
        for f in ("porosity", "aspect_ratio"):
            means = " / ".join(f"{float(t['summary'][f'tau_{f}']):.3f}" for t, _ in fast.values())
            rows.append(
                (
                    "gmrf-drawn 20x20",
                    f"tau_{f} mean: Laplace / EP / NUTS",
                    f"{means} / {float(ref[f'tau_{f}']):.3f}",
                )
            )
        a = ref.attrs
        times = " / ".join(f"{t:.1f}" for _, t in fast.values())
        rows.append(("gmrf-drawn 20x20", "time Laplace / EP / NUTS [s]", f"{times} / {a['wall_time_s']:.0f}"))
        rows.append(
            (
                "gmrf-drawn 20x20",
                f"NUTS {a['chains']} x {a['draws']}: R-hat max, ESS bulk/tail min, divergences, BFMI min",
                f"{a['rhat_max']:.4f}, {a['ess_bulk_min']:.0f}/{a['ess_tail_min']:.0f}, {a['divergences']}, "
                f"{a['bfmi_min']:.2f}",
            )
        )
    if fixed:
        sharp = tmp / "sharp.nc"
        simulate((15, 40), seed=1).to_netcdf(sharp)
        ref = fixed_tau_reference(sharp)
        ref.to_netcdf(FIXED_TAU_REFERENCE)
        rows.append(
            (
                "ne_japan 15x40",
                "fixed-tau NUTS half-vs-half gap, mean / max",
                f"{ref.attrs['half_gap_mean']:.3f} / {ref.attrs['half_gap_max']:.3f}",
            )
        )
    width = max(len(r[1]) for r in rows)
    for section, what, value in rows:
        value = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{section:<18} {what:<{width}}  {value}")


if __name__ == "__main__":
    main("--nuts" in sys.argv, "--nuts-fixed" in sys.argv)
