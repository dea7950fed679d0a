"""Source inference model: priors, per-source log likelihood, the PyMC model and synthetic data.

Unknowns: the source (a discrete switch over candidate volcanoes with prior weights), the eruption time
``eruption_time`` (days from the reference time), the uniform drift ``u``, ``v`` (m s-1) and the horizontal
diffusivity ``diffusivity`` (m2 s-1). Data: sightings (kernel density of the raft at the sighting time),
first-stranding reports (first arrival of ``n_effective`` clasts, then an exponential reporting delay) and
non-detections (no clast by the date). The source is summed out (``marginalize``: logsumexp over sources,
probabilities recovered per draw) or sampled (``sample``: an inverse-CDF index for SMC).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from pymc_extras.prior import Prior

from bayesgeo.drift.inverse import kernel
from bayesgeo.drift.inverse.data import DAY, Observations, displacement, from_days, offset, position_sd
from bayesgeo.drift.sources import Volcano
from bayesgeo.switches import inverse_cdf_index

#: Default priors (``eruption_time`` defaults to uniform between the earliest allowed time and the first
#: sighting; every eruption-time prior is truncated to that interval).
DEFAULT_PRIORS = {
    "u": Prior("Normal", mu=0.0, sigma=0.5),
    "v": Prior("Normal", mu=0.0, sigma=0.5),
    "diffusivity": Prior("LogNormal", mu=float(np.log(100.0)), sigma=1.5),
}
PARAMETERS = {
    "eruption_time": ("days", "eruption time (days from reference_time)"),
    "u": ("m s-1", "eastward drift velocity"),
    "v": ("m s-1", "northward drift velocity"),
    "diffusivity": ("m2 s-1", "horizontal diffusivity"),
}
HANDLINGS = ("marginalize", "sample")


@dataclass(frozen=True)
class Design:
    """Data as the likelihood needs them: per-source displacements (m) to every observation, and constants."""

    sources: tuple[Volcano, ...]
    log_weights: np.ndarray  # (source,) normalised log prior weights
    sighting: dict  # east, north (source, sighting) m; sd2 (sighting,) m2; day (sighting,)
    stranding: dict  # east, north (source, stranding, 1) m; radius (stranding, 1) m; day (stranding,)
    absent: dict  # east, north (source, non_detection) m; radius (non_detection,) m; day (non_detection,)
    n_effective: float
    delays: np.ndarray  # reporting-delay nodes (days)
    delay_density: np.ndarray  # delay density on each node interval (1/day)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sources]


def _to_sites(sources, table: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    lon0 = np.array([s.lon for s in sources])[:, None]
    lat0 = np.array([s.lat for s in sources])[:, None]
    return displacement(lon0, lat0, table["lon"].values[None, :], table["lat"].values[None, :])


def design(
    obs: Observations,
    sources,
    weights,
    sd_m: float = 5e3,
    n_effective: float = 100.0,
    mean_delay: float = 2.0,
) -> Design:
    """The likelihood's constants for ``obs`` and candidate ``sources`` with prior ``weights``."""
    w = np.asarray(weights, float)
    e, n = _to_sites(sources, obs.sightings)
    sighting = {
        "east": e,
        "north": n,
        "sd2": position_sd(obs.sightings, sd_m) ** 2,
        "day": obs.sightings["day"].values,
    }
    e, n = _to_sites(sources, obs.strandings)
    stranding = {
        "east": e[..., None],
        "north": n[..., None],
        "radius": obs.strandings["radius"].values[:, None] * 1e3,
        "day": obs.strandings["day"].values,
    }
    e, n = _to_sites(sources, obs.non_detections)
    absent = {
        "east": e,
        "north": n,
        "radius": obs.non_detections["radius"].values * 1e3,
        "day": obs.non_detections["day"].values,
    }
    delays, density = kernel.delay_nodes(mean_delay)
    return Design(
        tuple(sources), np.log(w / w.sum()), sighting, stranding, absent, n_effective, delays, density
    )


#: Observation tables of the likelihood: Design field -> (result name, dim, what each item's term is)
TABLES = {
    "sighting": ("sightings", "sighting", "log density of the sighting's position (per m2, east/north)"),
    "stranding": ("strandings", "stranding", "log density of the first-stranding report's time (per day)"),
    "absent": ("non_detections", "non_detection", "log probability of the non-detection"),
}


