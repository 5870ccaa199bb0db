"""Washington State Department of Health (Washington Tracking Network): life expectancy at birth by tract.
``parse`` holds the strict parser and the file spec (snapshot in both modes). No Dagster import."""

from sources.wa_doh.parse import (
    DATASET,
    LifeExpectancyError,
    life_expectancy_path,
    life_expectancy_source,
    parse_life_expectancy,
)

__all__ = ["DATASET", "LifeExpectancyError", "life_expectancy_path", "life_expectancy_source", "parse_life_expectancy"]
