"""The ``denoise`` case study through the spec: validate inputs, fit, build the result tree, list figures.

``y = x + e``, ``e ~ N(0, sigma^2)``; the prior on the image ``x`` is the spec's ``model.variant``.
Gaussian variants (``gmrf``, ``gmrf2``, ``car``) integrate ``x`` out exactly (:mod:`.gaussian`). The others
(``tv``, ``student_t``, ``ising``) choose their hyperparameters by marginal likelihood (SAPG) and sample the
image at the estimate (:mod:`.proximal`, :mod:`.scale_mixture`, :mod:`.ising`): empirical Bayes.

For comparing priors, :func:`has_exact_evidence` says when a fit carries an exact log evidence and
:func:`heldout_score` scores any variant by predicting held-out pixels (used by :func:`bayesgeo.api.compare`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import xarray as xr
from pymc_extras.prior import Prior

from bayesgeo import datasets, gmrf, inference
from bayesgeo.diagnostics import gaussian_summary, summarize
from bayesgeo.errors import SpecError
from bayesgeo.gmrf import BOUNDARIES
from bayesgeo.heldout import Holdout, gaussian_loglik, pointwise_lpd
from bayesgeo.priors import SMOOTHNESS
from bayesgeo.spec import Inference, Spec, check_keys, choice, merge_priors, number

from . import gaussian, predictive
from .sapg import mad_sigma

GAUSSIAN = tuple(SMOOTHNESS)
EMPIRICAL = ("tv", "student_t", "ising")
VARIANTS = GAUSSIAN + EMPIRICAL
DATA_KEYS = ("image", "noise_sigma", "truth", "boundary", "noise_model")
METHODS = {"auto": "exact", "exact": "exact", "nuts": "nuts", "map": "map"}
#: per-variant parameters of the image prior, declared as ``[priors.image]`` (defaults)
IMAGE_PRIOR_OPTIONS = {"student_t": {"nu": 0.1}}
#: posterior draws behind a held-out score (exact draws, or kept chain draws; Ising: every sweep)
HELDOUT_DRAWS = 100
MAD = "MAD of Haar wavelet details"


def default_priors(scale: float) -> dict[str, Prior]:
    """Half-normal hyperpriors whose scale is the image's standard deviation (so defaults are unit-free)."""
    return {
        "sigma": Prior("HalfNormal", sigma=scale),
        "tau": Prior("HalfNormal", sigma=scale),
        "kappa": Prior("HalfNormal", sigma=1.0),
    }


@dataclass(frozen=True)
class Problem:
    """Validated inputs of one denoising fit (image units throughout)."""

    y: np.ndarray
    variant: str
    priors: dict[str, Prior]
    noise_sigma: float | None = None
    truth: np.ndarray | None = None
    boundary: str = "neumann"
    units: str = ""
    noise_method: str = "inferred"
    options: dict = field(default_factory=dict)


def read_image(field: str, value, spec: Spec) -> tuple[np.ndarray, str]:
    """A 2-D float image from ``builtin:NAME``, a ``.npy`` or a ``.png`` file (values as stored)."""
    if isinstance(value, str) and value.startswith("builtin:"):
        name = value.removeprefix("builtin:")
        if name not in datasets.IMAGES:
            raise SpecError(
                field, f"unknown built-in image {name!r}; expected one of {sorted(datasets.IMAGES)}"
            )
        img, units = datasets.load_image(name), datasets.IMAGES[name][1]
    else:
        path = spec.path(field, value)
        img, units = _read_file(field, path), ""
    if img.ndim != 2:
        raise SpecError(field, f"expected a 2-D (grey-level) image, got shape {img.shape}")
    if min(img.shape) < 4:
        raise SpecError(field, f"expected an image of at least 4 x 4 pixels, got shape {img.shape}")
    if not np.all(np.isfinite(img)):
        raise SpecError(field, f"the image has {np.count_nonzero(~np.isfinite(img))} NaN or infinite pixels")
    return img, units


