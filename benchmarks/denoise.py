"""Benchmark: bayesgeo denoising against its peers on one noisy image, in one run, with time ratios.

The camera (512 x 512, 8-bit grey levels) with white noise sigma = 25 (the built-in ``camera_noisy25``, fixed
seed). bayesgeo runs through ``fit_spec`` exactly as a user would; the clean image is used only to score.
Peers: scikit-image TV (Chambolle) with its weight tuned *on the clean image* (its best case) and at the
weight bayesgeo estimated, BM3D when installed (non-commercial licence, never imported by the package), and a
naive PyMC model that samples every pixel with NUTS (on a 64 x 64 crop: the funnel the exact path removes).

    .venv/bin/python benchmarks/denoise.py [--quick] [--threads N]

Columns: PSNR of the restored image (posterior mean for bayesgeo), PSNR of the MAP where there is one, the
estimated noise s.d., 90 % interval coverage of the truth, and wall time (s).
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
from scipy.optimize import minimize_scalar
from skimage.restoration import denoise_tv_chambolle

import bayesgeo
from bayesgeo.datasets import load_image
from bayesgeo.denoise.case import psnr

SIGMA = 25.0


def timed(f, *args, **kwargs):
    t = time.perf_counter()
    out = f(*args, **kwargs)
    return out, time.perf_counter() - t


def bayesgeo_row(
    name: str, variant: str, truth: np.ndarray, **data
) -> tuple[str, float, float, float, float, float]:
    spec = {
        "model": {"case": "denoise", "variant": variant},
        "data": {"image": "builtin:camera_noisy25", "truth": "builtin:camera", **data},
        "inference": {"method": "exact" if variant in ("gmrf", "gmrf2", "car") else "auto", "seed": 1},
    }
    tree, t = timed(bayesgeo.fit_spec, spec)
    s = tree["summary"]
    cover = float(np.mean((s["image_q05"].values <= truth) & (truth <= s["image_q95"].values)))
    sigma = float(s["sigma"]) if "sigma" in s else float(tree.attrs.get("noise_sigma", np.nan))
    return name, tree.attrs["psnr_db"], tree.attrs.get("psnr_map_db", np.nan), sigma, cover, t


def naive_pymc(y: np.ndarray, truth: np.ndarray, draws: int) -> tuple[str, float, float, float, float, float]:
    """Every pixel and both hyperparameters sampled jointly by NUTS (what the exact path avoids)."""
    import pymc as pm
    import pytensor.tensor as pt

    from bayesgeo.diagnostics import convergence_report
    from bayesgeo.inference import fit
    from bayesgeo.priors import SMOOTHNESS, gmrf_logp
    from bayesgeo.spec import Inference

    with pm.Model() as model:
        sigma = pm.HalfNormal("sigma", 50.0)
        tau = pm.HalfNormal("tau", 50.0)
        x = pm.Flat("x", shape=y.shape)
        pm.Potential("prior", gmrf_logp(x, tau, SMOOTHNESS["gmrf"], xp=pt))
        pm.Normal("y", x, sigma, observed=y)
    tree, t = timed(fit, model, Inference(draws=draws, tune=draws, seed=1))
    mean = tree["posterior"]["x"].mean(("chain", "draw")).values
    q05, q95 = np.quantile(tree["posterior"]["x"].values.reshape(-1, *y.shape), [0.05, 0.95], axis=0)
    cover = float(np.mean((q05 <= truth) & (truth <= q95)))
    report = convergence_report(tree)
    name = f"naive PyMC NUTS, all pixels (R-hat {report.max_rhat:.2f}, ESS {report.min_ess_bulk:.0f})"
    return name, psnr(mean, truth), np.nan, float(tree["posterior"]["sigma"].mean()), cover, t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Gaussian variants, TV and skimage only")
    parser.add_argument("--threads", type=int, default=None, help="numba threads (default: all cores)")
    args = parser.parse_args()
    if args.threads:
        numba.set_num_threads(args.threads)
    truth, y = load_image("camera"), load_image("camera_noisy25")
    small = {"image": "builtin:camera_noisy25"}
    bayesgeo.fit_spec(
        {"model": {"case": "denoise", "variant": "tv"}, "data": small, "inference": {"tune": 5, "draws": 5}}
    )  # compile the numba kernels outside the timings
    print(f"camera 512 x 512, white noise sigma = {SIGMA:g}; noisy PSNR {psnr(y, truth):.2f} dB\n")
    rows = [
        bayesgeo_row("bayesgeo gmrf, sigma inferred (exact)", "gmrf", truth),
        bayesgeo_row("bayesgeo gmrf, sigma known (exact)", "gmrf", truth, noise_sigma=SIGMA),
        bayesgeo_row("bayesgeo gmrf2, sigma inferred (exact)", "gmrf2", truth),
        bayesgeo_row("bayesgeo tv, sigma = MAD (SAPG + MYULA)", "tv", truth, noise_sigma="mad"),
    ]
    if not args.quick:
        rows += [
            bayesgeo_row("bayesgeo tv, sigma known", "tv", truth, noise_sigma=SIGMA),
            bayesgeo_row(
                "bayesgeo student_t, sigma = MAD (SAPG + Gibbs)", "student_t", truth, noise_sigma="mad"
            ),
        ]
    tuned = minimize_scalar(
        lambda w: -psnr(denoise_tv_chambolle(y, weight=w, max_num_iter=300), truth),
        bounds=(1.0, 60.0),
        method="bounded",
        options={"xatol": 0.05},
    )
    out, t_tv = timed(denoise_tv_chambolle, y, weight=tuned.x, max_num_iter=300)
    rows.append(
        (
            f"skimage TV, weight {tuned.x:.1f} tuned on the clean image",
            psnr(out, truth),
            np.nan,
            np.nan,
            np.nan,
            t_tv,
        )
    )
    peers = {"skimage denoise_tv_chambolle": t_tv}
    if not args.quick:
        try:
            import bm3d
        except ImportError:
            print("bm3d not installed (make bench installs it) - skipped")
        else:
            out, t = timed(bm3d.bm3d, y / 255.0, sigma_psd=SIGMA / 255.0)
            rows.append(("bm3d, sigma known", psnr(out * 255.0, truth), np.nan, SIGMA, np.nan, t))
            peers["bm3d"] = t
        crop = (slice(200, 264), slice(200, 264))
        rows.append(naive_pymc(y[crop], truth[crop], draws=500))
    print(f"{'method':62s} {'PSNR':>6s} {'MAP':>6s} {'sigma':>6s} {'cov90':>6s} {'time s':>7s}")
    for name, p, pmap, s, cover, t in rows:
        print(f"{name:62s} {p:6.2f} {pmap:6.2f} {s:6.2f} {cover:6.3f} {t:7.2f}")
    print()
    times = {r[0]: r[5] for r in rows}
    for ours in ("bayesgeo gmrf, sigma inferred (exact)", "bayesgeo tv, sigma = MAD (SAPG + MYULA)"):
        for peer, t in peers.items():
            print(f"time ratio  {ours} / {peer}: {times[ours] / t:8.1f}")
    print("\n(the naive PyMC row is on a 64 x 64 crop; its PSNR is over that crop only)")


if __name__ == "__main__":
    main()
