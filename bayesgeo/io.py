"""Result files: atomic NetCDF writes of an ``xarray.DataTree`` and its figures, with provenance."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import xarray as xr

RESULT_NAME = "result.nc"


def provenance() -> dict[str, str]:
    """Versions and time stamp stored as root attributes of every result."""
    import arviz
    import pymc

    from bayesgeo import __version__

    return {
        "bayesgeo_version": __version__,
        "pymc_version": pymc.__version__,
        "arviz_version": arviz.__version__,
        "python_version": platform.python_version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


@contextmanager
def atomic_path(path: Path):
    """Yield a temporary path in the same folder; rename it onto ``path`` only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _netcdf_safe(ds: xr.Dataset) -> xr.Dataset:
    """Drop object-dtype variables (e.g. sampler messages) and turn attrs NetCDF cannot hold into JSON."""
    ds = ds.drop_vars([k for k, v in ds.variables.items() if v.dtype.kind == "O" and k not in ds.coords])
    for k, c in ds.coords.items():
        if c.dtype.kind == "O":
            ds = ds.assign_coords({k: c.astype(str)})
    ds.attrs = {k: _attr(v) for k, v in ds.attrs.items() if v is not None}
    for v in ds.variables.values():
        v.attrs = {k: _attr(a) for k, a in v.attrs.items() if a is not None}
    return ds


def _attr(value):
    if isinstance(value, str | int | float | np.integer | np.floating):
        return value
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, list | tuple | np.ndarray) and all(isinstance(x, int | float) for x in value):
        return np.asarray(value)
    return json.dumps(value, default=str)


def write_result(tree: xr.DataTree, out_dir: str | Path) -> Path:
    """Write ``tree`` to ``out_dir/result.nc`` atomically; returns the path."""
    path = Path(out_dir) / RESULT_NAME
    clean = xr.DataTree.from_dict({node.path: _netcdf_safe(node.to_dataset()) for node in tree.subtree})
    clean.attrs = {k: _attr(v) for k, v in tree.attrs.items()}
    with atomic_path(path) as tmp:
        clean.to_netcdf(tmp, engine="h5netcdf")
    return path


def read_result(path: str | Path) -> xr.DataTree:
    """Open a result file (or a folder holding ``result.nc``) fully into memory."""
    p = Path(path)
    p = p / RESULT_NAME if p.is_dir() else p
    with xr.open_datatree(p, engine="h5netcdf") as tree:
        return tree.load()


def save_figure(fig, path: Path, dpi: int = 120) -> Path:
    """Save a matplotlib figure atomically as PNG and close it."""
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def save_figures(figures: dict[str, Callable[[], object]], out_dir: Path) -> list[Path]:
    """Render and save named figure factories as ``out_dir/NAME.png``, in the package style."""
    from bayesgeo.plots import use_style

    use_style()
    return [save_figure(make(), Path(out_dir) / f"{name}.png") for name, make in figures.items()]
