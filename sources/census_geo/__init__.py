"""Census Bureau geography: cartographic boundaries, county ids, the tract relationship file, tribes by area.
``spec`` says where the files come from; ``boundaries`` reads them. No Dagster import; geopandas is imported inside
the functions that need it, so the code location stays quick to load."""

from sources.census_geo.boundaries import (
    BoundaryError,
    add_equal_area_km2,
    read_boundary_layer,
    read_county_ids,
    read_tract_relationship,
    read_tribes_by_area,
    repair_geometries,
)
from sources.census_geo.spec import layer_source, relationship_source

__all__ = [
    "BoundaryError",
    "add_equal_area_km2",
    "layer_source",
    "read_boundary_layer",
    "read_county_ids",
    "read_tract_relationship",
    "read_tribes_by_area",
    "relationship_source",
    "repair_geometries",
]
