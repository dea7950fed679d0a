"""Denoising figures: image panels and hyperparameter posteriors. Functions take the result tree."""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayesgeo.plots import PALETTE, histogram, new_axes, show_image


def panels(tree: xr.DataTree, axes=None):
    """Noisy / posterior mean / posterior s.d., plus truth and absolute error when a reference is known.

    The s.d. and error panels share one colour scale, so calibration can be judged by eye.
    """
    s = tree["summary"]
    noisy = tree["observed_data"]["image"].values
    truth = tree["reference"]["image"].values if "reference" in tree.children else None
    n = 5 if truth is not None else 3
    axes = new_axes(1, n, size=3.3) if axes is None else np.atleast_2d(axes)
    ax = axes.flat
    lo, hi = np.percentile(noisy, [0.5, 99.5]) if truth is None else (truth.min(), truth.max())
    psnr = tree.attrs.get("psnr_db")
    noisy_t = "noisy" + (f"  {tree.attrs['psnr_noisy_db']:.2f} dB" if psnr is not None else "")
    mean_t = f"posterior mean ({tree.attrs.get('variant', '')})" + (f"  {psnr:.2f} dB" if psnr else "")
    units = s["image"].attrs.get("units", "")
    sd = s["image_sd"].values
    show_image(ax[0], noisy, noisy_t, vmin=lo, vmax=hi, units=units)
    show_image(ax[1], s["image"].values, mean_t, vmin=lo, vmax=hi, units=units)
    if truth is None:
        show_image(ax[2], sd, "posterior s.d.", cmap="magma", units=units)
        return axes
    err = np.abs(s["image"].values - truth)
    top = np.percentile(np.concatenate([err.ravel(), sd.ravel()]), 99)
    show_image(ax[2], truth, "truth", vmin=lo, vmax=hi, units=units)
    show_image(ax[3], err, "|mean - truth|", cmap="magma", vmin=0, vmax=top, units=units)
    show_image(ax[4], sd, "posterior s.d.", cmap="magma", vmin=0, vmax=top, units=units)
    return axes


def hyperparameters(tree: xr.DataTree, axes=None, truth: dict | None = None):
    """Histograms of the hyperparameter draws (sigma, tau, and kappa for the CAR)."""
    post = tree["posterior"]
    names = [v for v in ("sigma", "tau", "kappa", "theta", "scale") if v in post.data_vars]
    axes = new_axes(1, len(names), size=3.0) if axes is None else np.atleast_2d(axes)
    for ax, name, color in zip(axes.flat, names, PALETTE, strict=False):
        da = post[name]
        label = f"{name} [{da.attrs['units']}]" if da.attrs.get("units") else name
        histogram(ax, da.values, label, color, (truth or {}).get(name))
    return axes


def sapg_traces(tree: xr.DataTree, axes=None):
    """SAPG iterates of the hyperparameters: they should settle before the posterior sweeps begin."""
    traces = tree["sapg"]
    names = list(traces.data_vars)
    axes = new_axes(1, len(names), size=3.0) if axes is None else np.atleast_2d(axes)
    for ax, name, color in zip(axes.flat, names, PALETTE, strict=False):
        da = traces[name]
        ax.plot(da.values if da.ndim == 1 else da.values[:, -1], color=color)
        ax.set(xlabel="SAPG iteration", title=name.removesuffix("_trace"))
    return axes


def predictive_check(tree: xr.DataTree, axes=None):
    """Neighbour differences of the data against prior and posterior predictive replicates (log density),
    and the kurtosis of the replicates with the posterior predictive p-value."""
    pc = tree["predictive_check"]
    axes = new_axes(1, 2, size=3.6) if axes is None else np.atleast_2d(axes)
    ax, bx = axes.flat
    d = pc["bin"].values
    floor = 0.5 / (pc["bin"].size * float(pc["observed_density"].sum()) * (d[1] - d[0]) * 1e4)

    def curves(name, color, label):
        for i, row in enumerate(pc[name].values):
            ax.plot(
                d, np.maximum(row, floor), color=color, lw=0.8, alpha=0.5, label=label if i == 0 else None
            )

    if "prior_density" in pc:
        curves("prior_density", "0.6", "prior predictive")
    curves("posterior_density", PALETTE[0], "posterior predictive")
    ax.plot(d, np.maximum(pc["observed_density"].values, floor), color="black", lw=1.8, label="data")
    units = pc["bin"].attrs.get("units", "")
    ax.set(
        yscale="log",
        ylim=(floor * 3, None),
        xlabel=f"neighbour difference [{units}]" if units else "neighbour difference",
        ylabel="density",
        title="neighbour differences",
    )
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    k = pc["posterior_kurtosis"].values
    bx.hist(k, bins=12, color=PALETTE[0], alpha=0.8, label="posterior predictive")
    bx.axvline(float(pc["observed_kurtosis"]), color="black", lw=1.8, label="data")
    bx.set(
        xlabel="excess kurtosis of the differences",
        yticks=[],
        title=f"tails: p = {pc.attrs['p_value_kurtosis']:.2f}",
    )
    bx.legend(frameon=False, fontsize=8, loc="upper center")
    return axes
