"""Shared plotting helpers: one style (colour-blind-safe), labelled units, axes in and axes out."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

#: Okabe–Ito colour-blind-safe palette
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


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
