"""The dashboard's queries over the published DuckDB file (data/published/sdoh_published.duckdb by default).

Every query reads the published views meant for dashboard tools, as any BI tool would: ``latest_geographies`` (flat
``ach_id``/``ach_name``/``county_name`` columns, no list to unnest) and ``latest_indicator_values_labeled`` (the
indicator's and group's labels, unit, direction, period and the geography's region on every row), so no query joins
ids to labels itself. Kept free of Streamlit so tests and other tools can run the same SQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

CHECKOUT = Path(__file__).resolve().parents[2]
DEFAULT_PUBLISHED_DB = "data/published/sdoh_published.duckdb"

# The indicators an ACH page shows, in this order: the latest period with any value at the region is shown.
KEY_INDICATORS = (
    "uninsured_rate",
    "poverty_rate",
    "bachelors_or_higher",
    "cost_burden_30_plus_households",
    "life_expectancy",
)


def published_db() -> Path:
    """SDOH_PUBLISHED_DB, or data/published/sdoh_published.duckdb of this checkout; a relative path is taken from
    the checkout root."""
    path = Path(os.environ.get("SDOH_PUBLISHED_DB") or DEFAULT_PUBLISHED_DB)
    return path if path.is_absolute() else CHECKOUT / path


def run(sql: str, params: dict | None = None, db: Path | None = None) -> pd.DataFrame:
    """One query on a read-only connection opened for it (a new release replaces the file; nothing is held open)."""
    with duckdb.connect(str(db or published_db()), read_only=True) as con:
        return con.execute(sql, params or {}).df()


RELEASE = """
select release_id, created_at, code_version, acs_vintages
from releases
where is_latest
"""

ACH_REGIONS = """
select
    a.geoid as ach_id,
    a.name,
    a.geo_vintage,
    a.population,
    a.example,
    count(c.geoid) as n_counties,
    string_agg(c.name, ', ' order by c.name) as counties
from latest_geographies as a
left join latest_geographies as c
    on c.geo_type = 'county'
    and c.ach_id = a.geoid
where a.geo_type = 'ach'
group by all
order by a.example, a.name
"""

ACH_COUNTIES = """
select name as county, geoid, population, land_area_km2
from latest_geographies
where geo_type = 'county' and ach_id = $ach_id
order by name
"""

ACH_KEY_VALUES = """
with key_indicators as (
    select unnest($indicators) as indicator_id, generate_subscripts($indicators, 1) as position
),

region_values as (
    select v.*
    from latest_indicator_values_labeled as v
    where v.geo_type = 'ach'
        and v.geoid = $ach_id
        and v.indicator_id in (select k.indicator_id from key_indicators as k)
),

latest_period as (
    select indicator_id, vintage
    from (select distinct indicator_id, vintage, period_end_year from region_values where estimate is not null)
    qualify row_number() over (partition by indicator_id order by period_end_year desc, vintage desc) = 1
)

select
    k.position,
    v.indicator_id,
    v.indicator_label,
    v.unit,
    v.direction,
    v.vintage,
    v.group_id,
    v.group_label,
    v.group_sort_order as sort_order,
    v.estimate,
    v.moe,
    v.ci_level,
    v.reliability,
    v.suppressed,
    coalesce(v.estimate_note, v.suppression_reason) as note
from region_values as v
join latest_period as p on p.indicator_id = v.indicator_id and p.vintage = v.vintage
join key_indicators as k on k.indicator_id = v.indicator_id
join latest_groups as g on g.group_id = v.group_id
where not g.is_detailed
order by k.position, v.group_sort_order
"""


def release(db: Path | None = None) -> dict:
    frame = run(RELEASE, db=db)
    return frame.iloc[0].to_dict() if len(frame) else {}


def ach_regions(db: Path | None = None) -> pd.DataFrame:
    return run(ACH_REGIONS, db=db)


def ach_counties(ach_id: str, db: Path | None = None) -> pd.DataFrame:
    return run(ACH_COUNTIES, {"ach_id": ach_id}, db=db)


def ach_key_values(ach_id: str, db: Path | None = None) -> pd.DataFrame:
    return run(ACH_KEY_VALUES, {"ach_id": ach_id, "indicators": list(KEY_INDICATORS)}, db=db)


def fmt_value(value: float | None, unit: str, moe: bool = False) -> str:
    """A value as the pages show it: one decimal for percents and years, whole dollars and people; a MOE with ±."""
    if value is None or pd.isna(value):
        return "–"
    if unit == "dollars":
        text = f"${value:,.0f}"
    elif unit == "people":
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.1f}" + ("%" if unit == "percent" else "")
    return f"±{text}" if moe else text
