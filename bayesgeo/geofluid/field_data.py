"""Sections of cells: the synthetic NE-Japan generator, built-in sections, and reading/checking user files.

A section is an ``xarray.Dataset`` on dims ``(z, x)`` (a cross-section; ``z`` depth, ``x`` distance, km) or
``(x,)`` (a profile) holding

* ``vp``, ``vs`` (km/s) and optionally ``conductivity`` (S/m): the observations;
* optionally ``vp_sd``, ``vs_sd`` (km/s), ``log10_conductivity_sd``: per-cell standard deviations (> 0);
* optionally ``pressure`` (GPa) and ``temperature`` (deg C), per cell or on ``z`` only (a depth profile);
* optionally ``porosity_true``, ``aspect_ratio_true``, ``aspect_ratio_ec_true``: a known truth (synthetic
  data), used only to report errors and coverage.

Files are NetCDF (variables as above) or CSV (one row per cell, columns ``x``, optional ``z``, and the
variables). Every problem is a :class:`~bayesgeo.errors.SpecError` naming the field and the cell.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from bayesgeo import gmrf
from bayesgeo.errors import SpecError
from bayesgeo.geofluid.field_model import DEFAULT_PRIORS, FIELDS, constants, predict, spectrum

OBSERVED = ("vp", "vs", "conductivity")
SDS = ("vp_sd", "vs_sd", "log10_conductivity_sd")
PROFILE = ("pressure", "temperature")
TRUTH = tuple(f"{f}_true" for f in FIELDS)
KM_S = ("km/s", "km s-1", "km.s-1", "km s^-1")
UNITS = {
    "vp": KM_S,
    "vs": KM_S,
    "vp_sd": KM_S,
    "vs_sd": KM_S,
    "conductivity": ("S/m", "S m-1", "S.m-1", "S m^-1"),
    "log10_conductivity_sd": ("1", "", "dex", "log10(S/m)"),
    "pressure": ("GPa",),
    "temperature": ("degC", "deg C", "°C", "C", "degree_Celsius", "celsius"),
    **{t: ("1", "") for t in TRUTH},
}
ATTRS = {
    "vp": ("km s-1", "P-wave velocity"),
    "vs": ("km s-1", "S-wave velocity"),
    "conductivity": ("S m-1", "electrical conductivity"),
    "vp_sd": ("km s-1", "standard deviation of vp"),
    "vs_sd": ("km s-1", "standard deviation of vs"),
    "log10_conductivity_sd": ("1", "standard deviation of log10 conductivity"),
    "pressure": ("GPa", "pressure"),
    "temperature": ("degC", "temperature"),
    "porosity_true": ("1", "true porosity"),
    "aspect_ratio_true": ("1", "true pore aspect ratio"),
    "aspect_ratio_ec_true": ("1", "true aspect ratio of the conductive network"),
}
GRID_DIMS = (("z", "x"), ("x",))

# --- synthetic sections -------------------------------------------------------------------------------


def geotherm(z_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pressure (GPa, mean overburden density 3000 kg/m3) and temperature (deg C, 900 at 30 km, 4 K/km)."""
    return 0.0294 * z_km, 900.0 + 4.0 * (z_km - 30.0)


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _bump(u, w, u0, w0, su, sw):
    return np.exp(-0.5 * (((u - u0) / su) ** 2 + ((w - w0) / sw) ** 2))


def ne_japan_truth(u: np.ndarray, w: np.ndarray, conduit: bool = True) -> tuple[np.ndarray, ...]:
    """Logit fields of the NE-Japan-like mantle wedge on normalised coordinates ``u`` (across the arc) and
    ``w`` (depth): three smooth melt-rich patches with flatter pores, and (with ``conduit``) one sharp
    vertical melt conduit.
    """
    patches = (
        1.0 * _bump(u, w, 0.25, 0.65, 0.07, 0.25)
        + 0.75 * _bump(u, w, 0.47, 0.35, 0.05, 0.20)
        + 0.55 * _bump(u, w, 0.85, 0.60, 0.06, 0.30)
    )
    body = (np.abs(u - 0.65) < 0.035) & (w > 0.3) & conduit
    phi = np.where(body, _logit(0.06), _logit(0.004) + 2.3 * patches)
    alpha = np.where(body, _logit(0.02), _logit(0.2) - 1.5 * patches + 0.4 * (u - 0.5))
    alpha_ec = np.where(body, _logit(0.005), _logit(0.03) - 1.0 * patches)
    return phi, alpha, alpha_ec


