"""CDC PLACES county estimates: ``spec`` (releases, where their bytes are), ``socrata`` (live paging),
``gis`` and ``long`` (the two formats), ``parse`` (whichever format the landed files are), ``common``. No Dagster import."""

from sources.cdc_places.common import COLUMNS, GIS_BLANK, PlacesError
from sources.cdc_places.gis import parse_places_gis
from sources.cdc_places.long import parse_places_long, read_landed_pages
from sources.cdc_places.parse import parse_places_files
from sources.cdc_places.socrata import SocrataPages, fetch_socrata
from sources.cdc_places.spec import load_places_releases

__all__ = [
    "COLUMNS",
    "GIS_BLANK",
    "PlacesError",
    "SocrataPages",
    "fetch_socrata",
    "load_places_releases",
    "parse_places_files",
    "parse_places_gis",
    "parse_places_long",
    "read_landed_pages",
]
