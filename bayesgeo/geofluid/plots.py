"""``geofluid.point`` figures: combination probabilities (the study's Figure 4), probability against the
per-combination posterior parameters, parameter posteriors and posterior predictive checks.

Every function takes result trees and ``ax``/``axes=None`` and returns the axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from bayesgeo.plots import PALETTE, histogram, new_axes

LIQUID_COLOURS = {"aqueous": PALETTE[0], "melt": PALETTE[3]}
LABELS = {"porosity": "porosity φ", "aspect_ratio": "aspect ratio α", "aspect_ratio_ec": "aspect ratio α_EC"}
DATA_LABELS = {"vp": "Vp [km/s]", "vs": "Vs [km/s]", "log10_conductivity": "log10 σ [S/m]"}


def method_label(tree: xr.DataTree) -> str:
    """``method (handling)`` of a result, e.g. ``smc (marginalize)``."""
    return f"{tree.attrs.get('inference_method', '')} ({tree.attrs.get('handling', '')})"


def probability_bars(trees: xr.DataTree | dict[str, xr.DataTree], ax=None, exact: bool = True):
    """Posterior probability of each (lithology, liquid): aqueous block, then melt block, SiO2-ordered.

    ``trees`` is one result or a dict label -> result (e.g. joint and marginalized fits of the same data);
    the quadrature reference of the first is drawn as black outlines when ``exact``.
    """
    trees = {method_label(trees): trees} if isinstance(trees, xr.DataTree) else trees
    first = next(iter(trees.values()))
    models = first["models"].to_dataset()
    liquids = [str(v) for v in models["liquid"].values]
    lithologies = [str(v) for v in models["lithology"].values]
    n = len(lithologies)
    x = np.arange(n * len(liquids))
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.11 * x.size + 1.5), 3.8), layout="constrained")
    width = 0.8 / len(trees)
    for k, (label, tree) in enumerate(trees.items()):
        p = tree["models"]["probability"].transpose("liquid", "lithology").values.ravel()
        ax.bar(x - 0.4 + width * (k + 0.5), p, width, color=PALETTE[(2 * k) % len(PALETTE)], label=label)
    if exact:
        ref = models["probability_exact"].transpose("liquid", "lithology").values.ravel()
        ax.bar(x, ref, 0.9, fill=False, edgecolor="k", lw=0.6, label="exact (quadrature)")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.12)
    for b, liquid in enumerate(liquids):
        if b:
            ax.axvline(b * n - 0.5, color="0.5", lw=0.8)
        ax.text(
            b * n + n / 2 - 0.5,
            ax.get_ylim()[1] * 0.97,
            f"{liquid} (p = {float(models['probability'].sel(liquid=liquid).sum()):.3f})",
            ha="center",
            va="top",
            color=LIQUID_COLOURS.get(liquid, "k"),
        )
    if "reference" in first.children:
        truth = first["reference"].attrs
        k = liquids.index(truth["liquid"]) * n + lithologies.index(truth["lithology"])
        ax.plot(x[k], ax.get_ylim()[1] * 0.88, "v", color="0.3", label="truth")
    ax.set_xticks(x, lithologies * len(liquids), rotation=90, fontsize=8 if n <= 20 else 5)
    ax.set_xlim(-0.7, x[-1] + 0.7)
    ax.set_ylabel("posterior probability")
    ax.set_title("lithology × liquid (lithologies by decreasing SiO₂)", fontsize=10)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def probability_scatter(tree: xr.DataTree, axes=None, n_labels: int = 3):
    """Probability of each combination against its posterior mean φ, α and α_EC (90 % intervals as bars).

    The ``n_labels`` most probable combinations are named; a known truth is drawn as a grey line.
    """
    s = tree["summary"]
    p = tree["models"]["probability"]
    axes = new_axes(1, 3, size=3.4) if axes is None else np.atleast_2d(axes)
    top = np.argsort(p.values.ravel())[::-1][:n_labels]
    for ax, name in zip(axes.flat, LABELS, strict=False):
        mean = s[f"{name}_by_model"]
        lo, hi = s[f"{name}_by_model_q05"], s[f"{name}_by_model_q95"]
        for liquid in p["liquid"].values:
            sel = {"liquid": liquid}
            ax.errorbar(
                mean.sel(sel),
                p.sel(sel),
                xerr=np.clip([mean.sel(sel) - lo.sel(sel), hi.sel(sel) - mean.sel(sel)], 0, None),
                fmt="o",
                ms=3.5,
                lw=0.5,
                alpha=0.8,
                color=LIQUID_COLOURS.get(str(liquid), "k"),
                label=str(liquid),
            )
        for k in top:
            i, j = np.unravel_index(k, p.shape)
            ax.annotate(
                str(p["lithology"].values[i]), (float(mean[i, j]), float(p[i, j])), fontsize=6, rotation=15
            )
        if "reference" in tree.children:
            ax.axvline(float(tree["reference"][name]), color="0.5", lw=1.5, label="truth")
        ax.set(xlabel=LABELS[name], xscale="linear" if name == "porosity" else "log")
    axes.flat[0].set_ylabel("posterior probability")
    axes.flat[0].legend(frameon=False, fontsize=8)
    return axes


def parameters(tree: xr.DataTree, axes=None):
    """Posterior histograms of φ, log10 α and log10 α_EC (all combinations), truth marked when known."""
    post = tree["posterior"]
    truth = tree["reference"] if "reference" in tree.children else None
    axes = new_axes(1, 3, size=3.2) if axes is None else np.atleast_2d(axes)
    for ax, name, colour in zip(axes.flat, LABELS, PALETTE, strict=False):
        log = name != "porosity"
        values = np.log10(post[name].values) if log else post[name].values
        true = None if truth is None else float(truth[name])
        label = f"log10 {LABELS[name]}" if log else LABELS[name]
        histogram(ax, values, label, colour, None if true is None else (np.log10(true) if log else true))
    axes.flat[0].set_title(method_label(tree), fontsize=9, loc="left")
    return axes


def predictive(tree: xr.DataTree, axes=None):
    """Observed Vp, Vs and log10 σ (line, ±1 s.d. band) against the prior predictive (grey, when stored) and
    the posterior predictive distribution (colour)."""
    obs = tree["observed_data"]
    axes = new_axes(1, 3, size=3.2) if axes is None else np.atleast_2d(axes)
    groups = [
        ("prior_predictive", "0.6", "prior predictive"),
        ("posterior_predictive", PALETTE[5], "posterior pred."),
    ]
    for ax, name in zip(axes.flat, DATA_LABELS, strict=False):
        value, sd = float(obs[name]), float(obs[name].attrs["sd"])
        for group, colour, label in groups:
            if group in tree.children:
                draws = tree[group][name].values.ravel()
                ax.hist(draws, bins=60, density=True, color=colour, alpha=0.7, label=label)
        ax.axvspan(value - sd, value + sd, color=PALETTE[1], alpha=0.25)
        ax.axvline(value, color=PALETTE[1], lw=1.2, label="observed ± s.d.")
        ax.set(xlabel=DATA_LABELS[name], ylabel="density", yscale="log")
    axes.flat[0].legend(frameon=False, fontsize=8)
    return axes
