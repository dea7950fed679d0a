"""Figures of the ``geofluid.field`` case: each takes a result tree (and ``axes=None``), returns the axes."""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayesgeo.plots import PALETTE, histogram, new_axes

LABELS = {
    "porosity": ("porosity", "viridis"),
    "log10_aspect_ratio": ("log10 aspect ratio", "cividis"),
    "log10_aspect_ratio_ec": ("log10 aspect ratio (EC)", "cividis"),
}


def _truth(tree: xr.DataTree, name: str) -> xr.DataArray | None:
    if "reference" not in tree.children:
        return None
    ref = tree["reference"].to_dataset()
    base = name.removeprefix("log10_")
    if base not in ref:
        return None
    return ref[base] if base == name else np.log10(ref[base])


def _section(ax, da: xr.DataArray, title: str, cmap: str, label: str, **kw):
    """A (z, x) section with depth downwards, or a profile along x."""
    if da.ndim == 1:
        ax.plot(da[da.dims[0]], da, color=PALETTE[0])
        ax.set_xlabel(_axis_label(da, da.dims[0]))
        ax.set_ylabel(label)
    else:
        z, x = da.dims
        mesh = ax.pcolormesh(da[x], da[z], da.values, cmap=cmap, shading="nearest", **kw)
        ax.invert_yaxis()
        ax.set_xlabel(_axis_label(da, x))
        ax.set_ylabel(_axis_label(da, z))
        ax.figure.colorbar(mesh, ax=ax, shrink=0.85).set_label(label)
    ax.set_title(title, fontsize=10)
    return ax


def _axis_label(da: xr.DataArray, dim: str) -> str:
    units = da[dim].attrs.get("units", "") if dim in da.coords else ""
    return f"{dim} [{units}]" if units else dim


def maps(tree: xr.DataTree, axes=None, fields: tuple[str, ...] = ("porosity", "log10_aspect_ratio")):
    """Rows: porosity and log10 aspect ratio; columns: truth (when known), posterior mean, posterior s.d.

    Truth and mean share one colour scale. A profile (1-D) gets the mean with its 90 % band over the truth.
    """
    s = tree["summary"].to_dataset()
    fields = tuple(f for f in fields if f in s)
    has_truth = _truth(tree, fields[0]) is not None
    one_d = s[fields[0]].ndim == 1
    ncols = 1 if one_d else 2 + has_truth
    axes = new_axes(len(fields), ncols, size=3.4 if one_d else 3.2) if axes is None else np.atleast_2d(axes)
    if one_d:
        axes[0, 0].figure.set_size_inches(8, 2.6 * len(fields))
    variant = tree.attrs.get("variant", "")
    for row, name in zip(axes, fields, strict=True):
        label, cmap = LABELS.get(name, (name, "viridis"))
        mean, truth = s[name], _truth(tree, name)
        if one_d:
            ax = row[0]
            x = mean[mean.dims[0]]
            ax.fill_between(x, s[f"{name}_q05"], s[f"{name}_q95"], color=PALETTE[0], alpha=0.25, label="90 %")
            _section(ax, mean, f"{label}: posterior ({variant})", cmap, label)
            if truth is not None:
                ax.plot(x, truth, color=PALETTE[3], lw=1, label="truth")
            ax.legend(frameon=False, fontsize=8)
            continue
        values = [mean] + ([truth] if truth is not None else [])
        lo = float(min(v.min() for v in values))
        hi = float(max(v.max() for v in values))
        cols = list(row)
        if truth is not None:
            _section(cols.pop(0), truth, f"true {label}", cmap, label, vmin=lo, vmax=hi)
        _section(cols[0], mean, f"posterior mean ({variant})", cmap, label, vmin=lo, vmax=hi)
        _section(cols[1], s[f"{name}_sd"], "posterior s.d.", "magma", label)
    return axes


def data_fit(tree: xr.DataTree, axes=None):
    """Observed against posterior-mean predicted data (km/s; log10 S/m), with the 1:1 line and error bars."""
    obs = tree["observed_data"].to_dataset()
    pred = tree["prediction"].to_dataset()
    names = list(pred.data_vars)
    axes = new_axes(1, len(names), size=3.4) if axes is None else np.atleast_2d(axes)
    for ax, name, color in zip(axes.flat, names, PALETTE, strict=False):
        if name == "log10_conductivity":
            y, err, unit = np.log10(obs["conductivity"]), obs["log10_conductivity_sd"], "log10 S/m"
        else:
            y, err, unit = obs[name], obs[f"{name}_sd"], "km/s"
        p = pred[name]
        ax.errorbar(
            np.ravel(p), np.ravel(y), yerr=np.ravel(err), fmt="o", ms=2, color=color, alpha=0.4, lw=0.5
        )
        lims = [float(min(p.min(), y.min())), float(max(p.max(), y.max()))]
        ax.plot(lims, lims, color="k", lw=1)
        chi = float(np.mean(((y - p) / err) ** 2))
        ax.set_title(f"{DATA_NAMES[name]}: mean squared z-score {chi:.2f}", fontsize=10)
        ax.set_xlabel(f"predicted [{unit}]")
        ax.set_ylabel(f"observed [{unit}]")
    return axes


