"""Pumice drift: forcing fields, particle simulator, land mask, ensembles and hazard maps."""

from bayesgeo.drift.ensemble import load_ensemble, run_ensemble, save_ensemble
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
from bayesgeo.drift.hazard import JAPAN_REGIONS, hazard_by_cell, hazard_by_region
from bayesgeo.drift.landmask import is_land, land_mask
from bayesgeo.drift.plots import (
    plot_arrival_density,
    plot_arrival_times,
    plot_coastline,
    plot_hazard,
    plot_trajectories,
)
from bayesgeo.drift.release import release_disk, release_point, release_polygon
from bayesgeo.drift.simulate import simulate
from bayesgeo.drift.sources import HAZARD_SOURCES, IZU_BONIN_CANDIDATES, Volcano, sources_dataset

__all__ = [
    "HAZARD_SOURCES",
    "IZU_BONIN_CANDIDATES",
    "JAPAN_REGIONS",
    "Volcano",
    "hazard_by_cell",
    "hazard_by_region",
    "load_ensemble",
    "plot_arrival_density",
    "plot_arrival_times",
    "plot_coastline",
    "plot_hazard",
    "plot_trajectories",
    "run_ensemble",
    "save_ensemble",
    "sources_dataset",
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
