/*
description: >-
  CDC PLACES county prevalences in the long estimate shape: crude and age-adjusted values per measure, the
  published 95% limits kept, and a 90% MOE derived from them (1.645 x (upper - lower) / (2 x 1.96); PLACES
  limits come from a model and can be slightly asymmetric, so this MOE is an approximation the method states).
  One row per BRFSS year x county x measure value: where two releases publish the same BRFSS year for a county
  (the 2023 release repeats the 2022 release's BRFSS 2020 estimates of eight even-year measures for California:
  CERVICAL, COLON_SCREEN, COREM, COREW, DENTAL, MAMMOUSE, SLEEP, TEETHLOST), the later release's row is kept, so
  int_source_estimates has one estimate per county, BRFSS year and measure (two would be added together by
  int_indicator_components). In the snapshot the two copies have the same estimates and limits; only CDC's
  county population differs. The per-release completeness and geography checks read raw.cdc_places_raw.
grain: vintage_year x geoid x variable
columns:
  vintage_year: BRFSS data year of the estimate (a release mixes years; 2022 release 2019 and 2020, 2023 release 2020 and 2021)
  vintage: same as vintage_year
  release: PLACES release year the row is taken from (the latest release publishing this BRFSS year)
  dataset: cdc_places
  variable: measure id and value type, e.g. diabetes_crude, diabetes_age_adjusted
  geo_level: county
  geo_vintage: null (counties)
  geoid: 5-digit county FIPS
  geo_name: county name as CDC gives it
  estimate: prevalence in percent; null when CDC gives none
  moe: 90% margin of error derived from the published 95% limits
  published_ci_low: published lower 95% confidence limit
  published_ci_high: published upper 95% confidence limit
  published_ci_level: level of the published limits (0.95) where there is an estimate
  total_population: the county population CDC's model used
  estimate_annotation: why the estimate is null (CDC's footnote)
  moe_annotation: how the MOE was derived
  source_file: file or landed page the row came from
*/
select
    r.vintage_year,
    r.vintage,
    r.release,
    r.dataset,
    r.variable,
    r.geo_level,
    cast(null as varchar) as geo_vintage,
    r.geoid,
    r.geo_name,
    r.estimate,
    case
        when r.estimate is not null then moe90_from_ci(r.ci_low_95, r.ci_high_95, rules.z_95, rules.z_90)
    end as moe,
    r.ci_low_95 as published_ci_low,
    r.ci_high_95 as published_ci_high,
    case when r.estimate is not null then cast(0.95 as double) end as published_ci_level,
    r.total_population,
    r.annotation as estimate_annotation,
    case when r.estimate is not null then 'derived from the published 95% limits: 1.645 x (upper - lower) / (2 x 1.96)' end as moe_annotation,
    r.source_file
from raw.cdc_places_raw as r
cross join seeds.seed_reliability_rules as rules
qualify row_number() over (partition by r.vintage_year, r.geoid, r.variable order by r.release desc) = 1
