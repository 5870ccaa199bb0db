/*
description: >-
  Each indicator's components (value, numerator, denominator) per vintage, geography and group: the ACS
  variables named in config/indicators.yaml, summed. The MOE of a sum is the square root of the sum of squared
  MOEs, counting only the largest MOE among zero estimates once (ACS handbook, "Understanding and Using ACS
  Data", 2020, ch. 8; tidycensus moe_sum). A component with any missing estimate is missing; one with any
  unknown MOE has an unknown MOE.
grain: indicator_id x vintage x geo_level x geoid x group_id x role
columns:
  indicator_id: indicator id from config/indicators.yaml
  vintage: Census API vintage year
  period: period label, e.g. 2014-2018
  geo_level: county or tract
  geoid: GEOID
  geo_name: name as the API returns it
  group_id: race/ethnicity group id (config/race_ethnicity_groups.yaml)
  role: value, numerator or denominator
  method: direct or proportion
  moe_published: whether the source table publishes MOEs
  scale: multiplier applied to a proportion (100 for percent)
  n_variables: number of ACS variables summed
  estimate: sum of the variables' estimates (null if any is missing)
  moe: MOE of the sum at 90% (null if any MOE is unknown)
  estimate_annotation: reasons for missing estimates among the variables
  moe_annotation: reasons for missing or zero MOEs among the variables
*/
select
    s.indicator_id,
    s.vintage,
    any_value(e.period) as period,
    s.geo_level,
    e.geoid,
    any_value(e.geo_name) as geo_name,
    s.group_id,
    s.role,
    s.method,
    s.moe_published,
    s.scale,
    count(*) as n_variables,
    case when count(e.estimate) = count(*) then sum(e.estimate) end as estimate,
    case
        when count(e.estimate) = count(*) and count(e.moe) = count(*)
            then sqrt(
                sum(case when e.estimate <> 0 then e.moe * e.moe else 0 end)
                + pow(coalesce(max(case when e.estimate = 0 then e.moe end), 0), 2)
            )
    end as moe,
    string_agg(distinct e.variable || ': ' || e.estimate_annotation, '; ' order by e.variable || ': ' || e.estimate_annotation)
        as estimate_annotation,
    string_agg(distinct e.moe_annotation, '; ' order by e.moe_annotation) as moe_annotation
from seeds.seed_indicator_variables as s
inner join staging.stg_census_api__estimates as e
    on s.vintage = e.vintage
    and s.dataset = e.dataset
    and s.geo_level = e.geo_level
    and s.variable = e.variable
    and (s.state is null or left(e.geoid, 2) = s.state)
group by s.indicator_id, s.vintage, s.geo_level, e.geoid, s.group_id, s.role, s.method, s.moe_published, s.scale
