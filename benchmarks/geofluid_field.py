"""geofluid.field measured: MRF vs per-cell error and coverage, smoothness coverage, 100 x 50 timing, and
(``--nuts``) the Laplace fast path against whitened NUTS on a 20 x 20 section. Prints one table.

    .venv/bin/python benchmarks/geofluid_field.py [--nuts]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import bayesgeo
from bayesgeo.diagnostics import convergence_report
from bayesgeo.geofluid.field_data import simulate


def fit(path: Path, variant: str = "gmrf", method: str = "auto", draws: int = 200):
    spec = {
        "model": {"case": "geofluid.field", "variant": variant},
        "data": {"cells": str(path)},
        "switches": {"lithology": "spinel_lherzolite", "liquid": "melt"},
        "inference": {"method": method, "seed": 1, "draws": draws, "tune": draws},
    }
    start = time.perf_counter()
    tree = bayesgeo.fit_spec(spec)
    return tree, time.perf_counter() - start


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
        mc, t_mc = fit(small, method="nuts", draws=1000)
        for f in ("porosity", "log10_aspect_ratio"):
            dz = np.abs(lap["summary"][f] - mc["summary"][f]) / mc["summary"][f"{f}_sd"]
            rows.append(
                (
                    "gmrf-drawn 20x20",
                    f"|Laplace - NUTS| / sd, {f}: mean, max",
                    f"{float(dz.mean()):.3f}, {float(dz.max()):.3f}",
                )
            )
        rows.append(("gmrf-drawn 20x20", "time Laplace / NUTS [s]", f"{t_lap:.1f} / {t_mc:.1f}"))
        rows.append(("gmrf-drawn 20x20", "NUTS convergence", str(convergence_report(mc)).splitlines()[0]))
    width = max(len(r[1]) for r in rows)
    for section, what, value in rows:
        value = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{section:<18} {what:<{width}}  {value}")


if __name__ == "__main__":
    main("--nuts" in sys.argv)
