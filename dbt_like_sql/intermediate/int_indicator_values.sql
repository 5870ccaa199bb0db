/*
description: >-
  Every computed indicator value, before the tribal-data publication policy: one row per indicator x period x
  geography x race/ethnicity group, at the source geography and at every geography it aggregates to, each with
  its 90% margin of error (published, derived by the Census Bureau's formulas, or converted from published 95%
  limits), confidence interval, coefficient of variation and reliability flag, after small-number suppression.
  Where a row exists at its own geography (e.g. a county's published median) it wins over one aggregated from
  smaller units. A group the source has no table for in a vintage (config/indicators.yaml `unavailable_groups`)
  gets a row at every geography of that indicator and vintage with no value and the reason in estimate_note.
  Values whose source tables fail an arithmetic identity there carry a quality_note.
grain: indicator_id x vintage x geo_type x geoid x group_id
columns:
  indicator_id: indicator id (see indicator_catalog)
  vintage: the period the data describe, e.g. 2014-2018 (ACS 5-year) or 2020 (decennial census)
  geo_type: county, tract, aiannh, neighborhood or ach
  geo_vintage: boundary vintage of the geography (tracts 2010/2020; counties 2023, or 2017 for Connecticut's old counties; aiannh 2019, ACH region vintage, config for neighborhoods); join key to geographies
  geoid: GEOID (county 5 digits, tract 11, aiannh 4) or the config id of a neighborhood or ACH region
  geo_name: geography name
  group_id: total or a race/ethnicity group id (see race_ethnicity_groups)
  numerator: count in the numerator (proportions only; null when suppressed)
  numerator_moe: 90% MOE of the numerator
  denominator: count in the denominator (proportions only; null when suppressed)
  denominator_moe: 90% MOE of the denominator
  estimate: the indicator value in the catalog's unit (percent 0-100, dollars, people, years); null when suppressed or unavailable
  moe: 90% margin of error of the estimate; null when unknown
  ci_low: lower bound of the interval at ci_level (estimate - moe at 0.90, floored at 0 unless the estimate is negative; or the published limit)
  ci_high: upper bound of the interval at ci_level (estimate + moe, capped at 100 for percents unless the estimate exceeds 100; or the published limit)
  ci_level: confidence level of ci_low and ci_high (0.90 for ACS; 0.95 where the source publishes 95% limits)
  cv: coefficient of variation in percent, (moe / 1.645) / estimate * 100
  reliability: high (cv < 12), medium (12-40), low (> 40 or a zero estimate with sampling error), unknown (no MOE or no value)
  suppressed: true when a small-number rule withheld the value
  suppression_reason: every rule that fired, with the thresholds from config/reliability.yaml
  estimate_note: why the estimate is missing when it is, or what share of an aggregated area the data cover, and any tract with data left unallocated to the area (not a tract of its vintage) with its share of the county
  method: how the value was obtained, including the MOE formula and, for larger areas, the aggregation
  moe_kind: what the source publishes about uncertainty (config/indicators.yaml `moe`), one of published, not_published, census_count, published_ci95 or not_applicable
  moe_method: how this row's MOE was obtained, as a code (method says it in words), one of published, published_ci95, census_count, sum_of_counts, proportion_formula, ratio_formula, not_published or not_applicable
  aggregated_by: null at the source's own geography; else how the value was built from smaller areas, one of sum, population_weighted_mean or none (not aggregated)
  quality_note: where the source tables this value reads do not add up at this geography (an arithmetic identity of config/checks.yaml fails beyond sampling error; intermediate.int_source_identities), which identity, by how much; null otherwise
*/
with rules as (
    select * from seeds.seed_reliability_rules
),

county_vintage as (
    -- one boundary per county: the 2023 one, or 2017 for the old Connecticut counties that no longer exist
    select geoid, max(boundary_vintage) as geo_vintage from geographies.ref_county_geoids group by geoid
),

geo_names as (
    select geo_type, geoid, arg_max(name, geo_vintage || ' ' || name) as name  -- newest boundary's name, deterministic
    from geographies.geo_boundaries
    where name is not null
    group by all
),

own_geography as (
    select
        indicator_id, vintage_year, vintage, geo_level as geo_type, geo_vintage, geoid, geo_name, group_id, role, method,
        moe_kind, moe_published, scale, estimate, moe, published_ci_low, published_ci_high, published_ci_level,
        estimate_annotation, cast(null as varchar) as aggregated_by, cast(null as varchar) as aggregation_method
    from intermediate.int_indicator_components
),

aggregated as (
    -- an area's value built from counties wins over one built from tracts (precedence 1 over 2)
    select
        a.indicator_id, a.vintage_year, a.vintage, a.geo_type, a.geo_vintage, a.geoid, n.name as geo_name, a.group_id,
        a.role, a.method, a.moe_kind, a.moe_published, a.scale, a.estimate, a.moe, a.published_ci_low,
        a.published_ci_high, a.published_ci_level, a.estimate_note as estimate_annotation, a.aggregated_by,
        a.aggregation_method
    from intermediate.int_indicator_components_aggregated as a
    left join geo_names as n
        on a.geo_type = n.geo_type
        and a.geoid = n.geoid
    qualify case a.from_geo_level when 'county' then 1 else 2 end
        = min(case a.from_geo_level when 'county' then 1 else 2 end)
            over (partition by a.indicator_id, a.vintage_year, a.geo_type, a.geoid, a.group_id)
),

