"""The ``denoise`` case study through the spec: validate inputs, fit, build the result tree, list figures.

``y = x + e``, ``e ~ N(0, sigma^2)``; the prior on the image ``x`` is the spec's ``model.variant``.
Gaussian variants (``gmrf``, ``gmrf2``, ``car``) integrate ``x`` out exactly (:mod:`.gaussian`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import xarray as xr
from pymc_extras.prior import Prior

from bayesgeo import datasets, gmrf, inference
from bayesgeo.diagnostics import gaussian_summary, summarize
from bayesgeo.errors import SpecError
from bayesgeo.gmrf import BOUNDARIES
from bayesgeo.priors import SMOOTHNESS
from bayesgeo.spec import Inference, Spec, check_keys, choice, merge_priors, number

from . import gaussian

GAUSSIAN = tuple(SMOOTHNESS)
VARIANTS = GAUSSIAN
DATA_KEYS = ("image", "noise_sigma", "truth", "boundary")
METHODS = {"auto": "exact", "exact": "exact", "nuts": "nuts", "map": "map"}


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
    noise = data.get("noise_sigma")
    noise = (
        None
        if noise is None
        else number("data.noise_sigma", noise, low=0.0, strict=True, unit="(image units)")
    )
    truth = None
    if "truth" in data:
        truth, _ = read_image("data.truth", data["truth"], spec)
        if truth.shape != y.shape:
            raise SpecError("data.truth", f"expected the shape of data.image {y.shape}, got {truth.shape}")
    boundary = choice("data.boundary", data.get("boundary", "neumann"), BOUNDARIES)
    priors = merge_priors(default_priors(float(np.std(y))), spec.section("priors"))
    if spec.inference.method not in METHODS:
        raise SpecError(
            "inference.method",
            f"{spec.inference.method!r} is not available for denoise variant "
            f"{variant!r}; expected one of {sorted(METHODS)}",
        )
    return Problem(y, variant, priors, noise, truth, boundary, units)


def fit(problem: Problem, settings: Inference) -> xr.DataTree:
    """Fit one problem; returns the result tree (``/posterior``, ``/summary``, data groups, attributes)."""
    rng = np.random.default_rng(settings.seed)
    prior = SMOOTHNESS[problem.variant]
    spec = gaussian.Spectrum.of(problem.y, problem.boundary)
    beta_known = None if problem.noise_sigma is None else problem.noise_sigma**-2
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
        sigma = (
            flat["sigma"].values[thin]
            if problem.noise_sigma is None
            else np.full(flat["tau"].values[thin].size, problem.noise_sigma)
        )
        hyper = gaussian.from_draws(
            sigma, flat["tau"].values[thin], {k: flat[k].values[thin] for k in prior.hyper}
        )
        post_ds = post_ds.drop_vars([v for v in post_ds.data_vars if v not in ("sigma", "tau", *prior.hyper)])
        log_ev = np.nan
    else:
        hyper = (gaussian.quadrature if method == "exact" else gaussian.mode)(
            spec, prior, problem.priors, beta_known
        )
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
    coords = {"y": np.arange(problem.y.shape[0]), "x": np.arange(problem.y.shape[1])}
    img = xr.DataArray(
        mean,
        dims=("y", "x"),
        coords=coords,
        attrs={"long_name": "restored image (posterior mean)", "units": problem.units},
    )
    summary = xr.merge(
        [
            summarize(post_ds),
            gaussian_summary("image", img, xr.DataArray(np.sqrt(var), dims=("y", "x"), coords=coords)),
        ]
    )
    groups |= {
        "posterior": post_ds,
        "summary": summary,
        "observed_data": xr.Dataset({"image": (("y", "x"), problem.y)}, coords=coords),
    }
    attrs = {
        "case": "denoise",
        "variant": problem.variant,
        "inference_method": method,
        "boundary": problem.boundary,
        "log_evidence": log_ev,
        "log_evidence_method": "quadrature over hyperparameters" if method == "exact" else "none",
    }
    if problem.truth is not None:
        groups["reference"] = xr.Dataset({"image": (("y", "x"), problem.truth)}, coords=coords)
        attrs |= {"psnr_db": psnr(mean, problem.truth), "psnr_noisy_db": psnr(problem.y, problem.truth)}
    tree = xr.DataTree.from_dict(groups)
    tree.attrs.update(attrs)
    return tree


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

    return {
        "denoise_panels": lambda: plots.panels(tree).flat[0].figure,
        "denoise_hyperparameters": lambda: plots.hyperparameters(tree).flat[0].figure,
    }


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


def demo_spec() -> dict:
    """The quick built-in example: the noisy camera under a first-order GMRF, everything inferred."""
    return {
        "model": {"case": "denoise", "variant": "gmrf"},
        "data": {"image": "builtin:camera_noisy25", "truth": "builtin:camera"},
        "inference": {"method": "exact", "seed": 1},
    }
