/*
description: >-
  Published values of the indicators getvariable('indicators') names for the region and its parts (the temporary
  table `members`, from profile_members.sql), every period and group, with the group's label and sort order from the
  release's `groups` table. Read as published: estimate, MOE, interval, reliability, suppression and notes.
grain: indicator_id x vintage x geo_type x geo_vintage x geoid x group_id
*/
select
    v.indicator_id,
    v.vintage,
    v.period_start_year,
    v.period_end_year,
    v.geo_type,
    v.geo_vintage,
    v.geoid,
    m.name as geo_name,
    m.is_region,
    v.group_id,
    coalesce(g.group_label, v.group_id) as group_label,
    coalesce(g.sort_order, 999) as group_order,
    v.estimate,
    v.moe,
    v.ci_low,
    v.ci_high,
    v.ci_level,
    v.reliability,
    v.suppressed,
    v.suppression_reason,
    v.estimate_note
from indicator_values as v
inner join members as m using (geo_type, geo_vintage, geoid)
left join groups as g using (group_id)
where list_contains(getvariable('indicators'), v.indicator_id)
order by v.indicator_id, v.period_end_year, v.geo_type, v.geoid, group_order