ranked as (
    -- a value at its own geography wins over an aggregated one: the aggregated rows (a few thousand) are kept only
    -- where no own-geography row has their key (an anti join, not a window over every row)
    select * from own_geography
    union all
    select a.*
    from aggregated as a
    anti join own_geography as o
        on a.indicator_id = o.indicator_id
        and a.vintage_year = o.vintage_year
        and a.geo_type = o.geo_type
        and a.geoid = o.geoid
        and a.group_id = o.group_id
),

pivoted as (
    select
        indicator_id,
        vintage_year,
        any_value(vintage) as vintage,
        geo_type as geo_level,
        any_value(case when geo_type = 'county' then cv.geo_vintage else r.geo_vintage end) as geo_vintage,
        geoid,
        any_value(geo_name) as geo_name,
        group_id,
        method,
        moe_kind,
        moe_published,
        scale,
        max(case when role = 'value' then estimate end) as value_estimate,
        max(case when role = 'value' then moe end) as value_moe,
        max(case when role = 'value' then published_ci_low end) as published_ci_low,
        max(case when role = 'value' then published_ci_high end) as published_ci_high,
        max(case when role = 'value' then published_ci_level end) as published_ci_level,
        max(case when role = 'numerator' then estimate end) as numerator,
        max(case when role = 'numerator' then moe end) as numerator_moe,
        max(case when role = 'denominator' then estimate end) as denominator,
        max(case when role = 'denominator' then moe end) as denominator_moe,
        -- distinct and sorted (string_agg(distinct ...) cost a second aggregate and a join, and its order was arbitrary)
        nullif(
            array_to_string(list_sort(list_distinct(list(estimate_annotation) filter (where estimate_annotation is not null))), '; '),
            ''
        ) as estimate_annotation,
        any_value(aggregated_by) as aggregated_by,
        any_value(aggregation_method) as aggregation_method
    from ranked as r
    left join county_vintage as cv using (geoid)
    group by indicator_id, vintage_year, geo_type, geoid, group_id, method, moe_kind, moe_published, scale
),

proportions as (
    select
        *,
        case when method = 'proportion' and denominator > 0 then numerator / denominator end as p,
        case
            when method = 'proportion' and denominator > 0
                then acs_proportion_radicand(numerator, denominator, numerator_moe, denominator_moe)
        end as radicand
    from pivoted
),

derived as (
    select
        p.*,
        case when method in ('direct', 'count') then value_estimate else p.p * scale end as raw_estimate,
        case
            when method in ('direct', 'count') then value_moe
            when p.radicand is not null then acs_moe_proportion(numerator, denominator, numerator_moe, denominator_moe) * scale
        end as raw_moe,
        case
            when method = 'count' and moe_kind = 'census_count' then 'count: decennial census count, not a sample estimate (MOE 0)'
            when method = 'count' then 'count: sum of published counts'
            when method = 'direct' and moe_kind = 'published_ci95'
                then 'direct: published estimate and 95% limits; 90% MOE derived as 1.645 x SE, SE = (upper - lower) / (2 x 1.96)'
            when method = 'direct' and moe_published then 'direct: published estimate and 90% MOE'
            when method = 'direct' and moe_kind = 'not_applicable'
                then 'computed by this pipeline from the source''s inputs (see the catalog description); no sampling MOE is defined'
            when method = 'direct' then 'direct: published estimate; the source publishes no MOE'
            when not moe_published
                then 'derived: proportion of summed counts; no MOE (the source table publishes estimates only)'
            when p.radicand < 0
                then 'derived: proportion of summed counts; MOE by the ACS ratio formula (proportion radicand negative)'
            else 'derived: proportion of summed counts; MOE by the ACS proportion formula'
        end as method_text,
        -- the same cases as method_text, as a code the catalog and dashboards can rely on
        case
            when method = 'count' and moe_kind = 'census_count' then 'census_count'
            when method = 'count' then 'sum_of_counts'
            when method = 'direct' and moe_kind = 'published_ci95' then 'published_ci95'
            when method = 'direct' and moe_published then 'published'
            when method = 'direct' and moe_kind = 'not_applicable' then 'not_applicable'
            when method = 'direct' then 'not_published'
            when not moe_published then 'not_published'
            when p.radicand < 0 then 'ratio_formula'
            else 'proportion_formula'
        end as moe_method,
        -- every rule that fires is named
        case
            when method = 'proportion' and (denominator < rules.min_denominator or numerator < rules.min_numerator)
                then concat_ws(
                    '; ',
                    case when denominator < rules.min_denominator
                        then 'denominator below ' || cast(rules.min_denominator as integer) end,
                    case when numerator < rules.min_numerator
                        then 'numerator below ' || cast(rules.min_numerator as integer) end
                ) || ' (config/reliability.yaml)'
        end as suppression_reason,
        rules.high_below_cv_pct,
        rules.low_above_cv_pct,
        rules.z_90,
        rules.acs_level
    from proportions as p
    cross join rules
),

