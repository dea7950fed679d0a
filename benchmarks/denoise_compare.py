"""Comparing denoising priors on the camera: held-out pixel score, exact evidence and PSNR, in one run.

The four camera specs of the model zoo (``gmrf``, ``gmrf2``, ``tv``, ``student_t``; 512 x 512, noise
sigma = 25) are ranked by ``bayesgeo.compare`` with the held-out pixel predictive score (5 % of the pixels by
default), the two Gaussian ones also by exact evidence, and all four by the PSNR of their full-data posterior
mean against the clean image (which the scores never see). Times are wall-clock seconds; the held-out
differences in the four-spec table are to the best spec, and the Gaussian pair is also compared directly.

    NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/denoise_compare.py [--holdout 0.05] [--holdout-seed 0]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import bayesgeo
from bayesgeo.api import compare

MODELS = Path(__file__).resolve().parents[1] / "models"
SPECS = [MODELS / f"camera_{v}.toml" for v in ("gmrf", "gmrf2", "tv", "student_t")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holdout", type=float, default=0.05)
    parser.add_argument("--holdout-seed", type=int, default=0)
    args = parser.parse_args()
    bayesgeo.fit_spec(SPECS[2], **{"inference.tune": 5, "inference.draws": 5})  # compile numba kernels

    table = compare(SPECS, score="heldout", holdout=args.holdout, holdout_seed=args.holdout_seed)
    n = round(table["elpd"].iloc[0] / table["elpd_point"].iloc[0])
    print(f"held-out score, {n} pixels; per pixel (nats), differences to the best in total nats")
    head = ("spec", "elpd/pixel", "se", "delta", "se", "time s")
    print("{:18s} {:>11s} {:>7s} {:>9s} {:>7s} {:>7s}  hyperparameters".format(*head))
    for name, r in table.iterrows():
        print(
            f"{name:18s} {r.elpd_point:11.4f} {r.se_point:7.4f} {r.delta:9.1f} {r.delta_se:7.1f} "
            f"{r.time_s:7.1f}  {r.hyperparameters}"
        )

    evidence = compare(SPECS[:2], score="evidence")
    print("\nexact evidence:", ", ".join(f"{k} {v:.1f}" for k, v in evidence["log_evidence"].items()))
    pair = compare(SPECS[:2], score="heldout", holdout=args.holdout, holdout_seed=args.holdout_seed)
    print(
        f"held-out, Gaussian pair: {pair.index[1]} - {pair.index[0]} = {pair['delta'].iloc[1]:.1f} "
        f"± {pair['delta_se'].iloc[1]:.1f} nats"
    )

    print("\nfull-data fits: PSNR of the posterior mean (MAP where there is one)")
    psnr = {}
    for spec in SPECS:
        start = time.perf_counter()
        tree = bayesgeo.fit_spec(spec)
        psnr[spec.stem] = tree.attrs["psnr_db"]
        extra = f" (MAP {tree.attrs['psnr_map_db']:.2f} dB)" if "psnr_map_db" in tree.attrs else ""
        print(f"{spec.stem:18s} {psnr[spec.stem]:6.2f} dB{extra}  {time.perf_counter() - start:6.1f} s")
    by_score, by_psnr = list(table.index), sorted(psnr, key=psnr.get, reverse=True)
    print(f"\nranking by held-out score: {by_score}\nranking by PSNR:           {by_psnr}")
    print(f"rankings agree: {by_score == by_psnr}")


if __name__ == "__main__":
    main()