def item_log_terms(d: Design, t0, u, v, kh, ops=kernel.NP, parts: tuple[str, ...] = tuple(TABLES)) -> dict:
    """Log likelihood of each observation given each source (nats), ``{part: (..., source, item)}`` for the
    ``parts`` (keys of :data:`TABLES`) whose tables have rows.

    Parameters are PyTensor scalars (``ops = kernel.PT``) or NumPy arrays of draws of shape (n,).
    """

    def lead(x, k):  # append k axes to a vector of draws so it broadcasts against (source, item, ...)
        return x if ops is kernel.PT else np.asarray(x, float)[(...,) + (None,) * k]

    out = {}
    if "sighting" in parts:
        s = d.sighting
        tau = (s["day"] - lead(t0, 2)) * DAY
        out["sighting"] = kernel.sighting_loglik(
            s["east"], s["north"], s["sd2"], tau, lead(u, 2), lead(v, 2), lead(kh, 2), ops
        )
    if "absent" in parts and d.absent["day"].size:
        a = d.absent
        tau = (a["day"] - lead(t0, 2)) * DAY
        frac = kernel.arrival_fraction(
            a["east"], a["north"], a["radius"], tau, lead(u, 2), lead(v, 2), lead(kh, 2), ops
        )
        out["absent"] = kernel.non_detection_loglik(frac, d.n_effective, ops)
    if "stranding" in parts and d.stranding["day"].size:
        r = d.stranding
        tau = (r["day"][:, None] - d.delays[None, :] - lead(t0, 3)) * DAY
        frac = kernel.arrival_fraction(
            r["east"], r["north"], r["radius"], tau, lead(u, 3), lead(v, 3), lead(kh, 3), ops
        )
        out["stranding"] = kernel.first_report_loglik(frac, d.delay_density, d.n_effective, ops)
    return out


def log_terms(d: Design, t0, u, v, kh, ops=kernel.NP, parts: tuple[str, ...] = tuple(TABLES)):
    """Log likelihood of the data given each source, shape (..., source) (see :func:`item_log_terms`)."""
    return sum((t.sum(-1) for t in item_log_terms(d, t0, u, v, kh, ops, parts).values()), 0.0)


def pointwise_log_likelihood(d: Design, draws: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Log likelihood of each observation given each draw's source and parameters (nats), ``{part: (n,
    item)}``: summed over parts and items, ``log p(data | theta, source)`` at the draw."""
    terms = item_log_terms(d, draws["eruption_time"], draws["u"], draws["v"], draws["diffusivity"])
    index = np.asarray(draws["source_index"], int)[:, None, None]
    return {k: np.take_along_axis(t, index, axis=1)[:, 0] for k, t in terms.items()}


def eruption_time_variable(prior: Prior, lower: float, upper: float):
    """The eruption-time variable: the prior truncated to ``[lower, upper]`` (days)."""
    dist = prior.pymc_distribution.dist(**prior.parameters)
    return pm.Truncated("eruption_time", dist, lower=lower, upper=upper)


#: Support of each parameter: (lower, upper) or None for the real line (diffusivity: positive).
def supports(bounds: tuple[float, float]) -> dict[str, tuple[float, float] | None]:
    return {"eruption_time": bounds, "u": None, "v": None, "diffusivity": (0.0, np.inf)}


def unconstrained(name: str, x, support):
    """The sampler's coordinate of a parameter: logit on an interval, log on a half-line, else itself."""
    if support is None:
        return x
    lo, hi = support
    return np.log(x - lo) if np.isinf(hi) else np.log((x - lo) / (hi - x))


def whitened_variable(name: str, prior: Prior, support, loc: float, scale: float):
    """``name`` as a deterministic function of a flat standardised variable ``{name}_z``: the unconstrained
    coordinate is ``loc + scale * z``; the prior density and the Jacobian enter as a potential. A sampler's
    initial point ``z = 0`` (+- its jitter of 1) then lies within a posterior s.d. of ``loc``."""
    y = loc + scale * pm.Flat(f"{name}_z")
    if support is None:
        x, log_jac = y, 0.0
    elif np.isinf(support[1]):
        x, log_jac = support[0] + pt.exp(y), y
    else:
        lo, hi = support
        x = lo + (hi - lo) * pm.math.sigmoid(y)
        log_jac = np.log(hi - lo) - pt.softplus(-y) - pt.softplus(y)
    x = pm.Deterministic(name, x)
    dist = prior.pymc_distribution.dist(**prior.parameters)
    pm.Potential(f"{name}_prior", pm.logp(dist, x) + log_jac + np.log(scale))
    return x


