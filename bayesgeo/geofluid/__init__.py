"""Geofluid case study: rock physics of liquid-bearing rock (physics layer).

Precomputed constants per (P, T) (NumPy, cached): :func:`solid_properties` (lithology table of
:func:`list_lithologies`) and :func:`liquid_properties`. Differentiable forward functions taking an array
namespace ``xp`` (NumPy or ``pytensor.tensor``): the elastic schemes of ``ELASTIC_SCHEMES`` (default
:func:`takei2002`) and :func:`log10_conductivity` (schemes in ``CONDUCTIVITY_SCHEMES``, default DEM).
"""

from bayesgeo.geofluid.conductivity import (
    CONDUCTIVITY_SCHEMES,
    dem_conductivity,
    hashin_shtrikman_bounds,
    log10_conductivity,
    mori_tanaka_conductivity,
)
from bayesgeo.geofluid.elastic import (
    ELASTIC_SCHEMES,
    berryman_self_consistent,
    composite_density,
    contiguity_skeleton_moduli,
    skeleton_moduli,
    takei2002,
    undrained_moduli,
    velocities,
)
from bayesgeo.geofluid.liquids import (
    BRINE_LAWS,
    FLUID_CONDUCTIVITY_LAWS,
    MELT_CONDUCTIVITY_LAWS,
    MELT_ELASTIC_LAWS,
    liquid_properties,
    water_properties,
)
from bayesgeo.geofluid.solid import (
    list_lithologies,
    lithology_modes,
    mineral_properties,
    rock_properties,
    solid_properties,
)

__all__ = [
    "BRINE_LAWS",
    "CONDUCTIVITY_SCHEMES",
    "ELASTIC_SCHEMES",
    "FLUID_CONDUCTIVITY_LAWS",
    "MELT_CONDUCTIVITY_LAWS",
    "MELT_ELASTIC_LAWS",
    "berryman_self_consistent",
    "composite_density",
    "contiguity_skeleton_moduli",
    "dem_conductivity",
    "hashin_shtrikman_bounds",
    "liquid_properties",
    "list_lithologies",
    "lithology_modes",
    "log10_conductivity",
    "mineral_properties",
    "mori_tanaka_conductivity",
    "rock_properties",
    "skeleton_moduli",
    "solid_properties",
    "takei2002",
    "undrained_moduli",
    "velocities",
    "water_properties",
]
