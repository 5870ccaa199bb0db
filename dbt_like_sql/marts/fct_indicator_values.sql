/*
description: >-
  Published equity indicator values: every computed value (intermediate.int_indicator_values) except tribal-area
  rows the tribal-data publication policy withholds. A tribal area's rows are published only when
  config/tribal_data_policy.yaml lists it as approved, naming the tribal government that approved it.
grain: indicator_id x vintage x geo_type x geoid x group_id
columns_from: intermediate/int_indicator_values.sql
*/
select v.*
from intermediate.int_indicator_values as v
where v.geo_type <> 'aiannh'
    or v.geoid in (select aiannh_geoid from seeds.seed_tribal_data_policy)
