"""Washington State Department of Health (Washington Tracking Network): life expectancy at birth by tract.
``spec`` (the file of a period: the snapshot in both modes), ``parse`` (the strict parser). No Dagster import."""

from sources.wa_doh.parse import DATASET, LifeExpectancyError, parse_life_expectancy
from sources.wa_doh.spec import life_expectancy_path, life_expectancy_source

__all__ = ["DATASET", "LifeExpectancyError", "life_expectancy_path", "life_expectancy_source", "parse_life_expectancy"]