def simulate(
    shape: tuple[int, ...] = (30, 80),
    truth: str = "ne_japan",
    *,
    lithology: str = "spinel_lherzolite",
    liquid: str = "melt",
    vp_sd: float = 0.05,
    vs_sd: float = 0.03,
    conductivity_sd: float | None = None,
    prior: str = "gmrf",
    tau: tuple[float, ...] = (0.3, 0.3, 0.3),
    level: tuple[float, ...] | None = None,
    seed: int = 0,
    depth_km: tuple[float, float] = (30.0, 50.0),
    length_km: float = 250.0,
) -> xr.Dataset:
    """A synthetic section with known porosity and aspect ratio, observed through the forward model + noise.

    Parameters
    ----------
    shape : tuple
        ``(nz, nx)`` cells of a cross-section spanning ``depth_km`` and ``length_km``, or ``(nx,)`` for a
        profile at 40 km depth.
    truth : {"ne_japan", "ne_japan_smooth", "prior"}
        ``ne_japan``: a NE-Japan-like mantle wedge around 40 km depth (peridotite + melt, smooth patches and
        one sharp conduit, :func:`ne_japan_truth`); ``ne_japan_smooth``: the same without the conduit;
        ``prior``: logit fields drawn from the ``prior``
        smoothness prior (``gmrf`` or ``gmrf2``) with scales ``tau``, field means ``level`` (logit units;
        default: the means of :data:`DEFAULT_PRIORS`).
    lithology, liquid : str
        Host rock and pore liquid of the forward model.
    vp_sd, vs_sd : float
        Noise standard deviations (km/s).
    conductivity_sd : float, optional
        Noise s.d. of log10 conductivity; when given, conductivity is simulated too (with a third field,
        the aspect ratio of the conductive network, and a solid conductivity of 1e-3 S/m).
    seed : int
        Seed of the truth draw and the noise.

    Returns
    -------
    xarray.Dataset
        A section in the format of this module, with the truth as ``<field>_true``.
    """
    rng = np.random.default_rng(seed)
    n_fields = 3 if conductivity_sd is not None else 2
    if len(shape) == 2:
        nz, nx = shape
        z = depth_km[0] + (np.arange(nz) + 0.5) * (depth_km[1] - depth_km[0]) / nz
        dims = ("z", "x")
    else:
        (nx,), z, dims = shape, np.array([40.0]), ("x",)
    x = (np.arange(nx) + 0.5) * length_km / nx
    if truth in ("ne_japan", "ne_japan_smooth"):
        uu, ww = np.meshgrid(x / length_km, (z - depth_km[0]) / (depth_km[1] - depth_km[0]), indexing="xy")
        fields = ne_japan_truth(uu, ww, conduit=truth == "ne_japan")
        eta = np.stack(fields[:n_fields]).reshape(n_fields, *shape)
    elif truth == "prior":
        g = spectrum(tuple(shape), prior)
        level = level or [DEFAULT_PRIORS[f"logit_{f}"].parameters["mu"] for f in FIELDS]
        eta = np.stack(
            [
                m + gmrf.prior_draw(tuple(shape), g, t**-2, rng)
                for m, t in zip(level[:n_fields], tau[:n_fields], strict=True)
            ]
        )
    else:
        raise ValueError(f"unknown truth {truth!r}; expected 'ne_japan', 'ne_japan_smooth' or 'prior'")
    zz = np.broadcast_to(z[:, None] if len(shape) == 2 else z, shape)
    p, t = geotherm(zz)
    c = constants(lithology, liquid, p, t)
    clean = predict(list(eta.reshape(n_fields, -1)), c)
    sds = [vp_sd, vs_sd, conductivity_sd][:n_fields]
    noisy = [(f + s * rng.standard_normal(f.shape)).reshape(shape) for f, s in zip(clean, sds, strict=True)]
    data = {"vp": noisy[0], "vs": noisy[1], "vp_sd": np.full(shape, vp_sd), "vs_sd": np.full(shape, vs_sd)}
    if n_fields == 3:
        data |= {"conductivity": 10 ** noisy[2], "log10_conductivity_sd": np.full(shape, conductivity_sd)}
    data |= {"pressure": p, "temperature": t}
    data |= {f"{f}_true": 1 / (1 + np.exp(-e)) for f, e in zip(FIELDS, eta, strict=False)}
    coords = {"x": ("x", x, {"units": "km", "long_name": "distance across the arc"})}
    if len(shape) == 2:
        coords["z"] = ("z", z, {"units": "km", "long_name": "depth"})
    ds = xr.Dataset({k: (dims, np.asarray(v, float)) for k, v in data.items()}, coords=coords)
    for k, (units, name) in ATTRS.items():
        if k in ds:
            ds[k].attrs.update(units=units, long_name=name)
    ds.attrs.update(
        description=f"synthetic section ({truth}), {lithology} + {liquid}",
        lithology=lithology,
        liquid=liquid,
        truth=truth,
        seed=seed,
    )
    return ds


