"""Benchmark: empirical-Bayes TV / Student-t denoising against scikit-image TV and BM3D on the same image.

``skimage.data.camera()`` scaled to [0, 1], additive Gaussian noise sigma = 25/255 with a fixed seed. Prints
PSNR (dB; of the posterior mean and of the MAP at the estimated hyperparameters), the estimates, the 90 %
interval coverage of the truth and wall times with ratios to the peers. The clean image is used only to
score. ``bm3d`` (non-commercial licence) is run when installed; the package never imports it.

    .venv/bin/python benchmarks/denoise_tv.py [--size 512] [--threads N] [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from skimage import data, img_as_float
from skimage.restoration import denoise_tv_chambolle
from skimage.transform import resize

from bayesgeo.denoise.proximal import fit_tv
from bayesgeo.denoise.scale_mixture import fit_student_t


def psnr(x: np.ndarray, truth: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((x - truth) ** 2)))


def timed(f, *args, **kwargs):
    t = time.perf_counter()
    out = f(*args, **kwargs)
    return out, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--threads", type=int, default=None, help="numba threads (default: numba's)")
    parser.add_argument("--quick", action="store_true", help="only the known-sigma TV fit and the peers")
    args = parser.parse_args()

    truth = img_as_float(data.camera())
    if args.size != truth.shape[0]:
        truth = resize(truth, (args.size, args.size), anti_aliasing=True)
    sigma = 25 / 255
    y = truth + sigma * np.random.default_rng(0).standard_normal(truth.shape)
    fit_tv(y[:32, :32], sigma, n_iter=5, n_samples=5, n_threads=args.threads)  # compile outside the timings
    fit_student_t(y[:32, :32], sigma, n_iter=5, n_samples=5, n_threads=args.threads)

    print(f"camera {args.size}^2, sigma = 25/255, noisy PSNR {psnr(y, truth):.2f} dB")
    header = (
        f"{'method':44s} {'PSNR mean':>9s} {'PSNR MAP':>9s} {'hyper':>8s} {'sigma*255':>9s} {'cover90':>7s}"
    )
    print(header + f" {'time s':>7s}")
    rows = []
    runs = [("tv, sigma known", fit_tv, {"sigma": sigma})]
    if not args.quick:
        runs += [
            ("tv, sigma by marginal likelihood", fit_tv, {"sigma": None}),
            ("tv, sigma by Haar MAD", fit_tv, {"sigma": "mad"}),
            ("student_t nu=1, sigma known", fit_student_t, {"sigma": sigma, "nu": 1.0}),
            ("student_t nu=0.1, sigma known", fit_student_t, {"sigma": sigma, "nu": 0.1}),
            ("student_t nu=0.1, sigma by marginal likelihood", fit_student_t, {"sigma": None, "nu": 0.1}),
            ("student_t nu=0.1, sigma by Haar MAD", fit_student_t, {"sigma": "mad", "nu": 0.1}),
        ]
    for name, f, kw in runs:
        r, t = timed(f, y, n_threads=args.threads, **kw)
        hyper = "theta" if "theta" in r else "scale"
        cover = np.mean((truth >= r.image_q05.values) & (truth <= r.image_q95.values))
        pmap = f"{psnr(r.image_map.values, truth):9.2f}" if "image_map" in r else f"{'-':>9s}"
        print(
            f"{name:44s} {psnr(r.image.values, truth):9.2f} {pmap} {float(r[hyper]):8.4g} "
            f"{float(r.sigma) * 255:9.2f} {cover:7.3f} {t:7.1f}"
        )
        rows.append((name, t))
        if name == "tv, sigma known":
            weight = float(r.theta) * sigma**2
    t_tv = rows[0][1]

    peers = []
    out, t = timed(denoise_tv_chambolle, y, weight=weight)
    print(
        f"{'skimage TV, weight = bayesgeo theta sigma^2':44s} {psnr(out, truth):9.2f} {'':9s} {weight:8.4g} "
        f"{'':9s} {'':7s} {t:7.2f}"
    )
    peers.append(("skimage denoise_tv_chambolle", t))
    try:
        import bm3d
    except ImportError:
        print("bm3d not installed (pip install bm3d) - skipped")
    else:
        out, t = timed(bm3d.bm3d, y, sigma_psd=sigma)
        print(f"{'bm3d, sigma known':44s} {psnr(out, truth):9.2f} {'':9s} {'':8s} {'':9s} {'':7s} {t:7.1f}")
        peers.append(("bm3d", t))
    print()
    for peer, t in peers:
        print(f"time ratio  bayesgeo tv (sigma known) / {peer}: {t_tv / t:8.1f}")


if __name__ == "__main__":
    main()
