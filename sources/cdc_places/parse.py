"""CDC PLACES: model-based county prevalence estimates (percent of adults) with 95% confidence intervals.

Why a module of its own: CDC publishes the same county estimates in two shapes, and the pipeline needs one.
- The GIS-friendly CSV is wide: per county, ``<MEASURE>_CrudePrev``, ``<MEASURE>_Crude95CI``, ``<MEASURE>_AdjPrev``
  and ``<MEASURE>_Adj95CI``, with each interval as padded text such as ``"( 6.6,  7.5)"``. It has no year and no
  footnote column.
- The long format (the "County Data" CSV export, and the same dataset through the Socrata API at data.cdc.gov, whose
  JSON keys are the CSV's column names lower-cased) has one row per county x measure x crude/age-adjusted, with
  numeric confidence limits, the BRFSS ``Year`` and a footnote that explains a missing value.
Both are read into one long frame with the columns in ``COLUMNS`` (one row per county x variable), so a PLACES
indicator looks the same whichever file or API it came from.

Strictness, as in ``sources/wa_doh_life_expectancy.py``: an interval that is not ``(low, high)``, a value that is not
a number, a missing column or field, a county FIPS that is not 4-5 digits, limits that do not bracket the estimate,
or a county/variable that appears twice is a ``PlacesError`` naming the file or source, the record (line number and
county FIPS), the field and the value. A missing value is never guessed: in the long format it must come with a
footnote, which becomes the row's ``annotation``; in the GIS file (no footnotes) a blank value with a blank
interval is a null with ``GIS_BLANK``.

Data years: one PLACES release mixes BRFSS years. ``vintage`` (and ``period``) is the BRFSS year of each estimate,
not the release: the long format states it per row (``Year``); for the GIS file it comes from ``GIS_DATA_YEARS``.

Live mode (``sources/cdc_places/socrata.py``) pages through the Socrata dataset and lands every page, by content
hash, before anything parses it; :func:`parse_places_files` reads whichever format the landed files are in.

No Dagster import: the assets call this module.
"""

from __future__ import annotations

import csv

import polars as pl

from sources.cdc_places.common import PlacesError
from sources.cdc_places.gis import parse_places_gis
from sources.cdc_places.long import parse_places_long, read_landed_pages
from sources.core.landing import LandedFile

# --- landed files, whatever their format ----------------------------------------------------------------------------

GIS_FRIENDLY = "gis_friendly"
LONG_CSV = "long"
SOCRATA_JSON = "socrata_json"


def parse_places_files(files: list[LandedFile], release: str) -> pl.DataFrame:
    """One release's rows from its landed files, by their format: CDC's GIS-friendly CSV, its long CSV, or Socrata
    JSON pages. ``source_file`` names each file as people see it (relative to the snapshot or landing folder)."""
    formats = {f.format for f in files}
    if len(formats) != 1:
        raise PlacesError(f"PLACES release {release}: files of several formats {sorted(map(str, formats))}")
    fmt = formats.pop()
    if fmt == SOCRATA_JSON:
        frame = parse_places_long(read_landed_pages(files), f"socrata:{release}", release)
    elif fmt == GIS_FRIENDLY:
        [landed] = files
        frame = parse_places_gis(landed.path, release)
    elif fmt == LONG_CSV:
        [landed] = files
        with open(landed.path, newline="", encoding="utf-8-sig") as handle:
            frame = parse_places_long(csv.DictReader(handle), str(landed.path), release)
    else:
        raise PlacesError(f"PLACES release {release}: unknown file format {fmt!r}")
    shown = {str(f.path): f.shown for f in files}
    return frame.with_columns(pl.col("source_file").replace(shown))