def build_model(
    d: Design,
    priors: dict[str, Prior],
    bounds: tuple[float, float],
    handling: str = "marginalize",
    center: dict[str, tuple[float, float]] | None = None,
):
    """The tier-1 PyMC model; the source is summed out (``marginalize``) or an inverse-CDF index (``sample``).

    ``bounds`` are the earliest allowed eruption time and the first sighting (days from the reference time).
    ``center`` (``{name: (loc, scale)}`` in the coordinates of :func:`unconstrained`) whitens the parameters
    around a known mode (:func:`whitened_variable`), so that NUTS starts there; otherwise the priors'
    variables are used as they are.
    """
    with pm.Model(coords={"source": d.names}) as model:
        if center is None:
            t0 = eruption_time_variable(priors["eruption_time"], *bounds)
            u = priors["u"].create_variable("u")
            v = priors["v"].create_variable("v")
            kh = priors["diffusivity"].create_variable("diffusivity")
        else:
            t0, u, v, kh = (
                whitened_variable(k, priors[k], supports(bounds)[k], *center[k])
                for k in ("eruption_time", "u", "v", "diffusivity")
            )
        terms = log_terms(d, t0, u, v, kh, kernel.PT)
        if handling == "marginalize":
            pm.Potential("loglik", pm.math.logsumexp(terms + d.log_weights))
        else:
            index = inverse_cdf_index(pm.Uniform("source_u", 0.0, 1.0), np.exp(d.log_weights), pt)
            pm.Deterministic("source_index", index)
            pm.Potential("loglik", terms[index])
    return model


def source_log_probabilities(d: Design, post: dict[str, np.ndarray]) -> np.ndarray:
    """``log p(source | theta, data)`` for every draw (draws of shape (n,)), shape (n, source)."""
    from bayesgeo.switches import conditional_log_probabilities

    terms = log_terms(d, post["eruption_time"], post["u"], post["v"], post["diffusivity"])
    return conditional_log_probabilities(terms + d.log_weights)


def normal_parameters(prior: Prior, name: str) -> tuple[float, float]:
    """``(mu, sigma)`` of a fixed-parameter normal prior (the velocities must have one to be collapsed)."""
    params = prior.parameters
    if prior.distribution != "Normal" or any(isinstance(p, Prior) for p in params.values()):
        raise ValueError(
            f"exact inference integrates {name} out and needs a Normal prior with fixed mu, sigma"
        )
    return float(params.get("mu", 0.0)), float(params.get("sigma", 1.0))


