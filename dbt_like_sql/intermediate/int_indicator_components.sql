/*
description: >-
  Each indicator's components (value, numerator, denominator) per vintage, source geography and group: the
  variables named in config/indicators.yaml, added (or subtracted where the config writes "-variable"). The MOE
  of a sum or difference is the square root of the sum of squared MOEs, counting only the largest MOE among zero
  estimates once (ACS handbook, "Understanding and Using ACS Data", 2020, ch. 8; tidycensus moe_sum). A component
  with any missing estimate is missing; one with any unknown MOE has an unknown MOE.
grain: indicator_id x vintage_year x geo_level x geoid x group_id x role
columns:
  indicator_id: indicator id from config/indicators.yaml
  vintage_year: source vintage year
  vintage: period label, e.g. 2014-2018
  geo_level: county or tract
  geo_vintage: tract geography vintage of the source (2010 or 2020; null for counties)
  geoid: GEOID
  geo_name: name as the source gives it
  group_id: race/ethnicity group id (config/race_ethnicity_groups.yaml)
  role: value, numerator or denominator
  method: direct, count or proportion
  moe_kind: published, not_published, census_count, published_ci95 or not_applicable
  moe_published: whether the value has a known MOE
  scale: multiplier applied to a proportion (100 for percent)
  aggregation: how larger areas are built from this source geography (sum, population_weighted_mean, none)
  aggregation_note: why a value is not aggregated, or the weight used
  n_variables: number of variables added
  estimate: signed sum of the variables' estimates (null if any is missing)
  moe: MOE of the sum at 90% (null if any MOE is unknown)
  published_ci_low: published lower limit (single-variable direct values only)
  published_ci_high: published upper limit
  published_ci_level: level of the published limits
  estimate_annotation: reasons for missing estimates among the variables
  moe_annotation: reasons for missing or zero MOEs among the variables
*/
with specs as (
    -- one id per component definition: the aggregate below groups by (id, geoid), two narrow keys, instead of twelve
    -- text columns, and the definition's columns are joined back to the 1.7 M results once
    select
        *,
        dense_rank() over (
            order by indicator_id, vintage_year, geo_level, group_id, role, method, moe_kind, moe_published, scale,
                aggregation, aggregation_note
        ) as spec_id
    from seeds.seed_indicator_variables
),

summed as (
    select
        s.spec_id,
        e.geoid,
        any_value(e.vintage) as vintage,
        any_value(e.geo_vintage) as geo_vintage,
        any_value(e.geo_name) as geo_name,
        count(*) as n_variables,
        case when count(e.estimate) = count(*) then sum(s.sign * e.estimate) end as estimate,
        case
            when count(e.estimate) = count(*) and count(e.moe) = count(*)
                then acs_moe_sum_of(e.estimate, e.moe)
        end as moe,
        case when count(*) = 1 then any_value(e.published_ci_low) end as published_ci_low,
        case when count(*) = 1 then any_value(e.published_ci_high) end as published_ci_high,
        case when count(*) = 1 then any_value(e.published_ci_level) end as published_ci_level,
        -- distinct, sorted and joined from a plain list(): the same text as string_agg(distinct x, '; ' order by x),
        -- which DuckDB computes by sorting within every group (about 3x the CPU of this whole model on the
        -- snapshot); only annotated cells are collected
        nullif(
            array_to_string(
                list_sort(list_distinct(
                    list(e.variable || ': ' || e.estimate_annotation) filter (where e.estimate_annotation is not null)
                )),
                '; '
            ),
            ''
        ) as estimate_annotation,
        nullif(
            array_to_string(
                list_sort(list_distinct(list(e.moe_annotation) filter (where e.moe_annotation is not null))), '; '
            ),
            ''
        ) as moe_annotation
    from specs as s
    inner join intermediate.int_source_estimates as e
        on s.vintage_year = e.vintage_year
        and s.dataset = e.dataset
        and s.geo_level = e.geo_level
        and s.variable = e.variable
        and (s.state is null or left(e.geoid, 2) = s.state)
        and (s.county is null or left(e.geoid, 5) = s.county)
    group by s.spec_id, e.geoid
),

spec as (
    select distinct
        spec_id, indicator_id, vintage_year, geo_level, group_id, role, method, moe_kind, moe_published, scale,
        aggregation, aggregation_note
    from specs
)

select
    p.indicator_id,
    p.vintage_year,
    c.vintage,
    p.geo_level,
    c.geo_vintage,
    c.geoid,
    c.geo_name,
    p.group_id,
    p.role,
    p.method,
    p.moe_kind,
    p.moe_published,
    p.scale,
    p.aggregation,
    p.aggregation_note,
    c.n_variables,
    c.estimate,
    c.moe,
    c.published_ci_low,
    c.published_ci_high,
    c.published_ci_level,
    c.estimate_annotation,
    c.moe_annotation
from summed as c
inner join spec as p using (spec_id)