def _read_file(field: str, path: Path) -> np.ndarray:
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            img = np.load(path, allow_pickle=False)
        elif suffix == ".png":
            from PIL import Image

            with Image.open(path) as im:
                img = np.asarray(im)
            if img.ndim == 3:  # grey stored as RGB(A): accept only if the colour channels agree
                rgb = img[..., :3]
                if not (
                    np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2])
                ):
                    raise SpecError(
                        field, f"expected a grey-level PNG, got a colour image of shape {img.shape}"
                    )
                img = rgb[..., 0]
        else:
            raise SpecError(field, f"expected a .npy or .png file, got {path.name}")
    except SpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - unreadable file of any kind
        raise SpecError(field, f"cannot read {path} ({exc})") from None
    if img.dtype.kind not in "biuf":
        raise SpecError(field, f"expected a numeric image, got dtype {img.dtype}")
    return np.asarray(img, dtype=float)


def prepare(spec: Spec) -> Problem:
    """Validate the spec's sections for this case and load the image."""
    variant = choice("model.variant", spec.variant or "gmrf", VARIANTS)
    data = spec.section("data")
    check_keys(data, DATA_KEYS, "data")
    check_keys(spec.section("switches"), (), "switches")
    if "image" not in data:
        raise SpecError("data.image", "missing; expected a path to a .npy or .png file or builtin:NAME")
    y, units = read_image("data.image", data["image"], spec)
    noise, noise_method = _noise_sigma(data.get("noise_sigma"), y)
    truth = None
    if "truth" in data:
        truth, _ = read_image("data.truth", data["truth"], spec)
        if truth.shape != y.shape:
            raise SpecError("data.truth", f"expected the shape of data.image {y.shape}, got {truth.shape}")
    boundary = choice("data.boundary", data.get("boundary", "neumann"), BOUNDARIES)
    options = _image_prior_options(variant, spec.section("priors").get("image", {}))
    if variant == "ising":
        options["noise"] = choice(
            "data.noise_model", data.get("noise_model", "gaussian"), ("gaussian", "flip")
        )
    elif "noise_model" in data:
        raise SpecError("data.noise_model", f"only the ising variant takes a noise model, not {variant!r}")
    hyper_priors = {k: v for k, v in spec.section("priors").items() if k != "image"}
    defaults = default_priors(float(np.std(y))) if variant in GAUSSIAN else {}
    priors = merge_priors(defaults, hyper_priors)
    allowed = METHODS if variant in GAUSSIAN else {"auto": "empirical Bayes"}
    if spec.inference.method not in allowed:
        raise SpecError(
            "inference.method",
            f"{spec.inference.method!r} is not available for denoise variant "
            f"{variant!r}; expected one of {sorted(allowed)}",
        )
    return Problem(y, variant, priors, noise, truth, boundary, units, noise_method, options)


def _noise_sigma(value, y: np.ndarray) -> tuple[float | None, str]:
    """Known noise s.d. (a number), the robust wavelet estimate (``"mad"``), or inferred (absent)."""
    if value is None:
        return None, "inferred"
    if value == "mad":
        return mad_sigma(y), MAD
    return number("data.noise_sigma", value, low=0.0, strict=True, unit="(image units) or 'mad'"), "given"


def _image_prior_options(variant: str, table) -> dict:
    """``[priors.image]``: optional ``dist`` (must name the variant) and the variant's parameters."""
    defaults = IMAGE_PRIOR_OPTIONS.get(variant, {})
    check_keys(table, ("dist", *defaults), "priors.image")
    if table.get("dist", variant) != variant:
        raise SpecError("priors.image.dist", f"{table['dist']!r} disagrees with model.variant = {variant!r}")
    out = dict(defaults)
    for key in defaults:
        if key in table:
            out[key] = number(f"priors.image.{key}", table[key], low=0.0, strict=True)
    return out


