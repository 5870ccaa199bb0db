/*
description: >-
  Census API estimates in one long tidy table: each ACS/decennial variable's estimate beside its margin of
  error (90%), with the reason whenever either is missing. Controlled estimates (API code -555555555, listed in
  config/census_api.yaml) get MOE 0, and so do decennial census counts (not sample estimates); any other
  missing MOE stays null (unknown), never 0. A published value that stands for an open-ended interval (B19013's
  2499 = "2,500 or less" and 250001 = "250,000 or more", with no MOE) is stored as no estimate, with its meaning.
  Variable suffixes (E/M, N, none) come from config/census_api.yaml.
grain: vintage_year x dataset x geo_level x geoid x variable
columns:
  vintage_year: Census API vintage year (for ACS 5-year, the last year of the period)
  vintage: the period the estimate describes, e.g. 2014-2018 for ACS 5-year vintage 2018
  dataset: Census API dataset path, e.g. acs/acs5 or acs/acs5/subject
  table: ACS table id, e.g. B19013A
  variable: variable id without the E/M/N suffix, e.g. B19013A_001
  geo_level: county or tract
  geo_vintage: tract geography the numbers are tabulated on (2010 tracts up to ACS 2015-2019 and the 2010 Census, 2020 tracts after); null for counties
  geoid: 5-digit county or 11-digit tract GEOID (string)
  geo_name: name as the API returns it
  estimate: the estimate; null when the API gave none
  moe: margin of error at the 90% level; 0 for controlled estimates; null when unknown or not published
  estimate_annotation: why the estimate is null (annotation code meaning, an open-ended interval value, or null in response)
  moe_annotation: why the MOE is null or 0 (annotation, controlled, or not published by the source table)
  published_ci_low: null (the API publishes MOEs, not confidence limits)
  published_ci_high: null
  published_ci_level: null
  source_file: the landed or snapshot file the estimate came from (named in check failures)
*/
with suffixed as (
    select
        r.*,
        d.sampling_error,
        d.moe_suffix is not null and r.variable like '%' || d.moe_suffix as is_moe,
        case when d.moe_suffix is not null and r.variable like '%' || d.moe_suffix then length(d.moe_suffix)
            else length(d.estimate_suffix)
        end as suffix_length
    from raw.census_api_raw as r
    inner join seeds.seed_census_datasets as d using (dataset)
),

cells as (
    select
        vintage_year,
        dataset,
        "table",
        left(variable, length(variable) - suffix_length) as variable,
        case when is_moe then 'M' else 'E' end as kind,
        sampling_error,
        geo_level,
        geoid,
        geo_name,
        value,
        annotation,
        source_file
    from suffixed
),

estimates as (
    select * from cells where kind = 'E'
),

moes as (
    select * from cells where kind = 'M'
)

select
    e.vintage_year,
    case
        when e.dataset like 'acs/acs5%' then cast(cast(e.vintage_year as integer) - 4 as varchar) || '-' || e.vintage_year
        else e.vintage_year
    end as vintage,
    e.dataset,
    e."table",
    e.variable,
    e.geo_level,
    case
        when e.geo_level = 'tract' and cast(e.vintage_year as integer) >= 2020 then '2020'
        when e.geo_level = 'tract' and cast(e.vintage_year as integer) >= 2010 then '2010'
    end as geo_vintage,
    e.geoid,
    e.geo_name,
    case when open_ended.code is null then e.value end as estimate,
    case
        when not e.sampling_error and e.value is not null then 0.0
        when m.variable is null then null
        when controlled.is_controlled then 0.0
        else m.value
    end as moe,
    case
        when open_ended.code is not null
            then '-333333333: ' || open_ended.meaning || ' (published as ' || cast(open_ended.code as bigint) || ')'
        else e.annotation
    end as estimate_annotation,
    case
        when not e.sampling_error and e.value is not null then 'decennial census count: not a sample estimate (MOE 0)'
        when m.variable is null then 'not published: the source table carries estimates only'
        when controlled.is_controlled then '-555555555: estimate is controlled; no sampling error (MOE 0)'
        else m.annotation
    end as moe_annotation,
    cast(null as double) as published_ci_low,
    cast(null as double) as published_ci_high,
    cast(null as double) as published_ci_level,
    e.source_file
from estimates as e
left join moes as m
    on e.vintage_year = m.vintage_year
    and e.dataset = m.dataset
    and e.geo_level = m.geo_level
    and e.geoid = m.geoid
    and e.variable = m.variable
left join seeds.seed_controlled_moe_variables as c
    on e.dataset = c.dataset
    and e.geo_level = c.geo_level
    and e.variable = c.variable
left join seeds.seed_open_ended_values as open_ended
    on e.dataset = open_ended.dataset
    and starts_with(e."table", open_ended.table_prefix)
    and e.value = open_ended.code
    and m.value is null
cross join lateral (
    select
        e.value is not null
        and m.value is null
        and (
            m.annotation like '-555555555%'
            or (m.annotation = 'null in response' and c.variable is not null)
        ) as is_controlled
) as controlled
