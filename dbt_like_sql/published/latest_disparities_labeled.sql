/*
description: >-
  The newest release's disparity measures with labels, the period's years and flat geography columns, for a
  dashboard tool to read as is. Same rows as latest_disparities.
columns:
  indicator_label: the indicator's label (indicator_catalog.label)
  group_label: the compared group's label (null on summary rows)
  reference_group_label: the reference group's label
*/
create or replace view latest_disparities_labeled as
with periods as (
    select distinct release_id, indicator_id, vintage, period_start_year, period_end_year
    from indicator_values
    where release_id = (select release_id from releases where is_latest)
)

select
    d.*,
    c.label as indicator_label,
    c.unit,
    c.direction,
    p.period_start_year,
    p.period_end_year,
    gr.group_label,
    ref.group_label as reference_group_label,
    g.state_fips,
    g.state_name,
    g.county_geoid,
    g.county_name,
    g.ach_id,
    g.ach_name
from disparities as d
left join indicator_catalog as c
    on d.release_id = c.release_id
    and d.indicator_id = c.indicator_id
left join periods as p
    on d.release_id = p.release_id
    and d.indicator_id = p.indicator_id
    and d.vintage = p.vintage
left join groups as gr
    on d.release_id = gr.release_id
    and d.group_id = gr.group_id
left join groups as ref
    on d.release_id = ref.release_id
    and d.reference_group = ref.group_id
left join geographies as g
    on d.release_id = g.release_id
    and d.geo_type = g.geo_type
    and d.geo_vintage = g.geo_vintage
    and d.geoid = g.geoid
where d.release_id = (select release_id from releases where is_latest)
