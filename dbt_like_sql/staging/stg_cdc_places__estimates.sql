/*
description: >-
  CDC PLACES county prevalences in the long estimate shape: crude and age-adjusted values per measure, the
  published 95% limits kept, and a 90% MOE derived from them (1.645 x (upper - lower) / (2 x 1.96); PLACES
  limits come from a model and can be slightly asymmetric, so this MOE is an approximation the method states).
grain: release x vintage x geoid x variable
columns:
  vintage: BRFSS data year the release models (2020 for the 2022 release, 2021 for the 2023 release)
  period: same as vintage
  release: PLACES release year
  dataset: cdc_places
  variable: measure id and value type, e.g. diabetes_crude, diabetes_age_adjusted
  geo_level: county
  geoid: 5-digit county FIPS
  geo_name: county name as CDC gives it
  estimate: prevalence in percent; null when CDC gives none
  moe: 90% margin of error derived from the published 95% limits
  ci_low_95: published lower 95% confidence limit
  ci_high_95: published upper 95% confidence limit
  total_population: the county population CDC's model used
  estimate_annotation: why the estimate is null (CDC's footnote)
  source_file: file or landed page the row came from
*/
select
    r.vintage,
    r.period,
    r.release,
    r.dataset,
    r.variable,
    r.geo_level,
    r.geoid,
    r.geo_name,
    r.estimate,
    case
        when r.estimate is not null then moe90_from_ci(r.ci_low_95, r.ci_high_95, rules.z_95, rules.z_90)
    end as moe,
    r.ci_low_95,
    r.ci_high_95,
    r.total_population,
    r.annotation as estimate_annotation,
    r.source_file
from raw.cdc_places_raw as r
cross join seeds.seed_reliability_rules as rules
