"""drift.source: calibration over seeded synthetic scenarios, the sampling routes, the two tiers, and cost.

1. Calibration (exact quadrature, the default): scenarios drawn from the priors of
   ``models/synthetic_source.toml`` (source by prior weight, eruption time, drift, diffusivity), sightings
   simulated with the drift simulator, refitted; prints each scenario, the rate at which the true source is
   the most probable, and the coverage of the 90 % eruption-time interval.
2. Routes: the first scenarios refitted with NUTS (nutpie) and SMC on the marginalized PyMC model; prints the
   largest error in source probability against the quadrature, coverage and time.
3. Tiers on the 2021 Fukutoku-Oka-no-Ba sightings: tier 1 (exact, NUTS) and tier 2 (simulated ensembles) on
   a uniform field with tier 1's drift and on the idealised north-west Pacific field; prints the estimates,
   wall time and simulated particle-steps.

Usage: ``NUMBA_NUM_THREADS=1 python benchmarks/drift_source.py [--quick]`` (about 5 minutes on a busy
2-core machine; --quick: about 2).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from bayesgeo import fit_spec
from bayesgeo.drift import uniform_flow
from bayesgeo.drift.inverse.recovery import recovery_scores, recovery_table

MODELS = Path(__file__).resolve().parents[1] / "models"
SYNTHETIC, FOB = MODELS / "synthetic_source.toml", MODELS / "fob2021_source.toml"
FOB_ENSEMBLE = MODELS / "fob2021_source_ensemble.toml"
ROUTES = {"NUTS (nutpie)": {"inference.method": "nuts"}, "SMC": {"inference.method": "smc"}}


def calibration(n: int, n_routes: int) -> None:
    print(f"== 1. calibration: {n} seeded synthetic scenarios, exact quadrature")
    table = recovery_table(SYNTHETIC, n_cases=n, seed=0)
    print(table.round(3).to_string())
    s = recovery_scores(table)
    print(
        f"true source most probable in {s['top_rate']:.0%} of {s['n']} (required >= 90 %); 90 % eruption "
        f"time interval covers the truth in {s['coverage_90']:.0%} (required 80-97 %); mean p(true source) "
        f"{s['mean_p_true']:.3f}; {s['mean_time_s']:.2f} s per fit"
    )
    print(f"\n== 2. routes on the first {n_routes} scenarios (same truths)")
    rows = []
    for name, overrides in ROUTES.items():
        t = recovery_table(SYNTHETIC, n_cases=n_routes, seed=0, overrides=overrides)
        ref = table.iloc[:n_routes]
        rows.append(
            {
                "route": name,
                "max |p_true - exact|": float((t["p_true"] - ref["p_true"]).abs().max()),
                "top rate": float(t["top"].mean()),
                "coverage_90": float(t["covers"].mean()),
                "s per fit": float(t["time_s"].mean()),
            }
        )
    print(pd.DataFrame(rows).round(4).to_string(index=False))


def _fob(label: str, spec: Path = FOB, **overrides) -> dict:
    start = time.perf_counter()
    tree = fit_spec(spec, **overrides)
    s = tree["summary"]
    p = s["p_source"]
    row = {
        "fit": label,
        "top source": str(p.source.values[int(p.argmax("source"))]),
        "p_top": float(p.max()),
        **{k: float(s[k]) for k in ("eruption_time", "eruption_time_q05", "eruption_time_q95", "u", "v")},
        "Kh": float(s["diffusivity"]),
        "wall_s": time.perf_counter() - start,
        "inference_s": float(tree.attrs["wall_time_s"]),
        "particle_steps": int(tree.attrs.get("ensemble_particle_steps", 0)),
        "predictive_steps": int(tree.attrs["predictive_particle_steps"]),
    }
    return row


def tiers(quick: bool) -> None:
    print("\n== 3. the 2021 Fukutoku-Oka-no-Ba raft (sightings to 7 Sep; reference time 2021-08-13T00:00Z)")
    rows = [_fob("tier 1, exact"), _fob("tier 1, NUTS", **{"inference.method": "nuts"})]
    kernel = rows[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "uniform.nc"
        uniform_flow(kernel["u"], kernel["v"], bounds=(120.0, 150.0, 15.0, 40.0)).to_netcdf(path)
        rows.append(_fob("tier 2, uniform field", FOB_ENSEMBLE, **{"data.field": str(path)}))
    if not quick:
        rows.append(_fob("tier 2, NW Pacific field", FOB_ENSEMBLE))
    print(pd.DataFrame(rows).round(4).to_string(index=False))
    print(
        "eruption_time in days from the reference time (the eruption began ~21:00 UTC on 12 Aug = -0.125 d); "
        "u, v in m/s (tier 2: mean velocity of the raft centre to the last sighting); Kh in m2/s"
    )


def main(quick: bool) -> None:
    warnings.filterwarnings("ignore")
    logging.getLogger("pymc").setLevel(logging.ERROR)
    pd.set_option("display.width", 200)
    calibration(*((20, 4) if quick else (40, 10)))
    tiers(quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer scenarios, no NW Pacific tier-2 run")
    main(parser.parse_args().quick)
