"""The Python side of the public contract: ``fit_spec`` (and ``compare``), mapping specs onto case studies."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from bayesgeo.io import provenance
from bayesgeo.spec import get_case, load_spec


def fit_spec(spec: str | Path | dict, **overrides: Any) -> xr.DataTree:
    """Fit the model a TOML spec (path or dict of the same shape) describes; returns the result tree.

    ``overrides`` use dotted keys, e.g. ``fit_spec("m.toml", **{"inference.draws": 200})``. The tree holds
    ``/posterior``, ``/summary`` (mean, ``_sd``, ``_q05``, ``_q95`` of every inferred variable and
    ``p_<switch>``
    for every switch) and the root attributes ``bayesgeo_version``, ``spec``, ``seed``, ``wall_time_s``.
    Bad input raises :class:`bayesgeo.errors.SpecError` before any work is done.
    """
    s = load_spec(spec, overrides)
    case = get_case(s.case)
    problem = case.prepare(s)
    start = time.perf_counter()
    tree = case.fit(problem, s.inference)
    tree.attrs.update(provenance())
    tree.attrs.update(spec=s.text, seed=s.inference.seed, wall_time_s=round(time.perf_counter() - start, 3))
    return tree


def compare(specs: list[str | Path | dict], **overrides: Any):
    """Fit several specs on the same data and rank them; returns a ``pandas.DataFrame``.

    Exact log evidence is used when every result carries one (Gaussian models whose hyperparameters were
    integrated by quadrature, all with the same null space); the table's ``attrs["method"]`` says which score
    was used. Otherwise there is no common score and a ``SpecError`` says why.
    """
    import numpy as np
    import pandas as pd

    from bayesgeo.errors import SpecError

    trees = [fit_spec(s, **overrides) for s in specs]
    names = [Path(s).stem if not isinstance(s, dict) else f"spec{i}" for i, s in enumerate(specs)]
    ev = np.array([float(t.attrs.get("log_evidence", np.nan)) for t in trees])
    if np.all(np.isfinite(ev)):
        table = pd.DataFrame(
            {"variant": [t.attrs.get("variant") for t in trees], "log_evidence": ev},
            index=pd.Index(names, name="spec"),
        )
        table["delta"] = table["log_evidence"] - table["log_evidence"].max()
        table["probability"] = np.exp(table["delta"]) / np.exp(table["delta"]).sum()
        table = table.sort_values("log_evidence", ascending=False)
        table.attrs["method"] = (
            "exact log evidence (hyperparameters integrated by quadrature; equal prior odds)"
        )
        return table
    missing = [n for n, e in zip(names, ev, strict=True) if not np.isfinite(e)]
    raise SpecError(
        "compare",
        f"no common score: {', '.join(missing)} carry no exact evidence; use "
        "inference.method = 'exact' with Gaussian variants",
    )


def calibrate(
    spec: str | Path | dict, n: int = 100, n_ranks: int = 99, progress: bool = False, **overrides: Any
) -> xr.Dataset:
    """Simulation-based calibration of a spec's model: ranks of prior-drawn truths among posterior draws.

    Uses the spec's data shape, priors and inference settings; the case must provide ``simulate_prior``.
    Returns ranks per hyperparameter on dim ``replication`` (see :mod:`bayesgeo.calibration`).
    """
    from bayesgeo.calibration import sbc
    from bayesgeo.errors import SpecError

    s = load_spec(spec, overrides)
    case = get_case(s.case)
    if not hasattr(case, "simulate_prior"):
        raise SpecError("model.case", f"case {s.case!r} does not support simulation-based calibration yet")
    problem = case.prepare(s)
    settings = s.inference
    _, truth0 = case.simulate_prior(problem, np.random.default_rng(0))
    params = sorted(truth0)

    def refit(data, seed):
        return case.fit(data, replace(settings, seed=seed))["posterior"].to_dataset()

    return sbc(
        lambda rng: case.simulate_prior(problem, rng), refit, params, n, n_ranks, settings.seed, progress
    )
