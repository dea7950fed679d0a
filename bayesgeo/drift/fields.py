"""Forcing fields: CF-convention ``xarray`` datasets of surface current and 10 m wind on a lon/lat grid.

A *field* in bayesgeo is an ``xarray.Dataset`` with dims (``time``, ``lat``, ``lon``), ascending 1-D
coordinates, and variables ``uo``/``vo`` (eastward/northward sea water velocity, m s-1) plus optionally
``uwind``/``vwind`` (eastward/northward 10 m wind, m s-1). A field with a single time is stationary.
:func:`open_field` turns any CF file or dataset (GLORYS, HYCOM, JCOPE, FORA, ERA5 winds, ...) into one,
checking names, units and grids at the boundary so the simulator can trust its inputs.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np
import xarray as xr

CURRENT_STANDARD_NAMES = {
    "uo": ("eastward_sea_water_velocity", "surface_eastward_sea_water_velocity"),
    "vo": ("northward_sea_water_velocity", "surface_northward_sea_water_velocity"),
}
WIND_STANDARD_NAMES = {"uwind": ("eastward_wind",), "vwind": ("northward_wind",)}
_FALLBACK_NAMES = {
    "uo": ("uo", "u", "water_u", "ucur", "u_surf"),
    "vo": ("vo", "v", "water_v", "vcur", "v_surf"),
    "uwind": ("uwind", "u10", "uas", "eastward_wind", "x_wind"),
    "vwind": ("vwind", "v10", "vas", "northward_wind", "y_wind"),
}
VELOCITY_UNITS = frozenset(
    {
        "m s-1",
        "m/s",
        "m s**-1",
        "m s^-1",
        "m.s-1",
        "m sec-1",
        "m/sec",
        "ms-1",
        "meter/second",
        "meters/second",
        "metre/second",
        "metres/second",
        "meter second-1",
        "meters second-1",
        "m*s-1",
    }
)
_LON_NAMES = ("lon", "longitude", "nav_lon", "x")
_LAT_NAMES = ("lat", "latitude", "nav_lat", "y")
_DEPTH_NAMES = ("depth", "deptht", "depthu", "lev", "z", "level", "height")
_ATTRS = {
    "uo": {"standard_name": "eastward_sea_water_velocity", "units": "m s-1", "long_name": "eastward current"},
    "vo": {
        "standard_name": "northward_sea_water_velocity",
        "units": "m s-1",
        "long_name": "northward current",
    },
    "uwind": {"standard_name": "eastward_wind", "units": "m s-1", "long_name": "eastward 10 m wind"},
    "vwind": {"standard_name": "northward_wind", "units": "m s-1", "long_name": "northward 10 m wind"},
}
STATIONARY_TIME = np.datetime64("2000-01-01T00:00:00", "ns")


def make_field(uo, vo, lon, lat, time=None, uwind=None, vwind=None, attrs: dict | None = None) -> xr.Dataset:
    """Build a bayesgeo field from arrays on a regular lon/lat grid.

    Parameters
    ----------
    uo, vo : array_like
        Eastward/northward current (m s-1), shape (time, lat, lon), or (lat, lon) for a stationary field.
    lon, lat : array_like
        Ascending grid coordinates (degrees east / north).
    time : array_like of datetime64, optional
        Times of the first axis; omitted for a stationary field.
    uwind, vwind : array_like, optional
        Eastward/northward 10 m wind (m s-1), same shape as ``uo``.
    attrs : dict, optional
        Global attributes (title, source, ...).
    """
    arrays = {"uo": uo, "vo": vo} | ({} if uwind is None else {"uwind": uwind, "vwind": vwind})
    if time is None:
        time = [STATIONARY_TIME]
        arrays = {k: np.asarray(a)[None] for k, a in arrays.items()}
    data_vars = {
        k: (("time", "lat", "lon"), np.asarray(a, dtype=np.float32), _ATTRS[k]) for k, a in arrays.items()
    }
    ds = xr.Dataset(
        data_vars,
        coords=_coords(
            np.asarray(lon, float), np.asarray(lat, float), np.asarray(time, dtype="datetime64[ns]")
        ),
    )
    ds.attrs.update({"Conventions": "CF-1.11"} | (attrs or {}))
    return ds


def _coords(lon, lat, time) -> dict:
    return {
        "time": ("time", time, {"standard_name": "time", "axis": "T"}),
        "lat": ("lat", lat, {"standard_name": "latitude", "units": "degrees_north", "axis": "Y"}),
        "lon": ("lon", lon, {"standard_name": "longitude", "units": "degrees_east", "axis": "X"}),
    }


def open_field(source, *, wind=None, fill_nan: float | None = None) -> xr.Dataset:
    """Open and check a forcing field (current, optional wind) from a file or dataset.

    Parameters
    ----------
    source : str, os.PathLike or xarray.Dataset
        NetCDF file, zarr store (``*.zarr``) or dataset holding the surface current. Variables are found by
        CF ``standard_name`` (eastward/northward_sea_water_velocity, eastward/northward_wind), else by
        common names (``uo``, ``water_u``, ``u10``, ...). Units must be CF velocity units (m s-1).
    wind : str, os.PathLike or xarray.Dataset, optional
        Separate 10 m wind; interpolated (bilinear, linear in time) onto the current's grid and times.
    fill_nan : float, optional
        Value for missing (NaN) velocities, e.g. ``0.0`` to treat model land points as still water.
        Without it NaN is an error when the simulator reads that part of the field.

    Returns
    -------
    xarray.Dataset
        ``uo``, ``vo`` (and ``uwind``, ``vwind``) on dims (``time``, ``lat``, ``lon``), lazily loaded when the
        source is a file.
    """
    ds = _as_dataset(source, "field")
    field = _standardise(ds, CURRENT_STANDARD_NAMES, "field")
    if wind is not None:
        wnd = _standardise(_as_dataset(wind, "wind"), WIND_STANDARD_NAMES, "wind")
        field = field.merge(_regrid_wind(wnd, field))
    elif all(_find_var(ds, k, WIND_STANDARD_NAMES[k]) for k in WIND_STANDARD_NAMES):
        field = field.merge(_standardise(ds, WIND_STANDARD_NAMES, "field"))
    if fill_nan is not None:
        field = field.fillna(fill_nan)
    field.attrs = dict(ds.attrs)
    return field


def _as_dataset(source, what: str) -> xr.Dataset:
    if isinstance(source, xr.Dataset):
        return source
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if not os.path.exists(path):
            raise ValueError(f"{what} file {path!r} does not exist")
        if path.rstrip("/").endswith(".zarr"):
            return xr.open_zarr(path)
        return xr.open_dataset(path)
    raise ValueError(f"{what} must be a file path or an xarray.Dataset, got {type(source).__name__}")


def _find_var(ds: xr.Dataset, key: str, standard_names: tuple[str, ...]) -> str | None:
    for name, var in ds.data_vars.items():
        if var.attrs.get("standard_name") in standard_names:
            return str(name)
    for name in _FALLBACK_NAMES[key]:
        if name in ds.data_vars:
            return name
    return None


def _find_coord(ds: xr.Dataset, names: tuple[str, ...], standard_name: str, what: str) -> str:
    candidates = [str(c) for c in ds.coords if ds[c].attrs.get("standard_name") == standard_name]
    candidates += [n for n in names if n in ds.coords or n in ds.dims]
    if not candidates:
        raise ValueError(
            f"{what} has no {standard_name} coordinate (looked for standard_name={standard_name!r} "
            f"or names {names})"
        )
    name = candidates[0]
    if ds[name].ndim != 1:
        raise ValueError(
            f"{what} {standard_name} coordinate {name!r} is {ds[name].ndim}-D; only regular "
            "(1-D lon, 1-D lat) grids are supported, regrid curvilinear fields first"
        )
    return name


def _standardise(ds: xr.Dataset, standard_names: dict, what: str) -> xr.Dataset:
    names = {}
    for key, std in standard_names.items():
        name = _find_var(ds, key, std)
        if name is None:
            raise ValueError(
                f"{what} has no variable with standard_name {std[0]!r} (or a name among "
                f"{_FALLBACK_NAMES[key]}); variables present: {sorted(map(str, ds.data_vars))}"
            )
        units = ds[name].attrs.get("units")
        if units is None:
            raise ValueError(
                f"{what} variable {name!r} has no 'units' attribute; expected CF velocity units 'm s-1'"
            )
        if str(units).strip().lower() not in VELOCITY_UNITS:
            raise ValueError(
                f"{what} variable {name!r} has units {units!r}; expected CF velocity units 'm s-1'"
            )
        names[key] = name
    lon = _find_coord(ds, _LON_NAMES, "longitude", what)
    lat = _find_coord(ds, _LAT_NAMES, "latitude", what)
    out = xr.Dataset({key: ds[name] for key, name in names.items()})
    out = out.rename({lon: "lon", lat: "lat"} if (lon, lat) != ("lon", "lat") else {})
    out = _select_surface(out, what)
    if "time" not in out.dims:
        out = out.expand_dims(time=[STATIONARY_TIME])
    if not np.issubdtype(out["time"].dtype, np.datetime64):
        raise ValueError(
            f"{what} time coordinate is not a date (dtype {out['time'].dtype}); give it CF "
            "'units' such as 'hours since 2021-01-01'"
        )
    out = out.transpose("time", "lat", "lon")
    for dim in ("lon", "lat", "time"):
        if np.unique(out[dim].values).size != out.sizes[dim]:
            raise ValueError(f"{what} {dim} coordinate has repeated values")
        out = out.sortby(dim)
    if out.sizes["lon"] < 2 or out.sizes["lat"] < 2:
        raise ValueError(
            f"{what} needs at least 2 longitudes and 2 latitudes, got {out.sizes['lon']} x {out.sizes['lat']}"
        )
    out = out.assign_coords(
        _coords(
            out.lon.values.astype(float),
            out.lat.values.astype(float),
            out.time.values.astype("datetime64[ns]"),
        )
    )
    for key in names:
        out[key].attrs = _ATTRS[key]
    return out


def _select_surface(ds: xr.Dataset, what: str) -> xr.Dataset:
    for dim in [d for d in ds.dims if d not in ("time", "lat", "lon")]:
        if ds.sizes[dim] == 1 or dim in _DEPTH_NAMES:
            index = int(np.argmin(np.abs(ds[dim].values))) if dim in ds.coords else 0
            ds = ds.isel({dim: index}, drop=True)
        else:
            raise ValueError(
                f"{what} has an extra dimension {dim!r} of size {ds.sizes[dim]}; expected only "
                "time, lat, lon (and a depth dimension)"
            )
    return ds


def _regrid_wind(wind: xr.Dataset, field: xr.Dataset) -> xr.Dataset:
    """Wind on the current's grid: bilinear in space and linear in time, like the simulator's sampling."""
    if wind.sizes["time"] == 1:
        return wind.isel(time=0, drop=True).interp(lon=field.lon, lat=field.lat).expand_dims(time=field.time)
    return wind.interp(lon=field.lon, lat=field.lat, time=field.time)


def spec_field(data: dict, spec, start: np.datetime64, end: np.datetime64) -> xr.Dataset:
    """The forcing field a spec's ``data.field`` names, covering ``start`` to ``end`` (UTC).

    ``builtin:northwest_pacific`` (:func:`~bayesgeo.drift.flows.northwest_pacific`, padded by 5 days either
    side) or a CF file read by :func:`open_field`, with ``data.wind`` as its separate 10 m wind; paths are
    resolved by ``spec.path``. Bad values raise :class:`~bayesgeo.errors.SpecError` naming the field.
    """
    from bayesgeo.drift import flows
    from bayesgeo.errors import SpecError

    value = data.get("field")
    if value is None:
        raise SpecError("data.field", "missing; expected builtin:northwest_pacific or a CF NetCDF path")
    if value == "builtin:northwest_pacific":
        pad = np.timedelta64(5, "D")
        return flows.northwest_pacific(str(start - pad), str(end + pad), wind=True)
    if isinstance(value, str) and value.startswith("builtin:"):
        raise SpecError("data.field", f"unknown built-in field {value!r}; expected builtin:northwest_pacific")
    wind = spec.path("data.wind", data["wind"]) if "wind" in data else None
    try:
        f = open_field(spec.path("data.field", value), wind=wind)
    except ValueError as exc:
        raise SpecError("data.field", str(exc).splitlines()[0]) from None
    t0, t1 = f.time.values[0], f.time.values[-1]
    if f.sizes["time"] > 1 and (start < t0 or end > t1):
        raise SpecError(
            "data.field",
            f"covers {str(t0)[:16]} to {str(t1)[:16]} but the runs need {str(start)[:16]} to {str(end)[:16]}",
        )
    return f


def field_bounds(field: xr.Dataset) -> tuple[float, float, float, float]:
    """``(lon_min, lon_max, lat_min, lat_max)`` of a field, in degrees."""
    return (float(field.lon[0]), float(field.lon[-1]), float(field.lat[0]), float(field.lat[-1]))


def lon_period(field: xr.Dataset) -> float:
    """360 for a global field whose longitudes wrap around, else 0."""
    lon = field.lon.values
    step = (lon[-1] - lon[0]) / (lon.size - 1)
    return 360.0 if abs(lon[-1] - lon[0] + step - 360.0) < 1e-6 * 360 else 0.0


class FieldArrays(NamedTuple):
    """A time window of a field laid out for the compiled kernel (times in s since the run's epoch).

    ``data[iy, ix, it, var]`` holds ``uo, vo[, uwind, vwind]`` (float32, m s-1) so that the values a particle
    needs at one grid corner, both time levels and all variables, share a cache line.
    """

    time: np.ndarray  # (nt,) float64 s
    lon: np.ndarray  # (nx,) float64 degrees east, one wrapped column appended for periodic fields
    lat: np.ndarray  # (ny,) float64 degrees north
    inv_step: np.ndarray  # (3,) inverse mean spacing of time, lon, lat
    uniform: np.ndarray  # (3,) bool: axis evenly spaced (index without search)
    data: np.ndarray  # (ny, nx, nt, 2 or 4) float32 m s-1
    lon_period: float


def _axis_info(axis: np.ndarray) -> tuple[float, bool]:
    if axis.size < 2:
        return 0.0, True
    step = (axis[-1] - axis[0]) / (axis.size - 1)
    return 1.0 / step, bool(np.allclose(np.diff(axis), step, rtol=1e-6, atol=0.0))


def field_window(field: xr.Dataset, epoch: np.datetime64, i0: int, i1: int) -> FieldArrays:
    """Load time steps ``i0..i1`` (inclusive) of ``field``, checking for NaN."""
    sub = field.isel(time=slice(i0, i1 + 1))
    period = lon_period(field)
    keys = [k for k in ("uo", "vo", "uwind", "vwind") if k in sub]
    data = np.empty(
        (sub.sizes["lat"], sub.sizes["lon"] + bool(period), sub.sizes["time"], len(keys)), np.float32
    )
    for j, key in enumerate(keys):
        a = sub[key].values
        if np.isnan(a).any():
            bad = np.argwhere(np.isnan(a))[0]
            raise ValueError(
                f"field variable {key!r} is NaN at time={sub.time.values[bad[0]]}, "
                f"lat={sub.lat.values[bad[1]]:.3f}, lon={sub.lon.values[bad[2]]:.3f}; "
                "use open_field(..., fill_nan=0.0) to treat missing values as still water"
            )
        a = np.moveaxis(a, 0, -1)
        data[:, : a.shape[1], :, j] = a
        if period:
            data[:, -1, :, j] = a[:, 0]
    lon = field.lon.values.astype(np.float64)
    if period:
        lon = np.append(lon, lon[0] + 360.0)
    time = ((sub.time.values - epoch) / np.timedelta64(1, "s")).astype(np.float64)
    lat = field.lat.values.astype(np.float64)
    info = [_axis_info(a) for a in (time, lon, lat)]
    return FieldArrays(
        time, lon, lat, np.array([i for i, _ in info]), np.array([u for _, u in info]), data, period
    )