def fit(problem: Problem, settings: Inference) -> xr.DataTree:
    """Fit one problem; returns the result tree (``/posterior``, ``/summary``, data groups, attributes)."""
    groups, attrs = (_fit_gaussian if problem.variant in GAUSSIAN else _fit_empirical)(problem, settings)
    coords = {"y": np.arange(problem.y.shape[0]), "x": np.arange(problem.y.shape[1])}
    groups = {
        k: v.assign_coords({d: coords[d] for d in ("y", "x") if d in v.dims}) for k, v in groups.items()
    }
    groups["observed_data"] = xr.Dataset({"image": (("y", "x"), problem.y)}, coords=coords)
    if problem.variant != "ising":
        groups["predictive_check"] = _predictive_check(problem, groups, np.random.default_rng(settings.seed))
    attrs |= {
        "case": "denoise",
        "variant": problem.variant,
        "boundary": problem.boundary,
        "noise_sigma_method": problem.noise_method,
    }
    if problem.noise_sigma is not None:
        attrs["noise_sigma"] = problem.noise_sigma
    if problem.truth is not None:
        groups["reference"] = xr.Dataset({"image": (("y", "x"), problem.truth)}, coords=coords)
        attrs |= {
            "psnr_db": psnr(groups["summary"]["image"].values, problem.truth),
            "psnr_noisy_db": psnr(problem.y, problem.truth),
        }
        if "map" in groups:
            attrs["psnr_map_db"] = psnr(groups["map"]["image"].values, problem.truth)
    tree = xr.DataTree.from_dict(groups)
    tree.attrs.update(attrs)
    return tree


