"""CDC/ATSDR Social Vulnerability Index, county tables: ``spec`` (releases and where their bytes are) and
``parse`` (the strict parser). No Dagster import."""

from sources.cdc_svi.parse import DATASET, SviError, parse_svi, parse_svi_file
from sources.cdc_svi.spec import SviVintage, load_svi_config

__all__ = ["DATASET", "SviError", "SviVintage", "load_svi_config", "parse_svi", "parse_svi_file"]
