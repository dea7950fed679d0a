"""The geofluid field model: priors on logit fields, the per-cell forward model and the PyMC model.

Latent fields ``eta_f = logit(v_f)`` for ``v`` = porosity, pore aspect ratio (and the aspect ratio of the
conductive network ``aspect_ratio_ec`` when conductivity is observed) on a grid of cells. The logit keeps
porosity in (0, 1) and the aspect ratio in (0, 1], where the oblate-spheroid pore model ends; for thin pores
``logit(alpha) ~ log(alpha)``.

Priors (``model.variant``), every field independent of the others a priori:

``gmrf`` / ``gmrf2``
    ``eta_f ~ N(m_f 1, (tau_f^-2 S + kappa_f I)^-1)`` with ``S`` the first-order (``L``) or second-order
    (``L^2``) grid structure matrix of :data:`bayesgeo.priors.SMOOTHNESS` and ``kappa_f = 1/(N s_f^2)``: the
    field's mean level has the prior ``N(m_f, s_f^2)`` (``[priors.logit_<field>]``), the other modes change
    their precision by ``kappa_f``, which is negligible. ``tau_f`` (``[priors.tau_<field>]``) is the scale
    of neighbour differences (curvature for ``gmrf2``) in logit units, inferred.
``independent``
    ``eta_f,c ~ N(m_f, s_f^2)`` in every cell: the per-cell inversion, no smoothness hyperparameter.
``tv``
    Total variation: Laplace-distributed neighbour differences of scale ``tau_f`` (sharp boundaries), density
    ``exp(-sum |d| / tau_f) / tau_f^(N-1)`` times the same level ridge as the GMRFs; the normaliser is the
    exact scale-family one as the ridge vanishes.

Likelihood: independent Gaussians on Vp and Vs (km/s) and on log10 conductivity per cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc_extras.prior import Prior

from bayesgeo import gmrf
from bayesgeo.geofluid import liquid_properties, log10_conductivity, solid_properties, takei2002
from bayesgeo.geofluid.field_laplace import CellLikelihood, FieldPrior, structure_matrix
from bayesgeo.priors import SMOOTHNESS, grid_differences, quadratic_form

#: Latent fields in order; the third only when conductivity is observed.
FIELDS = ("porosity", "aspect_ratio", "aspect_ratio_ec")
#: Smoothness priors (``model.variant``); the Gaussian ones have the Laplace fast path.
VARIANTS = ("gmrf", "gmrf2", "independent", "tv")
GAUSSIAN = ("gmrf", "gmrf2", "independent")
PHI_RANGE = (1e-10, 0.9)  # porosity is evaluated clipped to this range (numerical safety at the ends)

#: Default priors: level (or per-cell) prior of each logit field, and the smoothness scale of each field.
DEFAULT_PRIORS: dict[str, Prior] = {
    "logit_porosity": Prior("Normal", mu=-4.6, sigma=2.0),  # centred on porosity 0.01
    "logit_aspect_ratio": Prior("Normal", mu=-2.2, sigma=2.0),  # centred on aspect ratio 0.1
    "logit_aspect_ratio_ec": Prior("Normal", mu=-3.5, sigma=2.5),  # centred on 0.03
    "tau_porosity": Prior("HalfNormal", sigma=1.0),
    "tau_aspect_ratio": Prior("HalfNormal", sigma=1.0),
    "tau_aspect_ratio_ec": Prior("HalfNormal", sigma=1.0),
}

OUTPUTS = ("vp", "vs", "log10_conductivity")


@dataclass(frozen=True)
class Constants:
    """Solid and liquid properties per cell (flattened, shape ``(N,)``) for one host rock and liquid.

    Moduli GPa, densities kg/m3, conductivities S/m.
    """

    k_s: np.ndarray
    g_s: np.ndarray
    rho_s: np.ndarray
    k_l: np.ndarray
    rho_l: np.ndarray
    sigma_s: np.ndarray
    sigma_l: np.ndarray

    def reshape(self, shape: tuple[int, ...]) -> Constants:
        return Constants(*(np.reshape(v, shape) for v in vars(self).values()))


def constants(
    lithology: str,
    liquid: str,
    pressure: np.ndarray,
    temperature: np.ndarray,
    *,
    salinity: float = 5.0,
    solid_conductivity: float | np.ndarray = 1e-3,
    fluid_law: str = "sinmyo_keppler_2017",
    melt_law: str = "tyburczy_waff_1983",
) -> Constants:
    """Per-cell constants from pressure (GPa) and temperature (deg C) arrays, one physics call per distinct
    (P, T) pair. Raises ``ValueError`` (naming the law and range) outside a law's validity."""
    pairs, inverse = np.unique(
        np.column_stack([np.ravel(pressure), np.ravel(temperature)]), axis=0, return_inverse=True
    )
    rows = []
    for p, t in pairs:
        s = solid_properties([lithology], p, t).isel(lithology=0)
        f = liquid_properties(p, t, salinity, fluid_law=fluid_law, melt_law=melt_law).sel(liquid=liquid)
        rows.append([float(s.K), float(s.G), float(s.rho), float(f.K), float(f.rho), float(f.sigma)])
    v = np.asarray(rows)[inverse.ravel()].T
    sigma_s = np.broadcast_to(np.ravel(solid_conductivity), v[0].shape).astype(float)
    return Constants(v[0], v[1], v[2], v[3], v[4], sigma_s, v[5])