def smoothness(tree: xr.DataTree, axes=None, truth: dict[str, float] | None = None):
    """Posterior of the smoothness scales ``tau_<field>`` (logit units), with generating values if given."""
    post = tree["posterior"].to_dataset()
    names = [v for v in post.data_vars if v.startswith("tau_")]
    axes = new_axes(1, len(names), size=3.2) if axes is None else np.atleast_2d(axes)
    for ax, name, color in zip(axes.flat, names, PALETTE, strict=False):
        histogram(ax, post[name].values, f"{name} [logit units]", color, (truth or {}).get(name))
    return axes


def comparison(
    trees: dict[str, xr.DataTree], axes=None, fields: tuple[str, ...] = ("porosity", "log10_aspect_ratio")
):
    """Posterior mean against the truth for several fits of one section (e.g. per-cell vs MRF), RMSE in the
    legend; the trees must carry ``/reference``."""
    axes = new_axes(1, len(fields), size=3.6) if axes is None else np.atleast_2d(axes)
    for ax, name in zip(axes.flat, fields, strict=True):
        label = LABELS.get(name, (name,))[0]
        truth = None
        for (key, tree), color in zip(trees.items(), PALETTE, strict=False):
            truth = _truth(tree, name)
            mean = tree["summary"][name]
            rmse = float(np.sqrt(((mean - truth) ** 2).mean()))
            ax.plot(
                np.ravel(truth),
                np.ravel(mean),
                "o",
                ms=2,
                alpha=0.5,
                color=color,
                label=f"{key}: RMSE {rmse:.3g}",
            )
        lims = [float(truth.min()), float(truth.max())]
        ax.plot(lims, lims, color="k", lw=1)
        ax.set_xlabel(f"true {label}")
        ax.set_ylabel(f"posterior mean {label}")
        ax.legend(frameon=False, fontsize=8, markerscale=3)
    return axes


DATA_NAMES = {"vp": "Vp", "vs": "Vs", "log10_conductivity": "log10 σ"}
PREDICTIVE_UNITS = {
    "vp": "Vp [km/s]",
    "vs": "Vs [km/s]",
    "log10_conductivity": "log10 conductivity [log10 S/m]",
}


def _observed(tree: xr.DataTree) -> dict[str, np.ndarray]:
    obs = tree["observed_data"].to_dataset()
    out = {k: np.ravel(obs[k]) for k in ("vp", "vs")}
    if "conductivity" in obs:
        out["log10_conductivity"] = np.ravel(np.log10(obs["conductivity"]))
    return out


def prior_predictive(tree: xr.DataTree, axes=None, n_lines: int = 20):
    """Observed data against data replicated from the prior and from the posterior (``/prior_predictive``,
    ``/posterior_predictive``): the cells in the Vp-Vs plane (km/s), then the distribution of each output
    over the cells as empirical CDFs, one thin line per replicated data set (up to ``n_lines``).

    The prior predictive should cover the data without being much wider than physics allows; the posterior
    predictive should match them.
    """
    obs = _observed(tree)
    reps = {
        "prior predictive": tree["prior_predictive"].to_dataset(),
        "posterior predictive": tree["posterior_predictive"].to_dataset(),
    }
    colors = {"prior predictive": PALETTE[5], "posterior predictive": PALETTE[1], "observed": PALETTE[7]}
    names = list(reps["prior predictive"].data_vars)
    axes = new_axes(1, len(names) + 1, size=3.4) if axes is None else np.atleast_2d(axes)
    ax = axes.flat[0]
    for label, ds in reps.items():
        ax.plot(
            np.ravel(ds["vp"]), np.ravel(ds["vs"]), ".", ms=1, alpha=0.3, color=colors[label], label=label
        )
    ax.plot(obs["vp"], obs["vs"], ".", ms=2, color=colors["observed"], label="observed")
    ax.set(xlabel=PREDICTIVE_UNITS["vp"], ylabel=PREDICTIVE_UNITS["vs"], title="cells in the Vp-Vs plane")
    ax.legend(frameon=False, fontsize=8, markerscale=6, loc="upper left")
    for ax, name in zip(axes.flat[1:], names, strict=False):
        for label, ds in reps.items():
            draws = ds[name].stack(sample=("chain", "draw")).transpose("sample", ...).values
            for k, values in enumerate(draws[:n_lines]):
                _ecdf(ax, values, color=colors[label], lw=0.6, alpha=0.5, label=None if k else label)
        _ecdf(ax, obs[name], color=colors["observed"], lw=1.8, label="observed")
        ax.set(
            xlabel=PREDICTIVE_UNITS[name],
            ylabel="fraction of cells below",
            title=f"{DATA_NAMES[name]} over the cells",
        )
        ax.legend(frameon=False, fontsize=7, loc="upper left")
    return axes


def _ecdf(ax, values: np.ndarray, **kw):
    x = np.sort(np.ravel(values))
    ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", **kw)
