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


def fit(
    model: pm.Model, settings: Inference, method: str | None = None, starts: list[dict] | None = None
) -> xr.DataTree:
    """Fit ``model`` with ``method`` (default: ``settings.method``, where ``auto`` means ``nuts``).

    ``starts`` (NUTS only): one chain per start, a dict of free variable name -> value (constrained scale);
    ``settings.chains`` is then ignored.
    """
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
        if method == "nuts" and starts is not None:
            tree = _nuts_from(model, starts, draws, tune, seed, settings.progress)
        elif method == "nuts":
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


def _nuts_from(
    model: pm.Model, starts: list[dict], draws: int, tune: int, seed, progress: bool
) -> xr.DataTree:
    """nutpie NUTS, one chain from each start (no jitter), in start order; seeds derived from ``seed``."""
    import dataclasses

    import nutpie
    from pymc.initial_point import make_initial_point_fn

    compiled = nutpie.compile_pymc_model(model)
    names = [v.name for v in model.value_vars]
    seeds = np.random.default_rng(seed).integers(2**31, size=len(starts))
    groups: dict[str, list] = {"posterior": [], "sample_stats": []}
    for k, start in enumerate(starts):
        point = make_initial_point_fn(
            model=model,
            overrides={model[name]: value for name, value in start.items()},
            jitter_rvs=set(),
            return_transformed=True,
        )(0)
        flat = np.concatenate([np.ravel(point[name]) for name in names])
        # nutpie draws each chain's initial point from this function (with PyMC models it ignores init_mean)
        chain = dataclasses.replace(compiled, initial_point_func=lambda _, flat=flat: flat.copy())
        tree = nutpie.sample(
            chain, draws=draws, tune=tune, chains=1, seed=int(seeds[k]), progress_bar=progress, cores=1
        )
        for group, parts in groups.items():
            parts.append(tree[group].to_dataset().assign_coords(chain=[k]))
    return xr.DataTree.from_dict({g: xr.concat(parts, "chain") for g, parts in groups.items()})
