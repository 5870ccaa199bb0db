/*
description: >-
  One row per indicator: what it measures, its unit and direction, its source, the periods and geographies it
  has values for, and the uncertainty it carries.
grain: indicator_id
columns:
  indicator_id: indicator id, the key used in indicator_values
  label: short human label
  description: what the indicator measures
  unit: percent (0-100), dollars, people or years
  direction: lower_is_better, higher_is_better or neutral (for disparity measures)
  universe: the population the indicator describes
  source: publishing agency and product
  methods: direct, count and/or proportion (see indicator_values.method)
  vintages: periods with values, comma-separated
  mixes_vintages: true when the indicator has values for more than one period (compare like periods)
  geo_types: geography types with values
  groups: race/ethnicity groups with values
  uncertainty: the kind of MOE the values carry
  ci_level: highest confidence level of the intervals published (0.90 ACS; 0.95 where the source publishes 95% limits)
  n_values: rows in indicator_values
*/
with value_summary as (
    select
        indicator_id,
        string_agg(distinct vintage, ', ' order by vintage) as vintages,
        count(distinct vintage) > 1 as mixes_vintages,
        string_agg(distinct geo_type, ', ' order by geo_type) as geo_types,
        string_agg(distinct group_id, ', ' order by group_id) as groups,
        bool_or(method like 'direct: published estimate and 90% MOE') as has_published_moe,
        bool_or(method like '%ACS%formula%') as has_derived_moe,
        bool_or(method like '%no MOE%' or method like '%publishes no MOE%') as has_no_moe,
        bool_or(method like '%decennial census count%') as has_census_count,
        bool_or(method like '%95% limits%') as has_published_ci95,
        max(ci_level) as ci_level,
        count(*) as n_values
    from marts.fct_indicator_values
    group by indicator_id
)

select
    s.indicator_id,
    s.label,
    s.description,
    s.unit,
    s.direction,
    s.universe,
    s.source,
    s.methods,
    v.vintages,
    v.mixes_vintages,
    v.geo_types,
    v.groups,
    concat_ws(
        '; ',
        case when v.has_published_moe then 'published 90% MOE' end,
        case when v.has_derived_moe then '90% MOE derived by Census Bureau formulas' end,
        case when v.has_no_moe then 'no MOE for estimate-only source tables (reliability unknown)' end,
        case when v.has_census_count then 'census counts: no sampling error (MOE 0)' end,
        case when v.has_published_ci95 then 'published 95% limits kept; 90% MOE derived from them' end
    ) as uncertainty,
    v.ci_level,
    v.n_values
from seeds.seed_indicators as s
left join value_summary as v using (indicator_id)
