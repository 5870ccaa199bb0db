"""HUD CHAS county tables: ``spec`` (config and where the bytes are), ``dictionary`` (HUD's column meanings),
``parse`` (the strict table parser). No Dagster import."""

from sources.hud_chas.dictionary import read_chas_dictionary
from sources.hud_chas.parse import ChasError, parse_chas_file, parse_chas_table
from sources.hud_chas.spec import ChasConfig, ChasTableSpec, dictionary_source, load_chas_config, table_source

__all__ = [
    "ChasConfig",
    "ChasError",
    "ChasTableSpec",
    "dictionary_source",
    "load_chas_config",
    "parse_chas_file",
    "parse_chas_table",
    "read_chas_dictionary",
    "table_source",
]