def exact_posterior(
    d: Design,
    priors: dict[str, Prior],
    bounds: tuple[float, float],
    n: int,
    rng: np.random.Generator,
    shape: tuple[int, int] = (96, 48),
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Source probabilities and ``n`` posterior draws by quadrature (tier 1).

    Given the source, ``u`` and ``v`` are integrated out in closed form (normal priors, Gaussian sightings),
    leaving eruption time x log diffusivity on a refined grid per source (:mod:`.quadrature`); velocities are
    drawn from their conditional normal. Strandings and non-detections, non-Gaussian in the velocities, enter
    as importance weights. Returns ``p_source``, draws and the importance ESS per source.
    """
    from bayesgeo.drift.inverse import quadrature

    pu, pv = normal_parameters(priors["u"], "u"), normal_parameters(priors["v"], "v")
    t0_logp = quadrature.prior_logp(priors["eruption_time"], *bounds)
    kh_logp = quadrature.prior_logp(priors["diffusivity"], 0.0)
    t0_box = quadrature.prior_box(priors["eruption_time"], *bounds)
    kh_box = np.log(quadrature.prior_box(priors["diffusivity"], 1e-12))
    s = d.sighting

    def collapsed(src: int, t0, log_kh):
        tau = (s["day"] - t0[:, None, None]) * DAY
        return kernel.collapsed_sighting_loglik(
            s["east"][src : src + 1],
            s["north"][src : src + 1],
            s["sd2"],
            tau,
            np.exp(log_kh)[:, None, None],
            pu,
            pv,
        )

    def log_post(src: int):
        def f(pts):
            t0, log_kh = pts["eruption_time"], pts["log_diffusivity"]
            ll, _ = collapsed(src, t0, log_kh)
            return ll[:, 0] + t0_logp(t0) + kh_logp(np.exp(log_kh)) + log_kh

        return f

    def complete(src: int, draws):
        _, cond = collapsed(src, draws["eruption_time"], draws["log_diffusivity"])
        out = {"eruption_time": draws["eruption_time"], "diffusivity": np.exp(draws["log_diffusivity"])}
        for k, (mean, sd) in cond.items():
            out[k] = mean[:, 0] + sd[:, 0] * rng.standard_normal(mean.shape[0])
        return out

    def extra(src: int, draws):
        one = replace(d, sighting={**s, "east": s["east"][src : src + 1], "north": s["north"][src : src + 1]})
        one = replace(
            one,
            stranding={
                k: (v[src : src + 1] if k in ("east", "north") else v) for k, v in d.stranding.items()
            },
            absent={k: (v[src : src + 1] if k in ("east", "north") else v) for k, v in d.absent.items()},
        )
        args = (draws["eruption_time"], draws["u"], draws["v"], draws["diffusivity"])
        return log_terms(one, *args, parts=("stranding", "absent"))[:, 0]

    box = {"eruption_time": t0_box, "log_diffusivity": tuple(kh_box)}
    grids = [
        quadrature.refine(log_post(i), box, dict(zip(box, shape, strict=True))) for i in range(len(d.sources))
    ]
    has_extra = d.stranding["day"].size + d.absent["day"].size > 0
    return quadrature.combine(grids, d.log_weights, n, rng, complete, extra if has_extra else None)


# --- synthetic data -----------------------------------------------------------------------------------------


def simulate(
    source: Volcano,
    truth: dict[str, float],
    days: np.ndarray,
    reference: np.datetime64,
    sd_m: float,
    seed: int | np.random.Generator = 0,
) -> xr.Dataset:
    """Synthetic sightings from the drift simulator: one clast per sighting, released at the eruption.

    ``truth`` holds ``eruption_time`` (days from ``reference``), ``u``, ``v`` (m s-1) and ``diffusivity``
    (m2 s-1); ``days`` the sighting times (days from ``reference``, after the eruption, rounded to the hour
    of drift). Each clast drifts in the uniform field with the random walk of the simulator; the reported
    position adds a normal error of ``sd_m`` metres per axis. Returns ``lon``, ``lat`` on dim ``sighting``.
    """
    from bayesgeo.drift import release_point, uniform_flow
    from bayesgeo.drift import simulate as drift

    rng = np.random.default_rng(seed)
    t0, u, v, kh = (truth[k] for k in ("eruption_time", "u", "v", "diffusivity"))
    tau = (np.asarray(days, float) - t0) * DAY
    steps = np.rint(tau / 3600.0).astype(int)
    if steps.min() < 1:
        raise ValueError("every sighting must come at least an hour after the eruption")
    reach = (np.hypot(u, v) * tau.max() + 6 * np.sqrt(2 * kh * tau.max()) + 6 * sd_m) / 111e3 + 1.0
    reach_lon = reach / np.cos(np.deg2rad(min(abs(source.lat) + reach, 80.0)))
    field = uniform_flow(
        u, v, bounds=(source.lon - reach_lon, source.lon + reach_lon, source.lat - reach, source.lat + reach)
    )
    start = from_days([t0], reference)[0]
    rel = release_point(source.lon, source.lat, start, n=steps.size)
    traj = drift(field, rel, duration=steps.max() * 3600.0, diffusivity=kh, output_every=1, seed=rng)
    i = np.arange(steps.size)
    lon, lat = traj.lon.values[i, steps].astype(float), traj.lat.values[i, steps].astype(float)
    lon, lat = offset(lon, lat, *rng.normal(scale=sd_m, size=(2, steps.size)))
    return xr.Dataset(
        {
            "lon": ("sighting", lon, {"units": "degrees_east"}),
            "lat": ("sighting", lat, {"units": "degrees_north"}),
        },
        coords={"time": ("sighting", from_days(days, reference))},
    )