def sigmoid(x, xp=np):
    """Logistic function, without overflow for large ``|x|`` (NumPy or PyTensor)."""
    return xp.exp(-xp.logaddexp(0.0, -x))


def predict(eta, c: Constants, xp=np) -> list:
    """Vp, Vs (km/s) and, with a third field, log10 conductivity (S/m) from logit fields ``eta[f]``."""
    phi = xp.clip(sigmoid(eta[0], xp), *PHI_RANGE)
    vp, vs = takei2002(phi, sigmoid(eta[1], xp), c.k_s, c.g_s, c.rho_s, c.k_l, c.rho_l, xp=xp)
    if len(eta) < 3:
        return [vp, vs]
    return [vp, vs, log10_conductivity(phi, sigmoid(eta[2], xp), c.sigma_s, c.sigma_l, xp=xp)]


def cell_likelihood(
    y: np.ndarray, sd: np.ndarray, c: Constants, observed: np.ndarray | None = None
) -> CellLikelihood:
    """The per-cell likelihood for the Laplace path; ``y``, ``sd``: ``(K, N)`` in :data:`OUTPUTS` order;
    ``observed`` ``(N,)`` (bool): the cells whose data enter (default all). Every output is smooth (the DEM
    conductivity is a converged closed-form root), so all enter the Hessian and the next-order terms.
    """
    curved = np.ones(y.shape[0], dtype=bool)
    return CellLikelihood(lambda eta: np.stack(predict(eta, c)), y, sd, curved, observed=observed)


def level(priors: dict[str, Prior], field: str) -> tuple[float, float]:
    """``(mu, sigma)`` of the Normal level prior of a logit field."""
    p = priors[f"logit_{field}"]
    return float(p.parameters["mu"]), float(p.parameters["sigma"])


def spectrum(shape: tuple[int, ...], variant: str) -> np.ndarray:
    """Eigenvalues ``g(lambda)`` of the structure matrix on the DCT grid (same shape as the grid)."""
    return SMOOTHNESS[variant].g(gmrf.laplacian_eigenvalues(shape))


def field_prior(shape: tuple[int, ...], variant: str, priors: dict[str, Prior], n_fields: int) -> FieldPrior:
    """The Gaussian prior of the Laplace path for ``gmrf``, ``gmrf2`` or ``independent``."""
    n = int(np.prod(shape))
    mu, s = np.array([level(priors, f) for f in FIELDS[:n_fields]]).T
    if variant == "independent":
        return FieldPrior(mu, s**-2.0, n)
    return FieldPrior(
        mu, 1.0 / (n * s**2), n, structure_matrix(shape, variant), spectrum(shape, variant).ravel()
    )


