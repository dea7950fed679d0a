"""Pumice drift: forcing fields, particle simulator, land mask, ensembles and hazard maps."""

from bayesgeo.drift.fields import field_bounds, make_field, open_field
from bayesgeo.drift.flows import (
    bickley_jet,
    double_gyre,
    great_circle_distance,
    northwest_pacific,
    solid_body_rotation,
    solid_body_rotation_exact,
    stommel_gyre,
    stommel_streamfunction,
    uniform_flow,
)
from bayesgeo.drift.landmask import is_land, land_mask
from bayesgeo.drift.release import release_disk, release_point, release_polygon
from bayesgeo.drift.simulate import simulate

__all__ = [
    "bickley_jet",
    "double_gyre",
    "field_bounds",
    "great_circle_distance",
    "is_land",
    "land_mask",
    "make_field",
    "northwest_pacific",
    "open_field",
    "release_disk",
    "release_point",
    "release_polygon",
    "simulate",
    "solid_body_rotation",
    "solid_body_rotation_exact",
    "stommel_gyre",
    "stommel_streamfunction",
    "uniform_flow",
]
