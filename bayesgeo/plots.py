"""Shared plotting helpers: one style (colour-blind-safe), labelled units, axes in and axes out."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

#: Okabe–Ito colour-blind-safe palette
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def use_style() -> None:
    """Make the package style matplotlib's default: Okabe-Ito colours for ``C0``, ``C1``, ... (the CLI and the
    notebooks call this; figures drawn by bayesgeo pick their colours from :data:`PALETTE` anyway)."""
    from cycler import cycler

    plt.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)


def new_axes(nrows: int = 1, ncols: int = 1, size: float = 3.6, **kw) -> np.ndarray:
    """A grid of axes (always a 2-D array) with the package style."""
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False, layout="constrained", **kw
    )
    return axes


def show_image(ax, data, title: str = "", cmap: str = "gray", units: str = "", **kw):
    """``imshow`` with a colour bar labelled in ``units`` and no ticks."""
    im = ax.imshow(np.asarray(data), cmap=cmap, interpolation="nearest", **kw)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    cb = ax.figure.colorbar(im, ax=ax, shrink=0.8)
    if units:
        cb.set_label(units)
    return ax


def histogram(ax, values, label: str = "", color: str = PALETTE[0], truth: float | None = None):
    """Posterior histogram of a scalar with an optional true value marked."""
    ax.hist(np.ravel(values), bins=40, color=color, alpha=0.8, density=True)
    ax.set_xlabel(label)
    ax.set_yticks([])
    if truth is not None:
        ax.axvline(truth, color=PALETTE[3], lw=2, label="truth")
        ax.legend(frameon=False)
    return ax


#: short plot titles of the scores of :func:`bayesgeo.api.compare`
SCORE_TITLES = {
    "evidence": "exact log evidence",
    "heldout": "held-out predictive score",
    "loo": "PSIS-LOO predictive score",
}


def plot_compare(table, ax=None):
    """A model comparison table (:func:`bayesgeo.api.compare`) as a dot plot, best on top; returns the axes.

    Predictive scores: each spec's ``elpd`` (nats) with ``± se`` bars and, below it for all but the best,
    ``± delta_se`` (the standard error of its difference to the best, which is what decides a ranking); the
    dashed line marks the best. Exact evidence: ``log_evidence`` (nats) labelled with the probability of each
    spec (equal prior odds). The title names the score and, for PSIS-LOO, unreliable points (high Pareto k).
    With ``ax=None`` a figure is made, with the legend below the axes.
    """
    score = "elpd" if "elpd" in table else "log_evidence"
    table = table.sort_values(score, ascending=False)
    own = ax is None
    if own:
        _, ax = plt.subplots(figsize=(6.4, 1.6 + 0.45 * len(table)), layout="constrained")
    x, y = table[score].to_numpy(), np.arange(len(table))[::-1]
    if score == "elpd":
        ax.errorbar(x, y, xerr=table["se"], fmt="o", color=PALETTE[0], capsize=3, label="elpd ± se")
        ax.errorbar(
            x[1:], y[1:] - 0.25, xerr=table["delta_se"].to_numpy()[1:], fmt="^", ms=5, color=PALETTE[1],
            capsize=3, label="± se of the difference to the best",
        )  # fmt: skip
        ax.axvline(x[0], color=PALETTE[7], lw=0.8, ls="--")
        legend = ax.figure.legend if own else ax.legend
        legend(frameon=False, fontsize=8, ncols=2, **({"loc": "outside lower center"} if own else {}))
    else:
        ax.plot(x, y, "o", color=PALETTE[0])
        for xi, yi, p in zip(x, y, table["probability"], strict=True):
            text = f"p = {p:.3f}" if p >= 5e-4 else "p < 0.001"
            ax.annotate(text, (xi, yi), xytext=(0, 7), textcoords="offset points", ha="center")
        ax.margins(x=0.12)
    ax.set_yticks(y, table.index)
    ax.set_ylim(y.min() - 0.6, y.max() + 0.6)
    ax.ticklabel_format(axis="x", useOffset=False, style="plain")
    ax.xaxis.set_major_locator(plt.MaxNLocator(5))  # room for long labels such as -1256000
    ax.set_xlabel(f"{'elpd' if score == 'elpd' else 'log evidence'} (nats; higher is better)")
    title = SCORE_TITLES.get(table.attrs.get("score"), "model comparison")
    high = int(table["n_high_k"].sum()) if "n_high_k" in table else 0
    if high:
        title += f" ({high} point{'s' if high > 1 else ''} with high Pareto k: unreliable)"
    ax.set_title(title, fontsize=10)
    return ax
