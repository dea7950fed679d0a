"""geofluid.point synthetic recovery and the three inference routes, in one run.

1. Recovery (exact quadrature, the default method): seeded truths drawn from the priors at the Naruko P-T,
   varied noise, for the nine contrasting lithologies of ``models/synthetic_point.toml`` and for all
   lithologies; prints each case and the headline rates (true combination in the top 3 where the data can
   distinguish it, liquid right, 90 % porosity-interval coverage).
2. Routes: the first cases refitted with SMC on the marginalized model, NUTS (nutpie) on the same model and
   SMC with the switch sampled jointly; prints each route's largest error in combination probability against
   the quadrature, worst R-hat / bulk ESS, missed plausible combinations and wall time.

Usage: ``python benchmarks/geofluid_recovery.py [--quick]`` (about 10 minutes on 2 cores; --quick: 2).
"""

from __future__ import annotations

import argparse
import logging
import warnings
from pathlib import Path

import pandas as pd

from bayesgeo.geofluid.recovery import DISTINGUISHABLE, recovery_scores, recovery_table

SYNTHETIC = Path(__file__).resolve().parents[1] / "models" / "synthetic_point.toml"
COLUMNS = ["lithology", "liquid", "porosity", "vp_sd", "rank", "top3_mass_exact", "p_liquid_true", "covers"]
ROUTES = {
    "SMC, marginalized": {"inference.method": "smc"},
    "NUTS, marginalized": {"inference.method": "nuts"},
    "SMC, joint (index sampled)": {"inference.method": "smc", "switches.handling": "sample"},
}


def main(quick: bool) -> None:
    warnings.filterwarnings("ignore")
    logging.getLogger("pymc").setLevel(logging.ERROR)
    pd.set_option("display.width", 160)
    n, n_all, n_routes = (12, 8, 2) if quick else (60, 24, 8)
    print(f"== recovery, 9 contrasting lithologies x 2 liquids, {n} cases (exact quadrature)")
    table = recovery_table(SYNTHETIC, n_cases=n, seed=0)
    print(table[COLUMNS].round(3).to_string())
    _print_scores(table)
    print(f"\n== recovery, all lithologies x 2 liquids, {n_all} cases (exact quadrature)")
    wide = recovery_table(SYNTHETIC, n_cases=n_all, seed=0, overrides={"switches.lithology": "all"})
    _print_scores(wide)
    print(f"\n== routes against the quadrature, first {n_routes} cases of the 9-lithology study")
    rows = []
    for route, overrides in ROUTES.items():
        t = recovery_table(SYNTHETIC, n_cases=n_routes, seed=0, overrides=overrides)
        for k, r in t.iterrows():
            rows.append(
                {"route": route, "case": k, **r[["max_abs_error", "rhat", "ess", "time_s"]].to_dict()}
            )
            rows[-1] |= {
                "missed": r.get("missed", 0),
                "indicator_rhat": r.get("indicator_rhat", float("nan")),
            }
    routes = pd.DataFrame(rows)
    print(routes.round(3).to_string(index=False))
    print("\nper route: median and worst error, share of cases within 0.02, median time")
    grouped = routes.groupby("route", sort=False)
    print(
        pd.DataFrame(
            {
                "median_error": grouped["max_abs_error"].median(),
                "worst_error": grouped["max_abs_error"].max(),
                "within_0.02": grouped["max_abs_error"].apply(lambda e: (e <= 0.02).mean()),
                "worst_rhat": grouped["rhat"].max(),
                "median_time_s": grouped["time_s"].median(),
            }
        )
        .round(3)
        .to_string()
    )


def _print_scores(table: pd.DataFrame) -> None:
    s = recovery_scores(table)
    print(
        f"cases {s['cases']}, distinguishable (exact top-3 mass >= {DISTINGUISHABLE}): "
        f"{s['distinguishable']}\n"
        f"true combination in top 3: {s['top3_distinguishable']:.2f} of distinguishable cases, "
        f"{s['top3_all']:.2f} of all (calibration predicts {table['top3_mass_exact'].mean():.2f})\n"
        f"liquid right (p > 0.5): {s['liquid_right']:.2f} "
        f"(mean p of the true liquid {table['p_liquid_true'].mean():.2f})\n"
        f"90 % porosity intervals cover the truth: {s['porosity_coverage_90']:.2f}\n"
        f"median time per case {table['time_s'].median():.1f} s"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer cases")
    main(parser.parse_args().quick)
