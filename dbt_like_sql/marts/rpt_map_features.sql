/*
description: >-
  What the map exports carry for each published geography with a boundary: for every indicator, the total-group
  value of the latest period that has a value at that geography (or the latest period when none has), with its
  MOE, interval and reliability. Long here; the export pivots it to one feature per geography.
grain: geo_type x geo_vintage x geoid x indicator_id
columns:
  geo_type: county, tract, aiannh, neighborhood or ach
  geo_vintage: boundary vintage
  geoid: GEOID or config id
  indicator_id: indicator id
  vintage: the period of the value shown
  estimate: the value (null when suppressed or unavailable)
  moe: 90% MOE
  ci_low: lower bound at ci_level
  ci_high: upper bound at ci_level
  ci_level: confidence level of the interval
  reliability: high, medium, low or unknown
  suppressed: whether a small-number rule withheld the value
*/
with ranked as (
    select
        v.*,
        row_number() over (
            partition by v.geo_type, v.geo_vintage, v.geoid, v.indicator_id
            order by (v.estimate is not null) desc, v.vintage desc
        ) as rank_latest
    from marts.fct_indicator_values as v
    inner join marts.dim_geographies as g
        on v.geo_type = g.geo_type
        and v.geo_vintage = g.geo_vintage
        and v.geoid = g.geoid
    where v.group_id = 'total'
        and g.has_boundary
)

select
    geo_type, geo_vintage, geoid, indicator_id, vintage, estimate, moe, ci_low, ci_high, ci_level, reliability, suppressed
from ranked
where rank_latest = 1
