"""Tier 2: source inference on any forcing field from ensembles of the drift simulator.

Unknowns given the source: eruption time ``t0``, a current scaling ``c`` (the field's current times ``c``),
windage ``alpha`` (fraction of the 10 m wind; inferred when a prior is declared, else 0) and diffusivity
``Kh``. For a grid of ``(t0, c, alpha)``, clouds of ``n`` clasts are released at the source and drifted by
:func:`bayesgeo.drift.simulate` with half the smallest diffusivity of the grid, ``Kh_ref``, so that they
carry the field's shear and strain (stationary fields need one release per ``(c, alpha)``: the cloud at
elapsed time ``t - t0`` serves every ``t0``). A sighting's likelihood is the kernel density of the simulated
clasts at its time, with a Gaussian kernel of variance ``2 (Kh - Kh_ref) tau + sd^2`` per axis (the diffusion
the simulation left out and the position error; at least Silverman's bandwidth for ``n`` clasts): in a
uniform flow this is tier 1's kernel up to Monte Carlo error. The grid is refined by :mod:`.quadrature`, each
pass running new ensembles over the shrunk box, so the cost is what the data need; it is counted in
particle-steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np
import xarray as xr
from pymc_extras.prior import Prior
from scipy.special import logsumexp

from bayesgeo.drift.inverse import quadrature
from bayesgeo.drift.inverse.data import DAY, displacement, from_days
from bayesgeo.drift.sources import Volcano

AXES = ("eruption_time", "log_current_scale", "windage", "log_diffusivity")
DEFAULT_PRIORS = {
    "current_scale": Prior("LogNormal", mu=0.0, sigma=0.5),
    "windage": Prior("Uniform", lower=0.0, upper=0.05),
}
_HOUR = 3600.0


@dataclass
class Ensemble:
    """A forcing field and how to sample it (``cost`` counts simulated particle-steps)."""

    field: xr.Dataset
    land: xr.DataArray | None
    reference: np.datetime64
    n_particles: int = 48
    seed: int = 0
    cost: dict = dataclass_field(default_factory=lambda: {"particle_steps": 0, "runs": 0})

    @property
    def stationary(self) -> bool:
        return self.field.sizes["time"] == 1


def clouds(
    ens: Ensemble, source: Volcano, t0: np.ndarray, days: np.ndarray, scale: float, windage: float, kh: float
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (lon, lat) of ``n`` clasts released at each eruption time ``t0`` (days) at ``days``, and of
    one more clast without diffusion (the raft's centre path, last along the particle axis).

    Returns arrays of shape (t0, n + 1, day). Hourly steps; a stationary field is run once from the
    earliest ``t0`` and read at each elapsed time.
    """
    from bayesgeo.drift import release_point, simulate

    n = ens.n_particles + 1
    starts = t0[:1] if ens.stationary else t0
    first = starts.min()
    steps = int(np.ceil((days.max() - first) * DAY / _HOUR)) + 1
    rel = xr.concat(
        [release_point(source.lon, source.lat, from_days([t], ens.reference)[0], n) for t in starts],
        "particle",
    )
    rel = rel.assign_coords(particle=np.arange(rel.sizes["particle"]))
    f = ens.field.assign(uo=ens.field.uo * scale, vo=ens.field.vo * scale)
    seed = np.random.default_rng([ens.seed, int(ens.cost["runs"])])
    traj = simulate(
        f,
        rel,
        duration=steps * _HOUR,
        windage=windage,
        diffusivity=np.tile(np.append(np.full(n - 1, kh), 0.0), starts.size),
        land=ens.land,
        output_every=1,
        seed=seed,
        start=from_days([first], ens.reference)[0],
    )
    ens.cost["particle_steps"] += int(rel.sizes["particle"]) * steps
    ens.cost["runs"] += 1
    lon = traj.lon.values.reshape(starts.size, n, -1)
    lat = traj.lat.values.reshape(starts.size, n, -1)
    if ens.stationary:  # column = elapsed hours since each t0
        cols = np.rint((days[None, :] - t0[:, None]) * 24.0).astype(int)
        return lon[0][:, cols].transpose(1, 0, 2), lat[0][:, cols].transpose(1, 0, 2)
    cols = np.rint((days - first) * 24.0).astype(int)
    return lon[:, :, cols], lat[:, :, cols]


def kde_loglik(
    cloud_lon: np.ndarray,
    cloud_lat: np.ndarray,
    obs_lon: np.ndarray,
    obs_lat: np.ndarray,
    sd2: np.ndarray,
    tau: np.ndarray,
    kh_extra: np.ndarray,
) -> np.ndarray:
    """Log kernel density of the clouds at each sighting (nats).

    ``cloud_*`` (node, particle, sighting); ``tau`` (node, sighting) elapsed seconds; ``kh_extra`` (k,) the
    diffusivity added by the kernel. Returns (node, k, sighting).
    """
    east, north = displacement(cloud_lon, cloud_lat, obs_lon, obs_lat)
    n = cloud_lon.shape[1]
    spread = 0.5 * (east.var(1) + north.var(1))  # (node, sighting)
    h2 = spread * n ** (-1.0 / 3.0)
    # the kernel: the diffusion left out and the position error, at least Silverman's bandwidth for n clasts
    var = np.maximum(2.0 * kh_extra[:, None, None, None] * tau[None, :, None, :] + sd2, h2[None, :, None, :])
    r2 = (east**2 + north**2)[None]
    dens = logsumexp(-r2 / (2 * var), axis=2) - np.log(2 * np.pi * var[:, :, 0, :]) - np.log(n)
    return dens.transpose(1, 0, 2)


