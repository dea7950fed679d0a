"""Built-in images, available offline and named in specs as ``builtin:NAME``.

Noisy versions add white Gaussian noise with a fixed seed and no clipping, so their noise model is exact.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

NOISE_SEED = 20251125


def _camera() -> np.ndarray:
    from skimage import data

    return data.camera().astype(float)


def _dem() -> np.ndarray:
    import matplotlib.cbook as cbook

    return cbook.get_sample_data("jacksboro_fault_dem.npz")["elevation"].astype(float)


def _blobs() -> np.ndarray:
    from skimage import data

    return data.binary_blobs(128, blob_size_fraction=0.08, rng=3).astype(float)


def _noisy(clean: Callable[[], np.ndarray], sigma: float) -> Callable[[], np.ndarray]:
    def make() -> np.ndarray:
        x = clean()
        return x + np.random.default_rng(NOISE_SEED).normal(scale=sigma, size=x.shape)

    make.__doc__ = f"{clean.__doc__ or ''} plus N(0, {sigma}^2) noise"
    return make


#: name -> (loader, units, description)
IMAGES: dict[str, tuple[Callable[[], np.ndarray], str, str]] = {
    "camera": (_camera, "8-bit grey level", "skimage.data.camera(), 512 x 512"),
    "camera_noisy15": (_noisy(_camera, 15.0), "8-bit grey level", "camera + white noise, sigma = 15"),
    "camera_noisy25": (_noisy(_camera, 25.0), "8-bit grey level", "camera + white noise, sigma = 25"),
    "camera_noisy50": (_noisy(_camera, 50.0), "8-bit grey level", "camera + white noise, sigma = 50"),
    "dem": (_dem, "m", "Jacksboro fault DEM (matplotlib sample data), 344 x 403, 3 arc-second cells"),
    "dem_noisy": (_noisy(_dem, 20.0), "m", "Jacksboro DEM + white noise, sigma = 20 m"),
    "blobs": (_blobs, "label (0/1)", "skimage.data.binary_blobs, 128 x 128"),
    "blobs_noisy": (_noisy(_blobs, 0.6), "label (0/1)", "binary blobs + white noise, sigma = 0.6"),
}


def load_image(name: str) -> np.ndarray:
    """A built-in image by name (see :data:`IMAGES`)."""
    if name not in IMAGES:
        raise KeyError(name)
    return IMAGES[name][0]()
