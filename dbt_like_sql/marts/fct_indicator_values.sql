/*
description: >-
  Published equity indicator values: every computed value (intermediate.int_indicator_values) except tribal-area
  rows the tribal-data publication policy withholds. A tribal area's rows are published only when
  config/tribal_data_policy.yaml lists it as approved, naming the tribal government that approved it. Beside the
  `vintage` label ("2014-2018" for an ACS 5-year period, "2020" for a single year) the period's first and last years
  are integers a BI tool can sort and filter on.
grain: indicator_id x vintage x geo_type x geoid x group_id
columns_from: intermediate/int_indicator_values.sql
columns_added_after: vintage
columns_added:
  period_start_year: first year the period covers (2014 for "2014-2018"; the year itself for a one-year vintage)
  period_end_year: last year the period covers (2018 for "2014-2018"); compare periods of equal length (null only for a vintage that is not a year or a year range, which the checks block)
*/
select
    v.indicator_id,
    v.vintage,
    try_cast(split_part(v.vintage, '-', 1) as integer) as period_start_year,
    try_cast(coalesce(nullif(split_part(v.vintage, '-', 2), ''), v.vintage) as integer) as period_end_year,
    v.* exclude (indicator_id, vintage)
from intermediate.int_indicator_values as v
where v.geo_type <> 'aiannh'
    or v.geoid in (select aiannh_geoid from seeds.seed_tribal_data_policy)
