/*
description: >-
  Published-layer audit on a STAGED release against the previous latest release: rows per indicator x vintage x
  geo_type (indicator values) and per geo_type x geo_vintage (geographies) may fall by at most
  getvariable('max_row_drop_share') of the previous count (config/releases.yaml). A larger drop, or a group that
  vanished, is one row: the group, the counts before and after. Reads previous_* and staged_* views; with no
  previous release the previous_* views are empty and nothing is reported.
grain: table_name x record
*/
with values_before as (
    select indicator_id, vintage, geo_type, count(*) as n from previous_indicator_values group by all
),

values_after as (
    select indicator_id, vintage, geo_type, count(*) as n from staged_indicator_values group by all
),

geos_before as (
    select geo_type, geo_vintage, count(*) as n from previous_geographies group by all
),

geos_after as (
    select geo_type, geo_vintage, count(*) as n from staged_geographies group by all
)

select
    'indicator_values' as table_name,
    concat_ws(' ', b.indicator_id, b.vintage, b.geo_type) as record,
    'rows' as field,
    concat(b.n, ' -> ', coalesce(a.n, 0)) as value,
    case when a.n is null then 'rows vanished since the previous release'
        else format('rows fell by {:.1f}% since the previous release', 100 * (b.n - a.n) / b.n) end as problem
from values_before as b
left join values_after as a using (indicator_id, vintage, geo_type)
where coalesce(a.n, 0) < b.n * (1 - getvariable('max_row_drop_share'))

union all
select
    'geographies',
    concat_ws(' ', b.geo_type, b.geo_vintage),
    'rows',
    concat(b.n, ' -> ', coalesce(a.n, 0)),
    case when a.n is null then 'geographies vanished since the previous release'
        else format('geographies fell by {:.1f}% since the previous release', 100 * (b.n - a.n) / b.n) end
from geos_before as b
left join geos_after as a using (geo_type, geo_vintage)
where coalesce(a.n, 0) < b.n * (1 - getvariable('max_row_drop_share'))
