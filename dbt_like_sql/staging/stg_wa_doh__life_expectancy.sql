/*
description: >-
  WA DOH life expectancy at birth by 2010 census tract in the same long shape as the Census estimates, with the
  published 95% limits kept and a 90% MOE derived from them: SE = (upper - lower) / (2 x 1.96), MOE = 1.645 x SE
  (the limits are symmetric around the estimate in this source). Tracts the portal marks (-- no data, **
  suppressed, NR not reliable) have a null estimate and the reason.
grain: vintage_year x geoid
columns:
  vintage_year: last year of the period, e.g. 2020
  vintage: the period the estimate describes, e.g. 2016-2020
  dataset: wa_doh/life_expectancy
  variable: life_expectancy_at_birth
  geo_level: tract
  geo_vintage: 2010 (WTN publishes on 2010 census tracts)
  geoid: 11-digit 2010 tract GEOID
  geo_name: tract name built from the tract code and the file's county name
  estimate: life expectancy at birth in years; null when the portal gives none
  moe: 90% margin of error derived from the published 95% limits
  published_ci_low: published lower 95% confidence limit
  published_ci_high: published upper 95% confidence limit
  published_ci_level: level of the published limits (0.95) where there is an estimate
  estimate_annotation: why the estimate is null (the portal's marker and its meaning)
  moe_annotation: how the MOE was derived
  source_file: snapshot file the row came from
*/
select
    r.vintage_year,
    r.vintage,
    r.dataset,
    r.variable,
    r.geo_level,
    '2010' as geo_vintage,
    r.geoid,
    r.geo_name,
    r.estimate,
    case
        when r.estimate is not null then moe90_from_ci(r.ci_low_95, r.ci_high_95, rules.z_95, rules.z_90)
    end as moe,
    r.ci_low_95 as published_ci_low,
    r.ci_high_95 as published_ci_high,
    case when r.estimate is not null then cast(0.95 as double) end as published_ci_level,
    r.annotation as estimate_annotation,
    case when r.estimate is not null then 'derived from the published 95% limits: 1.645 x (upper - lower) / (2 x 1.96)' end as moe_annotation,
    r.source_file
from raw.wa_doh_life_expectancy_raw as r
cross join seeds.seed_reliability_rules as rules
