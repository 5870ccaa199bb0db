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
  disparity_reference: the two references every group is compared with, the total population and the fixed reference group of each group set (config/disparities.yaml, with any override for this indicator), and the reliability a reference needs; "none" with the reason when the indicator has no disparities
  disparity_measures: the measures the disparities table carries for this indicator and why any is missing (e.g. no group counts); "none" with the reason (neutral indicator, no race/ethnicity groups) when it has none
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
        string_agg(distinct group_set || ': ' || reference_group, '; ' order by group_set || ': ' || reference_group)
            filter (where reference_type = 'group') as fixed_references,
        bool_or(row_type = 'summary' and n_groups_in_summary > 0 and population_coverage is null)
            as lacks_counts_somewhere,
        bool_or(population_coverage is not null) as has_group_counts,
        bool_or(between_group_variance is not null) as has_between_group_variance,
        count(*) as n_disparity_rows
    from marts.fct_disparities
    group by indicator_id
),

disparity_settings as (
    select
        array_to_string(reference_reliability, ', ') as reliable_levels,
        min_groups_for_summary,
        round(100 * min_population_coverage, 1) as min_coverage_pct
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
    case
        when s.direction = 'neutral' then 'none: neutral indicator (no favourable direction)'
        when d.indicator_id is null then 'none: no race/ethnicity groups'
        else 'total population (group total) and the fixed reference group of each set (' || d.fixed_references
            || '); a reference is reliable when its reliability is ' || ds.reliable_levels
            || ', otherwise the comparison is marked (reference_reliable false)'
    end as disparity_reference,
    case
        when s.direction = 'neutral' then 'none: neutral indicator (no favourable direction)'
        when d.indicator_id is null then 'none: no race/ethnicity groups'
        else concat_ws(
            '; ',
            'group rows: rate ratio and rate difference against the total and against the fixed reference group, '
                || 'with 90% MOEs and a 90% significance flag',
            'summary rows (' || ds.min_groups_for_summary || '+ eligible groups): max/min ratio, index of disparity '
                || '(against the total)'
                || case
                    when d.has_between_group_variance
                        then ', between-group variance and Theil index (where '
                            || case when d.lacks_counts_somewhere then 'the source publishes group counts and ' else '' end
                            || 'the eligible groups cover at least ' || ds.min_coverage_pct || '% of the total population)'
                    when d.has_group_counts
                        then '; no between-group variance or Theil index: the eligible groups never cover '
                            || ds.min_coverage_pct || '% of the total population'
                    else '; no between-group variance or Theil index: the source publishes no group counts'
                end
        )
    end as disparity_measures,
    coalesce(d.n_disparity_rows, 0) as n_disparity_rows
from seeds.seed_indicators as s
left join value_summary as v using (indicator_id)
left join disparity_summary as d using (indicator_id)
cross join disparity_settings as ds
