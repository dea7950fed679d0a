"""Offline land mask from the ``global-land-mask`` package (GLOBE 30 arc-second, ~1 km, MIT licence).

The package ships the global mask (21600 x 43200 booleans) as one compressed ``.npz`` member. Importing the
package inflates all of it (~1 GB); here the member is decompressed as a stream and only the rows and columns
of the requested box are kept, so cropping a regional mask needs a few MB of memory and well under a second.
Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import os
import zipfile

import numpy as np
import xarray as xr

RESOLUTION = 1.0 / 120.0  # degrees per mask cell (30 arc-seconds)
_NLAT, _NLON = 21600, 43200


def _mask_file() -> str:
    spec = importlib.util.find_spec("global_land_mask")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the land mask needs the 'global-land-mask' package (pip install global-land-mask)")
    return os.path.join(spec.submodule_search_locations[0], "globe_combined_mask_compressed.npz")


def _read_ocean_rows(row0: int, row1: int) -> np.ndarray:
    """Rows ``row0:row1`` (north to south) of the global ocean mask, decompressed as a stream."""
    with zipfile.ZipFile(_mask_file()) as zf, zf.open("mask.npy") as f:
        np.lib.format.read_magic(f)
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        if shape != (_NLAT, _NLON) or fortran or dtype != np.bool_:
            raise ValueError(f"unexpected global-land-mask layout {shape}, {dtype}")
        skip = row0 * _NLON
        while skip > 0:
            skip -= len(f.read(min(skip, 1 << 24)))
        buf = f.read((row1 - row0) * _NLON)
    return np.frombuffer(buf, dtype=np.bool_).reshape(row1 - row0, _NLON)


def land_mask(lon_min: float, lon_max: float, lat_min: float, lat_max: float) -> xr.DataArray:
    """Boolean land mask (True on land) covering a lon/lat box, at 1/120 degree.

    Parameters
    ----------
    lon_min, lon_max : float
        Longitude range (degrees east); any convention (-180..180 or 0..360) as long as ``lon_min < lon_max``
        and the span is at most 360. The returned longitudes follow the same convention.
    lat_min, lat_max : float
        Latitude range (degrees north).

    Returns
    -------
    xarray.DataArray
        ``land`` on dims (``lat``, ``lon``), ascending cell-centre coordinates; lakes count as land.
    """
    if not (lon_min < lon_max and lon_max - lon_min <= 360.0):
        raise ValueError(
            f"land mask longitude range must satisfy lon_min < lon_max <= lon_min + 360, "
            f"got {lon_min}..{lon_max}"
        )
    if not (-90.0 <= lat_min < lat_max <= 90.0):
        raise ValueError(
            f"land mask latitude range must satisfy -90 <= lat_min < lat_max <= 90, got {lat_min}..{lat_max}"
        )
    row0 = int(np.floor((90.0 - lat_max) / RESOLUTION))
    row1 = min(int(np.ceil((90.0 - lat_min) / RESOLUTION)), _NLAT)
    col0 = int(np.floor((lon_min + 180.0) / RESOLUTION))
    col1 = int(np.ceil((lon_max + 180.0) / RESOLUTION))
    cols = np.arange(col0, col1) % _NLON  # wraps across the dateline
    land = ~_read_ocean_rows(row0, row1)[::-1][:, cols]
    lat = 90.0 - (np.arange(row0, row1)[::-1] + 0.5) * RESOLUTION
    lon = -180.0 + (np.arange(col0, col1) + 0.5) * RESOLUTION
    return xr.DataArray(
        land,
        dims=("lat", "lon"),
        coords={
            "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
        },
        name="land",
        attrs={
            "long_name": "land (True) or sea (False)",
            "source": "global-land-mask (GLOBE 30 arc-second)",
            "resolution_deg": RESOLUTION,
        },
    )


def is_land(mask: xr.DataArray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where points fall on a land cell of ``mask``; points outside the mask count as sea."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    res = float(mask.attrs.get("resolution_deg", mask.lon[1] - mask.lon[0]))
    lon0 = float(mask.lon[0]) - res / 2
    lat0 = float(mask.lat[0]) - res / 2
    j = np.floor(((lon - lon0) % 360.0) / res).astype(np.int64)
    i = np.floor((lat - lat0) / res).astype(np.int64)
    inside = (i >= 0) & (i < mask.sizes["lat"]) & (j >= 0) & (j < mask.sizes["lon"])
    out = np.zeros(np.broadcast(lon, lat).shape, dtype=bool)
    out[inside] = mask.values[i[inside], j[inside]]
    return out
