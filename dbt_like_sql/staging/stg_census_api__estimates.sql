/*
description: >-
  Census API estimates in one long tidy table: each ACS/decennial variable's estimate beside its margin of
  error (90%), with the reason whenever either is missing. Controlled estimates (API code -555555555, listed in
  config/census_api.yaml) get MOE 0; any other missing MOE stays null (unknown), never 0.
grain: vintage x dataset x geo_level x geoid x variable
columns:
  vintage: Census API vintage year (for ACS 5-year, the last year of the period)
  period: the period the estimate describes, e.g. 2014-2018 for ACS 5-year vintage 2018
  dataset: Census API dataset path, e.g. acs/acs5 or acs/acs5/subject
  table: ACS table id, e.g. B19013A
  variable: variable id without the E/M suffix, e.g. B19013A_001
  geo_level: county or tract
  geoid: 5-digit county or 11-digit tract GEOID (string)
  geo_name: name as the API returns it
  estimate: the estimate; null when the API gave none
  moe: margin of error at the 90% level; 0 for controlled estimates; null when unknown or not published
  estimate_annotation: why the estimate is null (annotation code meaning or null in response)
  moe_annotation: why the MOE is null or 0 (annotation, controlled, or not published by the source table)
*/
with cells as (
    select
        vintage,
        dataset,
        "table",
        left(variable, length(variable) - 1) as variable,
        right(variable, 1) as kind,
        geo_level,
        geoid,
        geo_name,
        value,
        annotation
    from raw.census_api_raw
),

estimates as (
    select * from cells where kind in ('E', 'N')
),

moes as (
    select * from cells where kind = 'M'
)

select
    e.vintage,
    case
        when e.dataset like 'acs/acs5%' then cast(cast(e.vintage as integer) - 4 as varchar) || '-' || e.vintage
        else e.vintage
    end as period,
    e.dataset,
    e."table",
    e.variable,
    e.geo_level,
    e.geoid,
    e.geo_name,
    e.value as estimate,
    case
        when m.variable is null then null
        when controlled.is_controlled then 0.0
        else m.value
    end as moe,
    e.annotation as estimate_annotation,
    case
        when m.variable is null then 'not published: the source table carries estimates only'
        when controlled.is_controlled then '-555555555: estimate is controlled; no sampling error (MOE 0)'
        else m.annotation
    end as moe_annotation
from estimates as e
left join moes as m
    on e.vintage = m.vintage
    and e.dataset = m.dataset
    and e.geo_level = m.geo_level
    and e.geoid = m.geoid
    and e.variable = m.variable
left join seeds.seed_controlled_moe_variables as c
    on e.dataset = c.dataset
    and e.geo_level = c.geo_level
    and e.variable = c.variable
cross join lateral (
    select
        e.value is not null
        and m.value is null
        and (
            m.annotation like '-555555555%'
            or (m.annotation = 'null in response' and c.variable is not null)
        ) as is_controlled
) as controlled
