/*
description: >-
  WA DOH life expectancy at birth by 2010 census tract in the same long shape as the Census estimates, with the
  published 95% limits kept and a 90% MOE derived from them: SE = (upper - lower) / (2 x 1.96), MOE = 1.645 x SE
  (the limits are symmetric around the estimate in this source). Tracts the portal marks (-- no data, **
  suppressed, NR not reliable) have a null estimate and the reason.
grain: vintage x geoid
columns:
  vintage: last year of the period, e.g. 2020
  period: the period the estimate describes, e.g. 2016-2020
  dataset: wa_doh/life_expectancy
  variable: life_expectancy_at_birth
  geo_level: tract
  geo_vintage: 2010 (WTN publishes on 2010 census tracts)
  geoid: 11-digit 2010 tract GEOID
  geo_name: tract name built from the tract code and the file's county name
  estimate: life expectancy at birth in years; null when the portal gives none
  moe: 90% margin of error derived from the published 95% limits
  ci_low_95: published lower 95% confidence limit
  ci_high_95: published upper 95% confidence limit
  estimate_annotation: why the estimate is null (the portal's marker and its meaning)
  source_file: snapshot file the row came from
*/
select
    r.vintage,
    r.period,
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
    r.ci_low_95,
    r.ci_high_95,
    r.annotation as estimate_annotation,
    r.source_file
from raw.wa_doh_life_expectancy_raw as r
cross join seeds.seed_reliability_rules as rules