#: Built-in sections (``data.cells = "builtin:NAME"``): name -> keyword arguments of :func:`simulate`.
BUILTIN: dict[str, dict] = {
    "ne_japan": {"shape": (30, 80), "seed": 1},
    "ne_japan_small": {"shape": (12, 32), "seed": 2},
    "ne_japan_profile": {"shape": (120,), "seed": 3},
    "ne_japan_mt": {"shape": (12, 32), "seed": 4, "conductivity_sd": 0.1},
}

# --- reading and checking -----------------------------------------------------------------------------


def read_cells(field: str, value, base_dir: Path) -> xr.Dataset:
    """A checked section from ``builtin:NAME``, a NetCDF (``.nc``) or a CSV (``.csv``) file."""
    if isinstance(value, str) and value.startswith("builtin:"):
        name = value.removeprefix("builtin:")
        if name not in BUILTIN:
            raise SpecError(field, f"unknown built-in section {name!r}; expected one of {sorted(BUILTIN)}")
        return check_cells(field, simulate(**BUILTIN[name]))
    if not isinstance(value, str):
        raise SpecError(field, f"expected builtin:NAME or a path to a .nc or .csv file, got {value!r}")
    path = Path(value) if Path(value).is_absolute() else base_dir / value
    if not path.is_file():
        raise SpecError(field, f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix not in (".nc", ".csv"):
        raise SpecError(field, f"expected a .nc or .csv file, got {path.name}")
    try:
        if suffix == ".csv":
            ds = _from_table(field, pd.read_csv(path))
        else:
            with xr.open_dataset(path) as f:
                ds = f.load()
    except SpecError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable file
        raise SpecError(field, f"cannot read {path} ({str(exc).splitlines()[0]})") from None
    return check_cells(field, ds)


def _from_table(field: str, df: pd.DataFrame) -> xr.Dataset:
    """One row per cell -> a full grid; duplicated or missing cells are errors."""
    if "x" not in df.columns:
        raise SpecError(field, f"the table needs a column 'x'; it has {list(df.columns)}")
    index = ["z", "x"] if "z" in df.columns else ["x"]
    dup = df.duplicated(index)
    if dup.any():
        raise SpecError(field, f"cell {_where(df.loc[dup.idxmax(), index])} appears more than once")
    ds = df.set_index(index).to_xarray()
    if len(index) == 2 and len(df) < ds.sizes["z"] * ds.sizes["x"]:
        full = pd.MultiIndex.from_product([ds["z"].values, ds["x"].values], names=index)
        z0, x0 = full.difference(df.set_index(index).index)[0]
        raise SpecError(
            field,
            f"{full.size - len(df)} of the {full.size} cells of the z x x grid are missing (e.g. z={z0}, "
            f"x={x0}); expected one row per cell",
        )
    return ds


def _where(loc) -> str:
    return ", ".join(f"{k}={v}" for k, v in dict(loc).items())


def check_cells(field: str, ds: xr.Dataset) -> xr.Dataset:
    """Check names, dims, units, NaN and ranges; the known variables broadcast on ``(z, x)`` or ``(x,)``."""
    for name in ("vp", "vs"):
        if name not in ds:
            raise SpecError(field, f"no variable {name!r}; the cells need 'vp' and 'vs' (km/s)")
    dims = ds["vp"].dims
    if tuple(sorted(dims)) == ("x", "z"):
        ds, dims = ds.transpose("z", "x", ...), ("z", "x")
    if dims not in GRID_DIMS:
        raise SpecError(field, f"'vp' has dims {dims}; expected ('z', 'x') or ('x',)")
    if min(ds.sizes[d] for d in dims) < 2:
        raise SpecError(field, f"expected at least 2 cells along each of {dims}, got {dict(ds.sizes)}")
    known = [v for v in (*OBSERVED, *SDS, *PROFILE, *TRUTH) if v in ds]
    out = {}
    for name in known:
        da = ds[name]
        allowed = [dims, ("z",), ()] if name in PROFILE and dims == ("z", "x") else [dims, ()]
        if da.dims not in allowed:
            raise SpecError(
                field, f"{name!r} has dims {da.dims} (shape {da.shape}); expected {dims} like 'vp'"
            )
        units = da.attrs.get("units")
        if units is not None and units not in UNITS[name]:
            raise SpecError(field, f"{name!r} is in {units!r}; expected {UNITS[name][0]}")
        try:
            da = da.astype(float)
        except (TypeError, ValueError):
            raise SpecError(field, f"{name!r} is not numeric (dtype {da.dtype})") from None
        bad = ~np.isfinite(da.values)
        if bad.any():
            raise SpecError(
                field, f"{name!r} has {bad.sum()} NaN or infinite values (first at {_cell(da, bad)})"
            )
        out[name] = da.broadcast_like(ds["vp"])
    _check_ranges(field, out)
    coords = {d: ds[d].values if d in ds.coords else np.arange(ds.sizes[d]) for d in dims}
    cells = xr.Dataset(out).assign_coords(coords)
    for d in dims:
        if d in ds.coords:
            cells[d].attrs = dict(ds[d].attrs)
    cells.attrs = {k: v for k, v in ds.attrs.items() if k in ("description", "lithology", "liquid")}
    return cells


def _cell(da: xr.DataArray, mask: np.ndarray) -> str:
    if da.ndim == 0:
        return "the scalar value"
    first = np.unravel_index(int(np.argmax(mask)), mask.shape)
    return ", ".join(
        f"{d}={da[d].values[i] if d in da.coords else i}" for d, i in zip(da.dims, first, strict=True)
    )


def _check_ranges(field: str, v: dict[str, xr.DataArray]) -> None:
    limits = {
        "vp": (1.0, 15.0, "km/s"),
        "vs": (0.5, 10.0, "km/s"),
        "conductivity": (1e-8, 1e4, "S/m"),
        "vp_sd": (0.0, 5.0, "km/s"),
        "vs_sd": (0.0, 5.0, "km/s"),
        "log10_conductivity_sd": (0.0, 5.0, ""),
        "pressure": (0.0, 10.0, "GPa"),
        "temperature": (-20.0, 1600.0, "deg C"),
        **{t: (0.0, 1.0, "") for t in TRUTH},
    }
    for name, da in v.items():
        lo, hi, unit = limits[name]
        strict = name in SDS or name in TRUTH or name == "conductivity"
        bad = ((da <= lo) if strict else (da < lo)) | (da > hi)
        if bool(bad.any()):
            value = float(da.values[bad.values][0]) if da.ndim else float(da)
            rel = ">" if strict else ">="
            raise SpecError(
                field,
                f"{name!r} = {value:g} {unit} at {_cell(da, bad.values)} is out of range; "
                f"expected {rel} {lo:g} and <= {hi:g} {unit}".rstrip(),
            )
    faster = v["vs"] >= v["vp"]
    if bool(faster.any()):
        raise SpecError(field, f"vs >= vp at {_cell(v['vs'], faster.values)}; expected vs < vp")
