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
  disparity_group_sets: group sets compared in the disparities table (null when the indicator has none, e.g. neutral population shares)
  disparity_reference: how the reference group is chosen (config/disparities.yaml)
  disparity_measures: the measures the disparities table carries for this indicator, and which summaries need group counts the source lacks
  n_disparity_rows: rows in disparities (group and summary rows)
*/
with value_summary as (
    select
        indicator_id,
        string_agg(distinct vintage, ', ' order by vintage) as vintages,
        count(distinct vintage) > 1 as mixes_vintages,
        string_agg(distinct geo_type, ', ' order by geo_type) as geo_types,
        string_agg(distinct group_id, ', ' order by group_id) as groups,
        -- from the codes, never from the wording of `method`
        bool_or(moe_method = 'published' and aggregated_by is null) as has_published_moe,
        bool_or(moe_method in ('proportion_formula', 'ratio_formula') or aggregated_by = 'sum') as has_derived_moe,
        bool_or(moe_method = 'not_published') as has_no_moe,
        bool_or(moe_method = 'not_applicable') as has_computed_value,
        bool_or(moe_method = 'census_count') as has_census_count,
        bool_or(moe_method = 'published_ci95') as has_published_ci95,
        max(ci_level) as ci_level,
        count(*) as n_values
    from marts.fct_indicator_values
    group by indicator_id
),

disparity_summary as (
    select
        indicator_id,
        string_agg(distinct group_set, ', ' order by group_set) as disparity_group_sets,
        bool_or(row_type = 'summary') as has_summaries,
        bool_or(theil_index is not null) as has_theil,
        bool_and(theil_index is not null) filter (where row_type = 'summary') as theil_everywhere,
        count(*) as n_disparity_rows
    from marts.fct_disparities
    group by indicator_id
),

disparity_settings as (
    select
        case
            when reference = 'most_favourable'
                then 'most favourable eligible group (lowest value where lower is better, highest where higher is better)'
            else 'group ' || reference || ', else ' || coalesce(fallback_reference, 'no comparison')
        end as disparity_reference,
        min_groups_for_summary
    from seeds.seed_disparity_settings
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
        case when v.has_computed_value then 'computed ranks: no sampling MOE is defined (reliability unknown)' end,
        case when v.has_census_count then 'census counts: no sampling error (MOE 0)' end,
        case when v.has_published_ci95 then 'published 95% limits kept; 90% MOE derived from them' end
    ) as uncertainty,
    v.ci_level,
    v.n_values,
    d.disparity_group_sets,
    case when d.indicator_id is not null then ds.disparity_reference end as disparity_reference,
    case when d.indicator_id is not null then concat_ws(
        '; ',
        'group rows: rate ratio and rate difference with 90% MOEs and a 90% significance flag',
        case when d.has_summaries then 'summary rows (' || ds.min_groups_for_summary || '+ eligible groups): max/min ratio, index of disparity'
            || case
                when d.theil_everywhere then ', between-group variance, Theil index'
                when d.has_theil then ', between-group variance and Theil index where every group has a denominator count'
                else ' (no between-group variance or Theil index: the source publishes no group counts)'
            end
        end
    ) end as disparity_measures,
    coalesce(d.n_disparity_rows, 0) as n_disparity_rows
from seeds.seed_indicators as s
left join value_summary as v using (indicator_id)
left join disparity_summary as d using (indicator_id)
cross join disparity_settings as ds
