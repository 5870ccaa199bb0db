"""The Census request plan: every API call the configured indicators need, from the expanded variable spec.

Kept apart from the indicator config reader: the reader says which variables an indicator uses; this module knows
the API's rules (estimate/MOE suffixes per dataset, calls per table, tract calls within a county).
"""

from __future__ import annotations

import polars as pl

from sources.census_api.spec import CensusRequest, plan_calls
from sources.core.errors import ConfigError

CENSUS_DATASET_PREFIXES = ("acs/", "dec/")


def is_census_dataset(dataset: str) -> bool:
    return dataset.startswith(CENSUS_DATASET_PREFIXES)


def plan_requests(
    indicator_variables: pl.DataFrame, census_datasets: pl.DataFrame, check_variables: pl.DataFrame | None = None
) -> list[CensusRequest]:
    """Every Census API call, with estimate and (where published) MOE variables, grouped by table and place.

    ``check_variables`` (dataset, table, variable, request_vintages; e.g. the terms of config/checks.yaml's identities) are added to
    the calls of a table the indicators already read in one of the listed vintages, at the same geography and place, with its MOE
    where the indicators request it: a check never makes the plan fetch a table of its own."""
    suffix = {r["dataset"]: r for r in census_datasets.iter_rows(named=True)}
    spec = indicator_variables.filter(
        pl.any_horizontal(pl.col("dataset").str.starts_with(prefix) for prefix in CENSUS_DATASET_PREFIXES)
    )
    if check_variables is not None and check_variables.height and spec.height:
        keys = ["vintage_year", "dataset", "geo_level", "state", "county", "table"]
        fetched = spec.group_by(keys).agg(pl.col("request_moe").any())
        wanted = (
            check_variables.explode("request_vintages")
            .select("dataset", "table", "variable", pl.col("request_vintages").alias("vintage_year"))
            .drop_nulls()
            .unique()
        )
        extra = fetched.join(wanted, on=["vintage_year", "dataset", "table"], how="inner")
        spec = pl.concat(
            [spec.select(*keys, "variable", "request_moe"), extra.select(*keys, "variable", "request_moe")]
        )
    calls: list[CensusRequest] = []
    keys = ["vintage_year", "dataset", "geo_level", "state", "county", "table"]
    spec = spec.group_by([*keys, "variable"]).agg(pl.col("request_moe").any())
    for key, part in spec.sort(keys, nulls_last=False).group_by(keys, maintain_order=True):
        vintage, dataset, geo_level, state, county, table = key
        if dataset not in suffix:
            raise ConfigError(f"config/census_api.yaml: dataset {dataset!r} is not listed under `datasets`")
        variables: list[str] = []
        for row in part.sort("variable").iter_rows(named=True):
            variables.append(f"{row['variable']}{suffix[dataset]['estimate_suffix'] or ''}")
            if row["request_moe"]:
                variables.append(f"{row['variable']}{suffix[dataset]['moe_suffix']}")
        calls.extend(
            plan_calls(
                vintage, dataset, geo_level, table, variables, state=state, county=county[2:] if county else None
            )
        )
    return calls
