/*
description: >-
  The newest release's indicator values with their labels and flat geography columns, for a dashboard tool to read
  as is: the indicator's label, unit and direction, the group's label, the period as text, the geography's state,
  county and ACH region as plain columns (no list to unnest, no id to look up). Same rows as latest_indicator_values.
columns:
  indicator_label: the indicator's label (indicator_catalog.label)
  group_label: the race/ethnicity group's label (groups.group_label), e.g. "Hispanic or Latino (any race)"
  group_sort_order: the group's position in charts and tables (groups.sort_order)
  period_label: the period as text, e.g. "2019-2023" or "2020" (the same as vintage)
  is_total: whether the row is the all-people total (group_id 'total')
*/
create or replace view latest_indicator_values_labeled as
select
    v.*,
    c.label as indicator_label,
    c.unit,
    c.direction,
    gr.group_label,
    gr.sort_order as group_sort_order,
    case
        when v.period_start_year = v.period_end_year then v.period_end_year::varchar
        else v.period_start_year || '-' || v.period_end_year
    end as period_label,
    v.group_id = 'total' as is_total,
    g.state_fips,
    g.state_name,
    g.county_geoid,
    g.county_name,
    g.ach_id,
    g.ach_name,
    g.map_layer
from indicator_values as v
left join indicator_catalog as c
    on v.release_id = c.release_id
    and v.indicator_id = c.indicator_id
left join groups as gr
    on v.release_id = gr.release_id
    and v.group_id = gr.group_id
left join geographies as g
    on v.release_id = g.release_id
    and v.geo_type = g.geo_type
    and v.geo_vintage = g.geo_vintage
    and v.geoid = g.geoid
where v.release_id = (select release_id from releases where is_latest)
