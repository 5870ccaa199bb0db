/*
description: >-
  The tribal-data publication policy as applied: one row per tribal area (AIANNH) with computed indicator values,
  whether it is published (approved in config/tribal_data_policy.yaml, naming the tribal government) or
  withheld, and how many indicator rows were computed and withheld. The release manifest carries these counts.
grain: aiannh_geoid
columns:
  aiannh_geoid: 4-character AIANNH GEOID
  name: area name in the Census boundaries
  status: published or withheld
  approved_by: tribal government that approved publication (published areas)
  approval_reference: the approving act (resolution, agreement)
  approved_on: date of approval
  rows_computed: indicator rows computed for the area
  rows_withheld: indicator rows withheld from the published tables
*/
with computed as (
    select geoid, min(geo_name) as name, count(*) as rows_computed
    from intermediate.int_indicator_values
    where geo_type = 'aiannh'
    group by geoid
)

select
    c.geoid as aiannh_geoid,
    c.name,
    case when p.aiannh_geoid is not null then 'published' else 'withheld' end as status,
    p.approved_by,
    p.approval_reference,
    p.approved_on,
    c.rows_computed,
    case when p.aiannh_geoid is not null then 0 else c.rows_computed end as rows_withheld
from computed as c
left join seeds.seed_tribal_data_policy as p on c.geoid = p.aiannh_geoid
