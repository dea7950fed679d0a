"""Posterior summaries for the ``/summary`` group and a convergence report in plain words."""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import numpy as np
import xarray as xr

SAMPLE_DIMS = ("chain", "draw")
QUANTILES = (0.05, 0.95)


def summarize(posterior: xr.Dataset, var_names: list[str] | None = None) -> xr.Dataset:
    """Mean, s.d. and 5 %/95 % quantiles of each variable over ``(chain, draw)``, on the variable's own dims.

    Returns variables ``<var>``, ``<var>_sd``, ``<var>_q05``, ``<var>_q95`` (the ``/summary`` contract);
    ``units`` and ``long_name`` attributes are carried over.
    """
    out = {}
    for name in var_names or list(posterior.data_vars):
        da = posterior[name]
        dims = [d for d in SAMPLE_DIMS if d in da.dims]
        q = da.quantile(list(QUANTILES), dim=dims).drop_vars("quantile")
        out[name] = da.mean(dims).assign_attrs(da.attrs)
        out[f"{name}_sd"] = da.std(dims).assign_attrs(units=da.attrs.get("units", ""))
        out[f"{name}_q05"] = q.isel(quantile=0).assign_attrs(units=da.attrs.get("units", ""))
        out[f"{name}_q95"] = q.isel(quantile=1).assign_attrs(units=da.attrs.get("units", ""))
    return xr.Dataset(out)


def gaussian_summary(name: str, mean: xr.DataArray, sd: xr.DataArray) -> xr.Dataset:
    """Summary variables for a field whose posterior is (close to) Gaussian with known mean and s.d."""
    z = 1.6448536269514722  # standard normal 95 % quantile
    attrs = {"units": mean.attrs.get("units", "")}
    return xr.Dataset(
        {
            name: mean,
            f"{name}_sd": sd.assign_attrs(attrs),
            f"{name}_q05": (mean - z * sd).assign_attrs(attrs),
            f"{name}_q95": (mean + z * sd).assign_attrs(attrs),
        }
    )


def switch_probabilities(switch: str, options: list[str], probs) -> xr.DataArray:
    """``p_<switch>`` on a dim named after the switch with the option names as labels."""
    p = np.asarray(probs, dtype=float)
    p = np.clip(p, 0, None)
    return xr.DataArray(
        p / p.sum(),
        dims=[switch],
        coords={switch: list(options)},
        name=f"p_{switch}",
        attrs={"long_name": f"posterior probability of each {switch}"},
    )


@dataclass(frozen=True)
class Convergence:
    """Worst-case convergence numbers over all scalar posterior quantities and plain-word warnings."""

    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    n_draws: int
    min_bfmi: float
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.warnings

    def __str__(self) -> str:
        if not np.isfinite(self.max_rhat) and not self.warnings:
            return "independent draws (no Markov chain to diagnose)"
        head = (
            f"R-hat max {self.max_rhat:.3f}, ESS bulk min {self.min_ess_bulk:.0f}, "
            f"ESS tail min {self.min_ess_tail:.0f}, divergences {self.divergences}/{self.n_draws}"
        )
        if np.isfinite(self.min_bfmi):
            head += f", BFMI min {self.min_bfmi:.2f}"
        return "\n".join([head, *(f"warning: {w}" for w in self.warnings)])


def convergence_report(tree: xr.DataTree, rhat_max: float = 1.01, ess_min: float = 400) -> Convergence:
    """R-hat, bulk/tail ESS, divergences and BFMI of a sampled result, with warnings that explain them.

    Results without a Markov chain (exact, MAP or approximate independent draws, i.e. no ``/sample_stats``)
    get NaN R-hat and no warnings about mixing.
    """
    post = tree["posterior"].to_dataset()
    n_chain = post.sizes.get("chain", 1)
    n_draws = n_chain * post.sizes.get("draw", 1)
    warnings = []
    rhat = ess_b = ess_t = np.nan
    sampled = "sample_stats" in tree.children
    if sampled and post.data_vars and n_chain >= 2 and post.sizes.get("draw", 1) >= 4:
        rhat = _worst(az.rhat(post), np.nanmax)
        ess_b = _worst(az.ess(post, method="bulk"), np.nanmin)
        ess_t = _worst(az.ess(post, method="tail"), np.nanmin)
        if rhat > rhat_max:
            warnings.append(
                f"R-hat is {rhat:.3f} (> {rhat_max}): the chains disagree, so they have not yet "
                "explored the same distribution; run longer or reparameterise."
            )
        if ess_b < ess_min or ess_t < ess_min:
            warnings.append(
                f"effective sample size is only {min(ess_b, ess_t):.0f} (< {ess_min:.0f}): "
                "means and especially 5 %/95 % quantiles are noisy; draw more."
            )
    div = 0
    bfmi = np.nan
    if "sample_stats" in tree.children:
        stats = tree["sample_stats"].to_dataset()
        if "diverging" in stats:
            div = int(stats["diverging"].sum())
        if div:
            warnings.append(
                f"{div} divergent transitions: the sampler hit regions of high curvature and "
                "may be missing part of the posterior; the results can be biased."
            )
        if "energy" in stats and stats["energy"].sizes.get("draw", 0) > 2:
            bfmi = float(np.min(np.atleast_1d(az.bfmi(stats["energy"].values))))
            if bfmi < 0.3:
                warnings.append(
                    f"BFMI is {bfmi:.2f} (< 0.3): the momentum resampling explores the energy "
                    "poorly, typical of heavy tails or funnels; reparameterise."
                )
    return Convergence(rhat, ess_b, ess_t, div, n_draws, bfmi, tuple(warnings))


def _worst(ds: xr.Dataset, fn) -> float:
    vals = [np.ravel(v.values) for v in ds.data_vars.values()]
    return float(fn(np.concatenate(vals))) if vals else np.nan