def _fit_gaussian(problem: Problem, settings: Inference) -> tuple[dict, dict]:
    """Exact path: hyperparameters by quadrature, NUTS or MAP; the image integrated out in closed form."""
    rng = np.random.default_rng(settings.seed)
    prior = SMOOTHNESS[problem.variant]
    spec = gaussian.Spectrum.of(problem.y, problem.boundary)
    method = METHODS[settings.method]
    draws = min(settings.draws, 250) if settings.quick else settings.draws
    groups = {}
    if method == "nuts":
        model = gaussian.build_model(spec, prior, problem.priors, problem.noise_sigma)
        tree = inference.fit(model, settings, "nuts")
        post_ds = tree["posterior"].to_dataset()
        groups["sample_stats"] = tree["sample_stats"].to_dataset()
        flat = post_ds.stack(sample=("chain", "draw"))
        thin = slice(None, None, max(1, flat.sizes["sample"] // 256))
        tau = flat["tau"].values[thin]
        sigma = (
            flat["sigma"].values[thin]
            if problem.noise_sigma is None
            else np.full(tau.size, problem.noise_sigma)
        )
        hyper = gaussian.from_draws(sigma, tau, {k: flat[k].values[thin] for k in prior.hyper})
        post_ds = post_ds.drop_vars([v for v in post_ds.data_vars if v not in ("sigma", "tau", *prior.hyper)])
        log_ev = np.nan
    else:
        hyper = _integrate_hyperparameters(problem, spec, method)
        pts = gaussian.sample_points(hyper, settings.chains * draws, rng)
        if problem.noise_sigma is not None:
            pts.pop("sigma")
        post_ds = xr.Dataset(
            {k: (("chain", "draw"), v.reshape(settings.chains, draws)) for k, v in pts.items()},
            coords={"chain": np.arange(settings.chains), "draw": np.arange(draws)},
        )
        log_ev = hyper.log_evidence
    post_ds = _annotate(post_ds, problem.units)
    mean, var = gaussian.field_moments(spec, prior, hyper, rng)
    img = xr.DataArray(
        mean, dims=("y", "x"), attrs={"long_name": "restored image (posterior mean)", "units": problem.units}
    )
    image = gaussian_summary("image", img, xr.DataArray(np.sqrt(var), dims=("y", "x")))
    groups |= {"posterior": post_ds, "summary": xr.merge([summarize(post_ds), image])}
    attrs = {
        "inference_method": method,
        "log_evidence": log_ev,
        "log_evidence_method": "quadrature over hyperparameters" if method == "exact" else "none",
    }
    return groups, attrs


def _integrate_hyperparameters(
    problem: Problem, spec: gaussian.Spectrum, method: str
) -> gaussian.HyperPosterior:
    """Hyperparameter posterior of a Gaussian variant: quadrature (``exact``) or type-II MAP (``map``)."""
    integrate = gaussian.quadrature if method == "exact" else gaussian.mode
    beta_known = None if problem.noise_sigma is None else problem.noise_sigma**-2
    return integrate(spec, SMOOTHNESS[problem.variant], problem.priors, beta_known)


def _run_empirical(problem: Problem, settings: Inference, weight: np.ndarray | None = None) -> xr.Dataset:
    """Run the variant's empirical-Bayes fit (``weight`` 0: held-out pixels); its result dataset.

    ``inference.tune`` sets the SAPG iterations and ``inference.draws`` the posterior sweeps.
    """
    from .ising import fit_ising
    from .proximal import fit_tv
    from .scale_mixture import fit_student_t

    n_iter, n_samples = (
        (min(settings.tune, 300), min(settings.draws, 300))
        if settings.quick
        else (settings.tune, settings.draws)
    )
    common = {
        "n_iter": n_iter,
        "n_samples": n_samples,
        "seed": settings.seed,
        "progress": settings.progress,
        "weight": weight,
    }
    sigma = problem.noise_sigma
    if problem.variant == "tv":
        return fit_tv(problem.y, sigma, n_keep=HELDOUT_DRAWS, **common)
    if problem.variant == "student_t":
        return fit_student_t(problem.y, sigma, nu=problem.options["nu"], n_keep=HELDOUT_DRAWS, **common)
    return fit_ising(problem.y, noise=problem.options["noise"], sigma=sigma, **common)


def _fit_empirical(problem: Problem, settings: Inference) -> tuple[dict, dict]:
    """Non-Gaussian priors: hyperparameters by marginal likelihood (SAPG), image sampled at the estimate.

    Hyperparameter draws in ``/posterior`` come from the Laplace approximation of the marginal likelihood at
    the estimate.
    """
    res = _run_empirical(problem, settings)
    hyper = {"tv": "theta", "student_t": "scale", "ising": "coupling"}[problem.variant]
    stats = ("", "_sd", "_q05", "_q95")
    image = res[[f"image{s}" for s in stats]]
    image["image"].attrs.update(long_name="restored image (posterior mean)", units=problem.units)
    estimated = [v for v in (hyper, "sigma", "flip") if v in res and f"{v}_sd" in res]
    draws = min(settings.draws, 250) if settings.quick else settings.draws
    post = _laplace_draws(res, estimated, settings.chains, draws, np.random.default_rng(settings.seed))
    summary = xr.merge([image, summarize(post)]) if estimated else image
    point = [v for v in (hyper, "sigma", "flip", "levels") if v in res and f"{v}_sd" not in res]
    groups = {
        "posterior": post,
        "summary": summary,
        "sapg": res[[v for v in res.data_vars if v.endswith("_trace")]],
    }
    if point:
        groups["estimates"] = res[point]
    if "image_map" in res:
        groups["map"] = xr.Dataset({"image": res["image_map"]})
    if "image_draws" in res:
        groups["image_draws"] = xr.Dataset({"image": res["image_draws"]})
    if "probability" in res:
        groups["labels"] = res[["probability", "label"]]
    attrs = {
        "inference_method": "empirical Bayes (SAPG) + " + res.attrs.get("sampler", "MCMC"),
        "log_evidence": np.nan,
        "log_evidence_method": "none",
        **{k: res.attrs[k] for k in ("prior", "sampler") if k in res.attrs},
    }
    return groups, attrs


def _laplace_draws(res: xr.Dataset, names: list[str], chains: int, draws: int, rng) -> xr.Dataset:
    """Log-normal draws of the estimated hyperparameters from their Laplace approximation (approximate)."""
    out = {}
    for v in names:
        m, sd = float(res[v]), float(res[f"{v}_sd"])
        log_sd = sd / m if np.isfinite(sd) else 0.0
        out[v] = (
            ("chain", "draw"),
            m * np.exp(log_sd * rng.standard_normal((chains, draws))),
            dict(res[v].attrs) | {"approximation": "Laplace (log scale) at the marginal-likelihood estimate"},
        )
    return xr.Dataset(out, coords={"chain": np.arange(chains), "draw": np.arange(draws)})


def _predictive_check(problem: Problem, groups: dict, rng: np.random.Generator, n: int = 20) -> xr.Dataset:
    """Neighbour-difference check of ``n`` prior (Gaussian variants) and posterior predictive noisy images."""
    post = groups["posterior"]
    pick = rng.choice(post.sizes["chain"] * post.sizes["draw"], n, replace=False)
    draw = {k: post[k].values.ravel()[pick] for k in post.data_vars}
    if problem.noise_sigma:
        sigma = np.full(n, problem.noise_sigma)
    else:
        sigma = draw["sigma"] if "sigma" in draw else np.full(n, float(groups["estimates"]["sigma"]))
    if problem.variant in GAUSSIAN:
        prior = SMOOTHNESS[problem.variant]
        lam = gmrf.laplacian_eigenvalues(problem.y.shape, problem.boundary)
        x = [
            gmrf.draw(
                problem.y,
                prior.g(lam, **{k: draw[k][i] for k in prior.hyper}),
                draw["tau"][i] ** -2,
                sigma[i] ** -2,
                rng,
                problem.boundary,
            )
            for i in range(n)
        ]
        prior_y = [simulate_prior(problem, rng)[0].y for _ in range(n)]
    else:
        images = groups["image_draws"]["image"].values
        x, prior_y = images[rng.choice(images.shape[0], n)], []
    replicates = [xi + rng.normal(scale=si, size=xi.shape) for xi, si in zip(x, sigma, strict=True)]
    return predictive.check(problem.y, prior_y, replicates, problem.units)


def _annotate(post: xr.Dataset, units: str) -> xr.Dataset:
    names = {
        "sigma": "noise standard deviation",
        "tau": "prior scale of neighbour differences",
        "kappa": "CAR inverse correlation length",
    }
    for k in post.data_vars:
        post[k].attrs.update(long_name=names.get(k, k), units="1/cell" if k == "kappa" else units)
    return post


def psnr(x: np.ndarray, truth: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB, with the peak taken as the reference's range."""
    peak = float(np.ptp(truth)) or 1.0
    return float(10 * np.log10(peak**2 / np.mean((x - truth) ** 2)))


def figures(tree: xr.DataTree) -> dict:
    """Figure factories saved by the CLI next to ``result.nc``."""
    from . import plots

    figs = {"denoise_panels": lambda: plots.panels(tree).flat[0].figure}
    if tree["posterior"].data_vars:
        figs["denoise_hyperparameters"] = lambda: plots.hyperparameters(tree).flat[0].figure
    if "predictive_check" in tree.children:
        figs["denoise_predictive_check"] = lambda: plots.predictive_check(tree).flat[0].figure
    if "sapg" in tree.children:
        figs["denoise_sapg"] = lambda: plots.sapg_traces(tree).flat[0].figure
    return figs


def simulate_prior(problem: Problem, rng: np.random.Generator) -> tuple[Problem, dict[str, float]]:
    """Draw hyperparameters from the priors, an image from the GMRF prior and noisy data (for SBC).

    The flat constant mode is set to the mean of the problem's image. Returns the new problem and the truth.
    """
    import pymc as pm

    prior = SMOOTHNESS[problem.variant]
    names = ("tau", *prior.hyper, *(() if problem.noise_sigma else ("sigma",)))
    truth = {
        k: float(
            pm.draw(problem.priors[k].pymc_distribution.dist(**problem.priors[k].parameters), random_seed=rng)
        )
        for k in names
    }
    lam = gmrf.laplacian_eigenvalues(problem.y.shape, problem.boundary)
    g = prior.g(lam, **{k: truth[k] for k in prior.hyper})
    x = problem.y.mean() + gmrf.prior_draw(problem.y.shape, g, truth["tau"] ** -2, rng, problem.boundary)
    sigma = problem.noise_sigma or truth["sigma"]
    y = x + rng.normal(scale=sigma, size=x.shape)
    return replace(problem, y=y, truth=x), truth


def has_exact_evidence(problem: Problem, settings: Inference) -> bool:
    """True when :func:`fit` reports an exact log evidence (Gaussian variant, hyperparameters by quadrature).

    All Gaussian variants leave only the constant unpenalised, so their evidences compare exactly.
    """
    return problem.variant in GAUSSIAN and METHODS[settings.method] == "exact"


def heldout_score(problem: Problem, settings: Inference, holdout: Holdout) -> xr.DataArray:
    """Held-out pixel predictive score: ``log p(y_i | y_observed)`` (nats) for each held-out pixel.

    The pixels of ``holdout.mask`` get weight 0 in the likelihood and the model is fitted to the others; then
    ``log p(y_i | y_obs) = log E[N(y_i; x_i, sigma^2)]`` over ``HELDOUT_DRAWS`` posterior draws of ``x_i``
    (and ``sigma``) by log-mean-exp (:func:`bayesgeo.heldout.pointwise_lpd`).

    * Gaussian variants: exact draws of the masked posterior by perturbation-optimisation
      (:func:`bayesgeo.gmrf.masked_draw`), each at a hyperparameter draw from the quadrature (``map``: the
      mode) on the **full** image — the masked evidence has no spectral form, so the hyperparameters have
      seen the held-out pixels (a small optimism: two or three parameters fitted to ~N pixels). The
      expectation over ``x_i`` given the rest of each draw is exact (Gaussian; Rao-Blackwellised);
    * ``tv``, ``student_t``, ``ising``: the empirical-Bayes fit (SAPG; Ising: stochastic-approximation
      EM) with pixel-weighted data terms, so the hyperparameters, including ``sigma``, are estimated on the
      observed pixels; the draws are the sampler's kept draws (Ising: every sweep), with plug-in ``sigma``.

    A ``noise_sigma = "mad"`` is re-estimated on the observed pixels. Returns a DataArray on dim ``heldout``
    (flat pixel indices) with attributes ``variant``, ``hyperparameters`` (what they were estimated on),
    ``n_draws`` and ``time_s``.
    """
    start = time.perf_counter()
    held = holdout.mask(problem.y.shape)
    weight = (~held).astype(float)
    if problem.noise_method == MAD:
        problem = replace(problem, noise_sigma=mad_sigma(problem.y, weight))
    y = problem.y[held]
    if problem.variant in GAUSSIAN:
        method = "map" if METHODS[settings.method] == "map" else "exact"
        rng = np.random.default_rng(settings.seed)
        spec = gaussian.Spectrum.of(problem.y, problem.boundary)
        pts = gaussian.sample_points(_integrate_hyperparameters(problem, spec, method), HELDOUT_DRAWS, rng)
        prior = SMOOTHNESS[problem.variant]
        x, var = gaussian.heldout_draws(problem.y, weight, prior, pts, problem.boundary, rng)
        loglik = gaussian_loglik(y, x, np.sqrt(var + pts["sigma"][:, None] ** 2))
        source = "full image (" + ("quadrature" if method == "exact" else "type-II MAP") + ")"
    else:
        res = _run_empirical(problem, settings, weight)
        x = res["heldout_draws"].values
        if problem.options.get("noise") == "flip":
            eps = float(res["flip"])
            loglik = np.where(x == y, np.log1p(-eps), np.log(eps))
        else:
            loglik = gaussian_loglik(y, x, float(res["sigma"]))
        source = "observed pixels (empirical Bayes)"
    return xr.DataArray(
        pointwise_lpd(loglik),
        dims="heldout",
        coords={"heldout": np.flatnonzero(held)},
        name="lpd",
        attrs={
            "units": "nats",
            "long_name": "log predictive density of the held-out pixel",
            "variant": problem.variant,
            "hyperparameters": source,
            "n_draws": x.shape[0],
            "time_s": time.perf_counter() - start,
        },
    )


def demo_spec() -> dict:
    """The quick built-in example: the noisy camera under a first-order GMRF, everything inferred."""
    return {
        "model": {"case": "denoise", "variant": "gmrf"},
        "data": {"image": "builtin:camera_noisy25", "truth": "builtin:camera"},
        "inference": {"method": "exact", "seed": 1},
    }
