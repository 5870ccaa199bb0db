/*
description: >-
  All-people values of the indicators getvariable('indicators') names for every ACH region of the state
  getvariable('state_fips'): the region beside the other regions of its state (the release has no state rows).
grain: indicator_id x vintage x geoid
*/
select
    v.indicator_id,
    v.vintage,
    v.period_end_year,
    v.geoid,
    g.name as geo_name,
    v.estimate,
    v.moe,
    v.ci_low,
    v.ci_high,
    v.ci_level,
    v.reliability,
    v.suppressed
from indicator_values as v
inner join geographies as g using (geo_type, geo_vintage, geoid)
where v.geo_type = 'ach'
    and g.state_fips = getvariable('state_fips')
    and v.group_id = 'total'
    and list_contains(getvariable('indicators'), v.indicator_id)
order by v.indicator_id, v.period_end_year, g.name
