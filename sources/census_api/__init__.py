"""U.S. Census Bureau, Census Data API (ACS 5-year detailed and subject tables, 2010 and 2020 decennial counts).

``spec`` (what a request is), ``plan`` (the calls the indicators need), ``fetch`` (the ``census`` package through the
landing/snapshot session), ``parse`` (the strict parser). No Dagster import.
"""

from sources.census_api.fetch import CensusApiError, CensusFetcher
from sources.census_api.parse import CensusResponseError, FetchedResponse, parse_response, parse_table
from sources.census_api.plan import is_census_dataset, plan_requests
from sources.census_api.spec import GEOGRAPHY_COLUMNS, CensusRequest, plan_calls

__all__ = [
    "GEOGRAPHY_COLUMNS",
    "CensusApiError",
    "CensusFetcher",
    "CensusRequest",
    "CensusResponseError",
    "FetchedResponse",
    "is_census_dataset",
    "parse_response",
    "parse_table",
    "plan_calls",
    "plan_requests",
]