catalog as (
    select indicator_id, unit from seeds.seed_indicators
),

final as (
    select
        d.*,
        d.suppression_reason is not null as suppressed,
        case when d.suppression_reason is null then d.raw_estimate end as estimate,
        case when d.suppression_reason is null and d.raw_estimate is not null then d.raw_moe end as moe,
        c.unit,
        q.quality_note
    from derived as d
    inner join catalog as c using (indicator_id)
    left join intermediate.int_indicator_quality_notes as q
        on d.indicator_id = q.indicator_id
        and d.vintage_year = q.vintage_year
        and d.geo_level = q.geo_type
        and d.geoid = q.geoid
        and d.group_id = q.group_id
),

computed as (
    select
        vintage_year,
        indicator_id,
        vintage,
        geo_level as geo_type,
        geo_vintage,
        geoid,
        geo_name,
        group_id,
        case when not suppressed then numerator end as numerator,
        case when not suppressed then numerator_moe end as numerator_moe,
        case when not suppressed then denominator end as denominator,
        case when not suppressed then denominator_moe end as denominator_moe,
        estimate,
        moe,
        -- the interval is clipped to the unit's logical range (counts and percents >= 0, percents <= 100) only where
        -- the estimate itself lies in that range: a clip must never leave the estimate outside its own interval
        case
            when estimate is not null and published_ci_level is not null then published_ci_low
            when moe is not null and estimate >= 0 then greatest(estimate - moe, 0)
            when moe is not null then estimate - moe
        end as ci_low,
        case
            when estimate is not null and published_ci_level is not null then published_ci_high
            when moe is not null and unit = 'percent' and estimate <= 100 then least(estimate + moe, 100)
            when moe is not null then estimate + moe
        end as ci_high,
        case when estimate is not null and published_ci_level is not null then published_ci_level else acs_level end
            as ci_level,
        case when moe is not null and estimate <> 0 then moe / z_90 / abs(estimate) * 100 end as cv,
        case
            when estimate is null or moe is null then 'unknown'
            when estimate = 0 and moe > 0 then 'low'
            when estimate = 0 then 'high'
            when moe / z_90 / abs(estimate) * 100 < high_below_cv_pct then 'high'
            when moe / z_90 / abs(estimate) * 100 <= low_above_cv_pct then 'medium'
            else 'low'
        end as reliability,
        suppressed,
        suppression_reason,
        case
            when suppressed then null
            when estimate is null and estimate_annotation is not null then estimate_annotation
            when estimate is null and method = 'proportion' and denominator = 0 then 'denominator is zero'
            when aggregation_method is not null then estimate_annotation
        end as estimate_note,
        case when aggregation_method is not null then aggregation_method || '; ' || method_text else method_text end
            as method,
        moe_kind,
        moe_method,
        aggregated_by,
        quality_note
    from final
),

unavailable as (
    -- a group the source has no table for: one row per geography the indicator's vintage reaches, no value, the reason
    select
        u.vintage_year,
        u.indicator_id,
        g.vintage,
        g.geo_type,
        g.geo_vintage,
        g.geoid,
        g.geo_name,
        u.group_id,
        cast(null as double) as numerator,
        cast(null as double) as numerator_moe,
        cast(null as double) as denominator,
        cast(null as double) as denominator_moe,
        cast(null as double) as estimate,
        cast(null as double) as moe,
        cast(null as double) as ci_low,
        cast(null as double) as ci_high,
        cast(null as double) as ci_level,
        cast(null as double) as cv,
        'unknown' as reliability,
        false as suppressed,
        cast(null as varchar) as suppression_reason,
        u.reason as estimate_note,
        'not computed: the source has no table for this group (see estimate_note)' as method,
        g.moe_kind,
        'not_applicable' as moe_method,
        g.aggregated_by,
        cast(null as varchar) as quality_note
    from seeds.seed_indicator_unavailable_groups as u
    inner join (
        select
            indicator_id, vintage_year, geo_type, geoid,
            any_value(vintage) as vintage, any_value(geo_vintage) as geo_vintage, any_value(geo_name) as geo_name,
            any_value(moe_kind) as moe_kind, any_value(aggregated_by) as aggregated_by
        from computed
        group by all
    ) as g
        on u.indicator_id = g.indicator_id
        and u.vintage_year = g.vintage_year
        -- the measurement's places: a source county's own GEOID; aggregated areas are reached through their counties
        and (u.state is null or g.geo_type <> u.geo_level or left(g.geoid, 2) = u.state)
        and (u.county is null or g.geo_type <> u.geo_level or left(g.geoid, 5) = u.county)
    where not exists (
        select 1 from computed as c
        where c.indicator_id = u.indicator_id and c.vintage_year = u.vintage_year and c.geo_type = g.geo_type
            and c.geoid = g.geoid and c.group_id = u.group_id
    )
)

select * exclude (vintage_year) from computed
union all by name
select * exclude (vintage_year) from unavailable