def log_likelihood(
    ens: Ensemble,
    source: Volcano,
    sightings: dict,
    axes: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Log likelihood of each sighting on the tensor grid ``axes`` (see :data:`AXES`), simulating as needed;
    shape (*grid, sighting).

    Also returns the mean drift velocity (m s-1) of each ``(t0, c, alpha)`` node's raft centre (the clast
    without diffusion) from the source to the last sighting, shape (t0, c, alpha, 2) for ``u``, ``v``.
    """
    t0, kh = axes["eruption_time"], np.exp(axes["log_diffusivity"])
    kh_ref = 0.5 * float(kh.min())
    days = sightings["day"]
    tau = (days[None, :] - t0[:, None]) * DAY
    out = np.empty([a.size for a in axes.values()] + [days.size])
    velocity = np.empty((*out.shape[:3], 2))
    for j, c in enumerate(np.exp(axes["log_current_scale"])):
        for k, w in enumerate(axes["windage"]):
            lon, lat = clouds(ens, source, t0, days, c, w, kh_ref)
            out[:, j, k] = kde_loglik(
                lon[:, :-1],
                lat[:, :-1],
                sightings["lon"],
                sightings["lat"],
                sightings["sd2"],
                tau,
                kh - kh_ref,
            )
            east, north = displacement(source.lon, source.lat, lon[:, -1, -1], lat[:, -1, -1])
            velocity[:, j, k] = np.stack([east, north], -1) / tau[:, -1:]
    return out, velocity


def _nearest(axis: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Index of the node of the evenly spaced ``axis`` nearest to each ``x``."""
    if axis.size == 1:
        return np.zeros(np.shape(x), int)
    return np.clip(np.rint((x - axis[0]) / (axis[1] - axis[0])), 0, axis.size - 1).astype(int)


def _interpolate(axes: dict[str, np.ndarray], table: np.ndarray, points: dict[str, np.ndarray]) -> np.ndarray:
    """Multilinear interpolation of ``table`` (on ``axes``, singleton axes allowed) at ``points``."""
    from scipy.interpolate import RegularGridInterpolator

    keep = [k for k, a in axes.items() if a.size > 1]
    sub = table.reshape([a.size for k, a in axes.items() if a.size > 1] + list(table.shape[len(axes) :]))
    if not keep:
        return np.broadcast_to(sub, (points[next(iter(axes))].size, *sub.shape)).copy()
    f = RegularGridInterpolator([axes[k] for k in keep], sub)
    return f(np.column_stack([points[k] for k in keep]))


def posterior(
    ens: Ensemble,
    sources: list[Volcano],
    log_weights: np.ndarray,
    sightings: dict,
    priors: dict[str, Prior],
    box: dict[str, tuple[float, float]],
    shape: dict[str, int],
    n: int,
    rng: np.random.Generator,
    passes: int = 6,
) -> tuple[np.ndarray, dict[str, np.ndarray], list[quadrature.GridPosterior]]:
    """Source probabilities and ``n`` draws by quadrature over ensembles (tier 2).

    A first grid for every source; further refinement passes only for sources whose probability after the
    first exceeds 1e-6. ``box``/``shape`` give the range and node count of every axis in :data:`AXES` (the
    current scale and the diffusivity on log axes).
    """
    logp = {
        "eruption_time": quadrature.prior_logp(priors["eruption_time"], *box["eruption_time"]),
        "current_scale": quadrature.prior_logp(priors["current_scale"], 0.0),
        "windage": quadrature.prior_logp(priors["windage"], 0.0, 1.0),
        "diffusivity": quadrature.prior_logp(priors["diffusivity"], 0.0),
    }

    velocity, pointwise = {}, {}  # per source: the tables of its latest grid

    def log_post(src: int):
        def f(pts: dict[str, np.ndarray]) -> np.ndarray:
            axes = {k: np.unique(pts[k]) for k in AXES}
            pointwise[src], velocity[src] = log_likelihood(ens, sources[src], sightings, axes)
            prior = logp["eruption_time"](pts["eruption_time"]) + logp["windage"](pts["windage"])
            for k in ("current_scale", "diffusivity"):  # on log axes: density of the log
                prior = prior + logp[k](np.exp(pts[f"log_{k}"])) + pts[f"log_{k}"]
            return pointwise[src].sum(-1).ravel() + prior

        return f

    grids = [quadrature.tabulate(log_post(s), box, shape) for s in range(len(sources))]
    z = np.array([g.log_evidence for g in grids]) + log_weights
    live = np.exp(z - logsumexp(z)) > 1e-6
    for s in np.flatnonzero(live):
        grids[s] = quadrature.refine(log_post(s), box, shape, passes - 1, grid=grids[s])

    def complete(src: int, draws: dict) -> dict:
        """Velocities of the raft centre (interpolated) and each sighting's log likelihood at the draw's
        node (the quadrature's density is constant on each node's cell)."""
        axes = {k: v for k, v in grids[src].axes.items() if k != "log_diffusivity"}
        uv = _interpolate(axes, velocity[src], draws)
        node = tuple(_nearest(a, draws[k]) for k, a in grids[src].axes.items())
        return {**draws, "u": uv[:, 0], "v": uv[:, 1], "log_likelihood": pointwise[src][node]}

    p, draws, _ = quadrature.combine(grids, log_weights, n, rng, complete=complete)
    for k in ("current_scale", "diffusivity"):
        draws[k] = np.exp(draws.pop(f"log_{k}"))
    return p, draws, grids
