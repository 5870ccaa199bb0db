/*
description: >-
  Published-layer audit on a STAGED release (before it can become latest): every indicator value inside the domain
  of its unit. Percent 0-100, percentile rank 0-1, dollars > 0, people and years >= 0; margins of error >= 0; no NaN
  or infinity stored as a number; the interval contains its estimate; a share's numerator not above its
  denominator. One row per problem: the record, the field and the value. Reads the staged tables as
  staged_indicator_values and staged_indicator_catalog (temporary views the publish step creates).
grain: table_name x record x field
*/
with numbers as (
    unpivot (
        select
            indicator_id, vintage, geo_type, geoid, group_id,
            numerator, numerator_moe, denominator, denominator_moe, estimate, moe, ci_low, ci_high, cv
        from staged_indicator_values
    )
    on numerator, numerator_moe, denominator, denominator_moe, estimate, moe, ci_low, ci_high, cv
    into name field value value
),

keyed as (
    select
        v.*,
        c.unit,
        concat_ws(' ', v.indicator_id, v.vintage, v.geo_type, v.geoid, v.group_id) as record
    from staged_indicator_values as v
    left join staged_indicator_catalog as c using (indicator_id)
)

select
    'indicator_values' as table_name,
    concat_ws(' ', indicator_id, vintage, geo_type, geoid, group_id) as record,
    field,
    value::varchar as value,
    'not a number (NaN or infinity)' as problem
from numbers
where isnan(value) or isinf(value)

union all
select 'indicator_values', record, 'estimate', estimate::varchar, 'a percent outside 0-100'
from keyed
where unit = 'percent' and (estimate < 0 or estimate > 100)

union all
select 'indicator_values', record, 'estimate', estimate::varchar, 'a percentile rank outside 0-1'
from keyed
where unit like 'percentile rank%' and (estimate < 0 or estimate > 1)

union all
select 'indicator_values', record, 'estimate', estimate::varchar, 'a dollar amount not above 0'
from keyed
where unit = 'dollars' and estimate <= 0

union all
select 'indicator_values', record, 'estimate', estimate::varchar, 'a negative ' || unit
from keyed
where unit in ('people', 'years') and estimate < 0

union all
select 'indicator_values', record, field, value::varchar, 'a negative margin of error'
from (
    select record, 'moe' as field, moe as value from keyed
    union all select record, 'numerator_moe', numerator_moe from keyed
    union all select record, 'denominator_moe', denominator_moe from keyed
)
where value < 0

union all
select
    'indicator_values', record, 'ci_low, estimate, ci_high',
    concat_ws(', ', ci_low, estimate, ci_high),
    'the interval does not contain its estimate'
from keyed
where ci_low > estimate + 1e-9 or ci_high < estimate - 1e-9 or ci_low > ci_high

union all
select
    'indicator_values', record, 'numerator, denominator', concat_ws(', ', numerator, denominator),
    'a share whose numerator exceeds its denominator'
from keyed
where unit = 'percent' and numerator > denominator * (1 + 1e-9)

union all
select 'indicator_values', record, 'unit', coalesce(unit, 'NULL'), 'an indicator with no known unit in the catalog'
from keyed
where unit is null or unit not in ('percent', 'percentile rank (0-1)', 'dollars', 'people', 'years')
