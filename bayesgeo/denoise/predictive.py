"""Prior and posterior predictive checks for denoising: do replicated noisy images look like the data?

The statistic is the distribution of neighbour differences (down and across), the quantity every smoothness
prior models. A Gaussian MRF predicts Gaussian differences; natural images have heavy tails (edges), which a
posterior predictive check shows and the TV and Student-t priors are built for. Replicates are noisy images
``y_rep = x + noise`` with ``x`` drawn from the prior (hyperparameters from their priors: Gaussian variants,
whose prior is sampled exactly) or from the posterior. Summaries: densities of the differences on bins shared
with the data, and their excess kurtosis with the posterior predictive p-value ``P(T(y_rep) >= T(y))``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import stats

N_BINS = 61


def differences(image: np.ndarray) -> np.ndarray:
    """Differences between vertical and horizontal neighbours, flattened (image units)."""
    return np.concatenate([np.diff(image, axis=0).ravel(), np.diff(image, axis=1).ravel()])


def _densities(images: list[np.ndarray], edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Density of the neighbour differences on ``edges`` and their excess kurtosis, per image."""
    d = [differences(im) for im in images]
    dens = np.array([np.histogram(di, bins=edges)[0] / (di.size * np.diff(edges)) for di in d])
    return dens, np.array([stats.kurtosis(di) for di in d])


def check(y: np.ndarray, prior: list[np.ndarray], posterior: list[np.ndarray], units: str = "") -> xr.Dataset:
    """The ``/predictive_check`` group from the data and replicated noisy images (``prior`` may be empty)."""
    top = float(np.abs(differences(y)).max())
    edges = np.linspace(-top, top, N_BINS + 1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    obs, k_obs = _densities([y], edges)
    post, k_post = _densities(posterior, edges)
    out = {
        "observed_density": ("bin", obs[0]),
        "posterior_density": (("posterior_replicate", "bin"), post),
        "observed_kurtosis": ((), k_obs[0]),
        "posterior_kurtosis": ("posterior_replicate", k_post),
    }
    if prior:
        dens, k_prior = _densities(prior, edges)
        out |= {
            "prior_density": (("prior_replicate", "bin"), dens),
            "prior_kurtosis": ("prior_replicate", k_prior),
        }
    ds = xr.Dataset(
        out, coords={"bin": ("bin", centres, {"units": units, "long_name": "neighbour difference"})}
    )
    ds.attrs.update(
        statistic="neighbour differences; excess kurtosis",
        p_value_kurtosis=float(np.mean(k_post >= k_obs[0])),
    )
    return ds
