/*
description: >-
  Equity indicator values: one row per indicator x period x geography x race/ethnicity group, each with its
  90% margin of error (published, or derived by the Census Bureau's formulas), confidence interval, coefficient
  of variation and reliability flag, after small-number suppression. Values from estimate-only tables have no
  MOE and reliability `unknown`; no MOE is ever invented.
grain: indicator_id x vintage x geo_type x geoid x group_id
columns:
  indicator_id: indicator id (see indicator_catalog)
  vintage: the period the data describe, e.g. 2014-2018 (ACS 5-year)
  geo_type: county (tract, aiannh, neighborhood and ach come with the geography layer)
  geoid: GEOID of the geography (string; 5-digit county FIPS)
  geo_name: geography name as the Census API gives it
  group_id: total or a race/ethnicity group id (see race_ethnicity_groups)
  numerator: count in the numerator (proportions only; null when suppressed)
  numerator_moe: 90% MOE of the numerator
  denominator: count in the denominator (proportions only; null when suppressed)
  denominator_moe: 90% MOE of the denominator
  estimate: the indicator value in the catalog's unit (percent 0-100 or dollars); null when suppressed or unavailable
  moe: 90% margin of error of the estimate; null when unknown
  ci_low: lower bound of the 90% interval (estimate - moe, floored at 0)
  ci_high: upper bound of the 90% interval (estimate + moe, capped at 100 for percents)
  ci_level: confidence level of moe, ci_low and ci_high (0.90)
  cv: coefficient of variation in percent, (moe / 1.645) / estimate * 100
  reliability: high (cv < 12), medium (12-40), low (> 40 or a zero estimate with sampling error), unknown (no MOE or no value)
  suppressed: true when a small-number rule withheld the value
  suppression_reason: which rule fired, with the thresholds from config/reliability.yaml
  estimate_note: why the estimate is missing when it is (ACS annotation meaning, null in source, zero denominator)
  method: how the value was obtained, including the MOE formula used
*/
with rules as (
    select * from seeds.seed_reliability_rules
),

pivoted as (
    select
        indicator_id,
        vintage,
        any_value(period) as period,
        geo_level,
        geoid,
        any_value(geo_name) as geo_name,
        group_id,
        method,
        moe_published,
        scale,
        max(case when role = 'value' then estimate end) as value_estimate,
        max(case when role = 'value' then moe end) as value_moe,
        max(case when role = 'numerator' then estimate end) as numerator,
        max(case when role = 'numerator' then moe end) as numerator_moe,
        max(case when role = 'denominator' then estimate end) as denominator,
        max(case when role = 'denominator' then moe end) as denominator_moe,
        string_agg(estimate_annotation, '; ') as estimate_annotation
    from intermediate.int_indicator_components
    group by indicator_id, vintage, geo_level, geoid, group_id, method, moe_published, scale
),

proportions as (
    select
        *,
        case when method = 'proportion' and denominator > 0 then numerator / denominator end as p,
        case
            when method = 'proportion' and denominator > 0
                then pow(numerator_moe, 2) - pow(numerator / denominator, 2) * pow(denominator_moe, 2)
        end as radicand
    from pivoted
),

derived as (
    select
        p.*,
        case when method = 'direct' then value_estimate else p.p * scale end as raw_estimate,
        case
            when method = 'direct' then value_moe
            when p.radicand >= 0 then sqrt(p.radicand) / denominator * scale
            when p.radicand < 0
                then sqrt(pow(numerator_moe, 2) + pow(p.p, 2) * pow(denominator_moe, 2)) / denominator * scale
        end as raw_moe,
        case
            when method = 'direct' and moe_published then 'direct: published estimate and 90% MOE'
            when method = 'direct' then 'direct: published estimate; the source publishes no MOE'
            when not moe_published
                then 'derived: proportion of summed counts; no MOE (the source table publishes estimates only)'
            when p.radicand < 0
                then 'derived: proportion of summed counts; MOE by the ACS ratio formula (proportion radicand negative)'
            else 'derived: proportion of summed counts; MOE by the ACS proportion formula'
        end as method_text,
        case
            when method = 'proportion' and (numerator is null or denominator is null) then null
            when method = 'proportion' and denominator < rules.min_denominator
                then 'denominator below ' || cast(rules.min_denominator as integer) || ' (config/reliability.yaml)'
            when method = 'proportion' and numerator < rules.min_numerator
                then 'numerator below ' || cast(rules.min_numerator as integer) || ' (config/reliability.yaml)'
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
        c.unit
    from derived as d
    inner join catalog as c using (indicator_id)
)

select
    indicator_id,
    period as vintage,
    geo_level as geo_type,
    geoid,
    geo_name,
    group_id,
    case when not suppressed then numerator end as numerator,
    case when not suppressed then numerator_moe end as numerator_moe,
    case when not suppressed then denominator end as denominator,
    case when not suppressed then denominator_moe end as denominator_moe,
    estimate,
    moe,
    case when moe is not null then greatest(estimate - moe, 0) end as ci_low,
    case
        when moe is not null and unit = 'percent' then least(estimate + moe, 100)
        when moe is not null then estimate + moe
    end as ci_high,
    acs_level as ci_level,
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
    end as estimate_note,
    method_text as method
from final
