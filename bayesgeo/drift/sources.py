"""Candidate pumice sources: the seven volcanoes of the Japanese hazard study and other Izu-Bonin volcanoes.

Coordinates are vent/summit positions in degrees (WGS84). Island volcanoes (Miyakejima, Nishinoshima, Ioto)
and Izu-Tobu (on the Izu Peninsula) lie on or next to land: release particles in a disk around them with the
land mask so that only sea points are kept (:func:`~bayesgeo.drift.release_disk` with ``land=``).

References
----------
GVP: Global Volcanism Program, Smithsonian Institution, Volcanoes of the World (volcano.si.edu), volcano
pages and weekly reports (volcano numbers 283010, 284040, 284096, 284100, 284120, 284130, 284132).
volcanodiscovery.com volcano pages (Bayonnaise Rocks 31.88N 139.92E; Sumisujima 31.44N 140.05E).
JMA: Japan Meteorological Agency, National Catalogue of the Active Volcanoes in Japan, "99. Submarine
Volcano NNE of Iriomotejima" (24°34'N, 123°56'E).
Nishikawa, H., Kuwatani, T., Tada, N., Kayama Watanabe, H. (2023) Simulated distributions of pumice rafts in
Japan following eruptions at volcanic islands and submarine volcanoes. Progress in Earth and Planetary
Science 10, doi:10.1186/s40645-023-00552-4 (the seven hazard-study sources).
"""

from __future__ import annotations

from typing import NamedTuple

import xarray as xr


class Volcano(NamedTuple):
    """A candidate pumice source (lon, lat in degrees; ``ref`` names the source of the coordinates)."""

    name: str
    lon: float
    lat: float
    ref: str


HAZARD_SOURCES: tuple[Volcano, ...] = (
    Volcano(
        "Submarine volcano NNE of Iriomotejima", 123.933, 24.567, "JMA catalogue no. 99: 24°34'N 123°56'E"
    ),
    Volcano("Izu-Tobu", 139.098, 34.900, "GVP 283010"),
    Volcano("Miyakejima", 139.526, 34.094, "GVP 284040"),
    Volcano("Bayonnaise Rocks", 139.917, 31.883, "GVP / volcanodiscovery: 31°53'N 139°55'E"),
    Volcano("Nishinoshima", 140.874, 27.247, "GVP 284096"),
    Volcano("Kaitoku Seamount", 141.102, 26.127, "GVP 284100"),
    Volcano("Fukutoku-Oka-no-Ba", 141.481, 24.285, "GVP 284130"),
)
"""The seven sources of Nishikawa et al. (2023), west to east along the arcs."""

IZU_BONIN_CANDIDATES: tuple[Volcano, ...] = (
    Volcano(
        "Myojinsho", 140.02, 31.92, "NE rim of the Bayonnaise caldera, ~10 km ENE of the rocks (approx.)"
    ),
    Volcano("Sumisujima", 140.05, 31.44, "Smith Rocks; volcanodiscovery 31.44N 140.05E"),
    Volcano("Nishinoshima", 140.874, 27.247, "GVP 284096"),
    Volcano("Kaitoku Seamount", 141.102, 26.127, "GVP 284100"),
    Volcano("Ioto", 141.289, 24.751, "GVP 284120"),
    Volcano("Fukutoku-Oka-no-Ba", 141.481, 24.285, "GVP 284130"),
    Volcano("Minami-Hiyoshi Seamount", 141.935, 23.500, "JMA/Wikipedia 23°30'00\"N 141°56'06\"E"),
    Volcano("Nikko Seamount", 142.326, 23.078, "GVP 284132"),
)
"""Izu-Bonin volcanoes that produce pumice rafts, candidates for source inference (issue 7)."""


def sources_dataset(volcanoes=HAZARD_SOURCES) -> xr.Dataset:
    """Volcanoes as a dataset on dim ``source`` (names as coordinate) with ``lon``, ``lat`` and ``ref``."""
    return xr.Dataset(
        {
            "lon": ("source", [v.lon for v in volcanoes], {"units": "degrees_east"}),
            "lat": ("source", [v.lat for v in volcanoes], {"units": "degrees_north"}),
            "ref": ("source", [v.ref for v in volcanoes]),
        },
        coords={"source": [v.name for v in volcanoes]},
    )
