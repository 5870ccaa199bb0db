-- Value domains of every published value, by the unit of its indicator in the catalog (seeds.seed_indicators,
-- from config/indicators.yaml; domains in config/checks.yaml `unit_domains`): one row per value that breaks a
-- rule, with `problem` naming the rule. A percentage above 100, a negative count or a median income of 0 is
-- wrong, not unusual, and would mislead: the check blocks the release.
with v as (
    select v.*, i.unit, d.min as unit_min, d.max as unit_max, d.min_exclusive, d.unit is not null as has_domain
    from marts.fct_indicator_values as v
    left join seeds.seed_indicators as i using (indicator_id)
    left join cfg_unit_domains as d on d.unit = i.unit
),

problems as (
    select
        *,
        case
            when unit is null then 'indicator is not in the catalog (config/indicators.yaml)'
            when period_start_year is null or period_end_year is null or period_start_year > period_end_year
                or period_start_year < 1990 or period_end_year > year(current_date) then format(
                    'vintage {} gives period {}-{}, which is not a period of past years', vintage,
                    period_start_year, period_end_year
                )
            when not has_domain then format('unit {} has no domain in config/checks.yaml unit_domains', unit)
            when estimate < unit_min or (min_exclusive and estimate = unit_min) or estimate > unit_max then format(
                'estimate {} is outside the domain of unit {} ({}{}, {}]; config/checks.yaml unit_domains)',
                estimate, unit, case when min_exclusive then '(' else '[' end, unit_min, coalesce(unit_max::varchar, 'inf')
            )
            when moe < 0 then format('moe {} is negative', moe)
            when numerator_moe < 0 or denominator_moe < 0 then 'a count MOE is negative'
            when numerator < 0 or denominator < 0 then format('numerator {} or denominator {} is negative', numerator, denominator)
            when cv < 0 then format('cv {} is negative', cv)
            when ci_low > estimate + 1e-9 then format('ci_low {} is above the estimate {}', ci_low, estimate)
            when ci_high < estimate - 1e-9 then format('ci_high {} is below the estimate {}', ci_high, estimate)
            when ci_low > ci_high then format('ci_low {} is above ci_high {}', ci_low, ci_high)
            when unit = 'percent' and (ci_low < 0 or ci_high > 100 + 1e-9) then
                format('interval [{}, {}] leaves 0-100', ci_low, ci_high)
        end as problem
    from v
)

select indicator_id, vintage, geo_type, geoid, group_id, unit, estimate, moe, ci_low, ci_high, problem
from problems
where problem is not null
order by indicator_id, vintage, geo_type, geoid, group_id
