-- A few key indicators at every ACH region, for the total population and each broad race/ethnicity group, in the
-- latest period that has any value at that region (an older period is shown when the newest has none there).
-- Labels come from the release's own indicator_catalog and groups tables.
with key_indicators (indicator_id, position) as (
    values
        ('uninsured_rate', 1),
        ('poverty_rate', 2),
        ('bachelors_or_higher', 3),
        ('cost_burden_30_plus_households', 4),
        ('life_expectancy', 5)
),

ach_values as (
    select v.*
    from read_parquet('${release_dir}/indicator_values.parquet') as v
    where v.geo_type = 'ach' and v.indicator_id in (select k.indicator_id from key_indicators as k)
),

periods as (
    select distinct geoid, indicator_id, vintage, period_end_year
    from ach_values
    where estimate is not null
),

latest as (
    select geoid, indicator_id, vintage
    from periods
    qualify row_number() over (partition by geoid, indicator_id order by period_end_year desc, vintage desc) = 1
)

select
    v.geoid as ach_id,
    k.position,
    v.indicator_id,
    c.label as indicator_label,
    c.unit,
    c.direction,
    v.vintage,
    v.group_id,
    g.group_label,
    g.sort_order,
    v.estimate,
    v.moe,
    v.ci_low,
    v.ci_high,
    v.ci_level,
    v.reliability,
    v.suppressed,
    coalesce(v.estimate_note, v.suppression_reason) as note
from ach_values as v
join latest as l on l.geoid = v.geoid and l.indicator_id = v.indicator_id and l.vintage = v.vintage
join key_indicators as k on k.indicator_id = v.indicator_id
join read_parquet('${release_dir}/indicator_catalog.parquet') as c on c.indicator_id = v.indicator_id
join read_parquet('${release_dir}/groups.parquet') as g on g.group_id = v.group_id
where not g.is_detailed
order by v.geoid, k.position, g.sort_order
