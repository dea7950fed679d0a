"""The ``geofluid.point`` model: Vp, Vs and conductivity at one place from porosity, pore shape, rock, liquid.

Data ``y = (Vp, Vs, log10 sigma)`` with independent Gaussian errors. Continuous parameters: porosity ``phi``,
the elastic pore aspect ratio ``alpha`` and the aspect ratio ``alpha_ec`` of the conductive network, sampled
as ``porosity``, ``log10_aspect_ratio`` and ``log10_aspect_ratio_ec``. Discrete switches: lithology x
liquid. The forward model is the geofluid layer (:func:`~bayesgeo.geofluid.takei2002` and
:func:`~bayesgeo.geofluid.log10_conductivity`) on constants precomputed at (P, T), evaluated for every
combination at once as a ``(lithology, liquid)`` table; the same functions serve PyMC (``xp =
pytensor.tensor``) and NumPy (quadrature, recovery of switch probabilities, simulation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from pymc_extras.prior import Prior

from bayesgeo.geofluid.conductivity import log10_conductivity
from bayesgeo.geofluid.elastic import takei2002
from bayesgeo.switches import inverse_cdf_index, log_weights

#: Priors of the sampled parameters; aspect ratios are log-uniform on [1e-3, 1] (uniform in log10).
DEFAULT_PRIORS: dict[str, Prior] = {
    "porosity": Prior("Uniform", lower=0.0, upper=0.3),
    "log10_aspect_ratio": Prior("Uniform", lower=-3.0, upper=0.0),
    "log10_aspect_ratio_ec": Prior("Uniform", lower=-3.0, upper=0.0),
}

#: Reported parameter -> (sampled prior name, long name, physical bounds of the sampled quantity).
PARAMETERS: dict[str, tuple[str, str, tuple[float, float]]] = {
    "porosity": ("porosity", "porosity (liquid volume fraction)", (0.0, 0.9)),
    "aspect_ratio": ("log10_aspect_ratio", "pore aspect ratio (elastic)", (-6.0, 0.0)),
    "aspect_ratio_ec": ("log10_aspect_ratio_ec", "aspect ratio of the conductive network", (-6.0, 0.0)),
}

HANDLINGS = ("marginalize", "sample")


@dataclass(frozen=True)
class Observation:
    """Observed Vp, Vs (km/s) and bulk conductivity (S/m), with Gaussian error s.d. (log10 for sigma)."""

    vp: float
    vs: float
    conductivity: float
    vp_sd: float = 0.05
    vs_sd: float = 0.05
    log10_conductivity_sd: float = 0.1

    @property
    def log10_conductivity(self) -> float:
        return float(np.log10(self.conductivity))


@dataclass(frozen=True)
class Rock:
    """Constants of every (lithology, liquid) combination at one (P, T).

    ``solid``: ``rho`` (kg/m3), ``K``, ``G`` (GPa) on dim ``lithology``; ``liquid``: ``rho`` (kg/m3), ``K``
    (GPa), ``sigma`` (S/m) on dim ``liquid``; ``solid_conductivity`` in S/m; ``conductivity_scheme`` a key
    of :data:`~bayesgeo.geofluid.CONDUCTIVITY_SCHEMES`.
    """

    solid: xr.Dataset
    liquid: xr.Dataset
    solid_conductivity: float = 1e-3
    conductivity_scheme: str = "dem"

    @property
    def lithologies(self) -> list[str]:
        return [str(v) for v in self.solid["lithology"].values]

    @property
    def liquids(self) -> list[str]:
        return [str(v) for v in self.liquid["liquid"].values]

    def velocities(self, phi, alpha, xp=np):
        """Vp, Vs (km/s) of shape ``shape(phi, alpha) + (lithology, liquid)`` (Takei 2002)."""
        phi, alpha = _table_axes(phi, xp), _table_axes(alpha, xp)
        k_s, g_s, rho_s = (self.solid[v].values[:, None] for v in ("K", "G", "rho"))
        k_l, rho_l = (self.liquid[v].values[None, :] for v in ("K", "rho"))
        return takei2002(phi, alpha, k_s, g_s, rho_s, k_l, rho_l, xp=xp)

    def log10_conductivity(self, phi, alpha_ec, xp=np):
        """log10 bulk conductivity (S/m) of shape ``shape(phi, alpha_ec) + (1, liquid)``."""
        phi, alpha_ec = _table_axes(phi, xp), _table_axes(alpha_ec, xp)
        sigma_l = self.liquid["sigma"].values[None, :]
        return log10_conductivity(
            phi, alpha_ec, self.solid_conductivity, sigma_l, xp=xp, scheme=self.conductivity_scheme
        )


def prior_support(prior: Prior, tail: float = 1e-9) -> tuple[float, float]:
    """The ``tail`` and ``1 - tail`` quantiles of a prior with fixed parameters (its effective support)."""
    dist = prior.pymc_distribution.dist(**prior.parameters)
    lo, hi = pm.draw(pm.icdf(dist, np.array([tail, 1.0 - tail])))
    return float(lo), float(hi)


def _table_axes(x, xp):
    """Append the (lithology, liquid) axes to a parameter array."""
    return (x if xp is pt else np.asarray(x, dtype=float))[..., None, None]


def _normal_logpdf(x, mu, sd):
    return -0.5 * ((x - mu) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2.0 * np.pi)


def elastic_loglik(phi, alpha, rock: Rock, obs: Observation, xp=np):
    """``log p(Vp, Vs | phi, alpha, combination)``, shape ``shape(phi, alpha) + (lithology, liquid)``."""
    vp, vs = rock.velocities(phi, alpha, xp)
    return _normal_logpdf(obs.vp, vp, obs.vp_sd) + _normal_logpdf(obs.vs, vs, obs.vs_sd)


def conductivity_loglik(phi, alpha_ec, rock: Rock, obs: Observation, xp=np):
    """``log p(log10 sigma | phi, alpha_ec, liquid)``, shape ``shape(phi, alpha_ec) + (1, liquid)``."""
    return _normal_logpdf(
        obs.log10_conductivity, rock.log10_conductivity(phi, alpha_ec, xp), obs.log10_conductivity_sd
    )


def log_likelihood(phi, alpha, alpha_ec, rock: Rock, obs: Observation, xp=np):
    """Per-combination log likelihood of all three data, shape ``shape(params) + (lithology, liquid)``."""
    return elastic_loglik(phi, alpha, rock, obs, xp) + conductivity_loglik(phi, alpha_ec, rock, obs, xp)


def log_prior_table(lithology_weights, liquid_weights) -> np.ndarray:
    """Log prior probability of each (lithology, liquid) combination (independent switches)."""
    return log_weights(lithology_weights)[:, None] + log_weights(liquid_weights)[None, :]


def build_model(
    rock: Rock,
    obs: Observation,
    priors: dict[str, Prior] | None = None,
    lithology_weights=None,
    liquid_weights=None,
    handling: str = "marginalize",
) -> pm.Model:
    """The PyMC model of one point, with the lithology x liquid switch summed out or sampled.

    Parameters
    ----------
    rock, obs : Rock, Observation
        Constants at (P, T) and the data.
    priors : dict of Prior, optional
        Overrides of :data:`DEFAULT_PRIORS` (keys ``porosity``, ``log10_aspect_ratio``,
        ``log10_aspect_ratio_ec``).
    lithology_weights, liquid_weights : array_like, optional
        Prior weights of the options (uniform when omitted).
    handling : {"marginalize", "sample"}
        ``marginalize``: a potential ``logsumexp_c(log w_c + l_c(theta))`` over all combinations (continuous
        parameters only, any sampler). ``sample``: indices ``lithology_index``, ``liquid_index`` drawn through
        uniform variables ``lithology_u``, ``liquid_u`` (:func:`bayesgeo.switches.inverse_cdf_index`),
        for SMC.
    """
    priors = DEFAULT_PRIORS | (priors or {})
    w_lith = np.ones(len(rock.lithologies)) if lithology_weights is None else lithology_weights
    w_liq = np.ones(len(rock.liquids)) if liquid_weights is None else liquid_weights
    coords = {"lithology": rock.lithologies, "liquid": rock.liquids}
    with pm.Model(coords=coords) as model:
        phi = priors["porosity"].create_variable("porosity")
        alpha, alpha_ec = (
            pm.Deterministic(name, 10.0 ** priors[sampled].create_variable(sampled))
            for name, (sampled, _, _) in PARAMETERS.items()
            if name != "porosity"
        )
        table = log_likelihood(phi, alpha, alpha_ec, rock, obs, xp=pt)
        if handling == "marginalize":
            log_w = log_prior_table(w_lith, w_liq)
            pm.Potential("log_likelihood", pm.math.logsumexp(table + log_w, keepdims=False))
        elif handling == "sample":
            i = pm.Deterministic(
                "lithology_index", inverse_cdf_index(pm.Uniform("lithology_u", 0, 1), w_lith, pt)
            )
            j = pm.Deterministic("liquid_index", inverse_cdf_index(pm.Uniform("liquid_u", 0, 1), w_liq, pt))
            pm.Potential("log_likelihood", table[i, j])
        else:
            raise ValueError(f"unknown handling {handling!r}; expected one of {HANDLINGS}")
    return model


def simulate(
    rock: Rock,
    truth: dict,
    rng: np.random.Generator,
    vp_sd: float = 0.05,
    vs_sd: float = 0.05,
    log10_conductivity_sd: float = 0.1,
) -> Observation:
    """Noisy synthetic data from a known truth.

    ``truth`` holds ``lithology`` and ``liquid`` (option names of ``rock``), ``porosity``, ``aspect_ratio``
    and ``aspect_ratio_ec``; errors are Gaussian with the given s.d. (km/s; log10 units for conductivity).
    """
    i, j = rock.lithologies.index(truth["lithology"]), rock.liquids.index(truth["liquid"])
    vp, vs = rock.velocities(truth["porosity"], truth["aspect_ratio"])
    log_sigma = rock.log10_conductivity(truth["porosity"], truth["aspect_ratio_ec"])
    noise = rng.normal(size=3) * np.array([vp_sd, vs_sd, log10_conductivity_sd])
    return Observation(
        vp=float(vp[i, j] + noise[0]),
        vs=float(vs[i, j] + noise[1]),
        conductivity=float(10 ** (log_sigma[0, j] + noise[2])),
        vp_sd=vp_sd,
        vs_sd=vs_sd,
        log10_conductivity_sd=log10_conductivity_sd,
    )