def build_model(
    y: dict[str, np.ndarray],
    sd: dict[str, np.ndarray],
    c: Constants,
    variant: str,
    priors: dict[str, Prior],
    coords: dict[str, np.ndarray],
    whiten: tuple[np.ndarray, np.ndarray] | None = None,
    observed: np.ndarray | None = None,
) -> pm.Model:
    """PyMC model of one section for NUTS; ``y``, ``sd``: observed arrays on the grid keyed by output name
    (:data:`OUTPUTS`; ``log10_conductivity`` adds the third field); ``observed`` (bool, on the grid): the
    cells whose data enter the likelihood (default all; the others are predicted by the prior alone).

    The logit fields enter through their prior density (a potential with the exact normaliser) and are
    sampled either directly (``whiten=None``) or as ``eta = center + A xi`` with ``whiten = (center, A)``,
    ``A A' = H^-1`` from the Laplace approximation (flattened field-major). Whitening removes the scale
    differences and the per-cell correlations that a diagonal mass matrix cannot learn, and the funnel
    between ``tau`` and weakly informed cells: on a 20 x 20 section both the centred form and the
    non-centred DCT form (``eta = m + T'(z / sqrt(tau^-2 g + kappa))``) give R-hat ~2.
    Deterministics ``porosity``, ``aspect_ratio`` (``aspect_ratio_ec``) and ``log10_`` versions of the
    aspect ratios are on the grid dims.
    """
    dims = tuple(coords)
    shape = tuple(len(v) for v in coords.values())
    n = int(np.prod(shape))
    fields = FIELDS[: len(y)]  # one latent field per observed output
    c = c.reshape(shape)
    with pm.Model(coords=coords) as model:
        if whiten is None:
            etas = [
                pt.specify_shape(
                    pm.Flat(f"eta_{f}", dims=dims, initval=np.full(shape, level(priors, f)[0])), shape
                )
                for f in fields
            ]
        else:
            center, a = whiten
            flat = center + pt.dot(a, pm.Flat("xi", shape=center.size, initval=np.zeros(center.size)))
            etas = [flat[i * n : (i + 1) * n].reshape(shape) for i in range(len(fields))]
        for field, eta in zip(fields, etas, strict=True):
            mu, s = level(priors, field)
            if variant == "independent":
                logp = -0.5 * pt.sum((eta - mu) ** 2) / s**2
            else:
                tau = priors[f"tau_{field}"].create_variable(f"tau_{field}")
                ridge = 0.5 * pt.sum((eta - mu) ** 2) / (n * s**2)
                if variant == "tv":
                    tv = sum(pt.sum(pt.abs(d)) for d in grid_differences(eta, xp=pt))
                    logp = -tv / tau - (n - 1) * pt.log(tau) - ridge
                else:
                    g = spectrum(shape, variant).ravel()
                    quad = quadratic_form(eta, SMOOTHNESS[variant], xp=pt)
                    logp = -0.5 * quad / tau**2 + 0.5 * pt.sum(pt.log(g / tau**2 + 1.0 / (n * s**2))) - ridge
            pm.Potential(f"prior_{field}", logp)
            value = pm.Deterministic(field, sigmoid(eta, pt), dims=dims)
            if field != "porosity":
                pm.Deterministic(f"log10_{field}", pt.log10(value), dims=dims)
        for name, mean in zip(OUTPUTS, predict(etas, c, xp=pt), strict=False):
            if observed is None:
                pm.Normal(f"{name}_obs", mean, sd[name], observed=y[name], dims=dims)
            else:
                cells = np.nonzero(observed)
                pm.Normal(f"{name}_obs", mean[cells], sd[name][cells], observed=y[name][cells])
    return model
