"""``fit()``: one entry point over inference methods for a PyMC model, returning an ``xarray.DataTree``.

Methods: ``nuts`` (nutpie), ``smc`` (PyMC's sequential Monte Carlo), ``map`` (MAP + Laplace approximation,
via ``pymc_extras.fit_laplace``), ``vi`` (mean-field ADVI). ``exact`` is not a generic method: case studies
that can integrate exactly do so themselves and report it. Seeds are explicit: same seed, same draws.
"""

from __future__ import annotations

import warnings

import numpy as np
import pymc as pm
import xarray as xr

from bayesgeo.spec import Inference

GENERIC_METHODS = ("nuts", "smc", "map", "vi")


def fit(model: pm.Model, settings: Inference, method: str | None = None) -> xr.DataTree:
    """Fit ``model`` with ``method`` (default: ``settings.method``, where ``auto`` means ``nuts``)."""
    method = method or settings.method
    method = "nuts" if method == "auto" else method
    if method not in GENERIC_METHODS:
        raise ValueError(f"method {method!r} is not available for this model; use one of {GENERIC_METHODS}")
    draws, tune = (
        (min(settings.draws, 300), min(settings.tune, 300))
        if settings.quick
        else (settings.draws, settings.tune)
    )
    seed = settings.seed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        if method == "nuts":
            tree = pm.sample(
                model=model,
                draws=draws,
                tune=tune,
                chains=settings.chains,
                nuts_sampler="nutpie",
                random_seed=seed,
                progressbar=settings.progress,
            )
        elif method == "smc":
            tree = pm.sample_smc(
                model=model,
                draws=draws,
                chains=settings.chains,
                random_seed=seed,
                progressbar=settings.progress,
                cores=1,
                compute_convergence_checks=False,
            )
        elif method == "map":
            from pymc_extras import fit_laplace

            tree = fit_laplace(
                model=model, draws=draws * settings.chains, random_seed=seed, progressbar=settings.progress
            )
            tree = _split_chains(tree, settings.chains)
        else:
            approx = pm.fit(
                n=20_000 if not settings.quick else 5_000,
                method="advi",
                model=model,
                random_seed=seed,
                progressbar=settings.progress,
            )
            tree = approx.sample(draws * settings.chains, random_seed=seed)
            tree = _split_chains(tree, settings.chains)
    tree.attrs["inference_method"] = method
    return tree


def _split_chains(tree: xr.DataTree, chains: int) -> xr.DataTree:
    """Reshape single-chain independent draws into ``chains`` pseudo-chains, so all methods look alike."""
    post = tree["posterior"].to_dataset()
    n = post.sizes["draw"] // chains
    post = post.isel(chain=0, draw=slice(0, n * chains), drop=True)
    post = post.assign_coords(draw=np.arange(n * chains))
    split = post.coarsen(draw=n).construct(draw=("chain", "draw"))
    split = split.assign_coords(chain=np.arange(chains), draw=np.arange(n))
    return xr.DataTree.from_dict({"posterior": split})
