/*
description: >-
  HUD CHAS county estimates in the long estimate shape, each cell beside its published 90% MOE, named by what HUD's
  data dictionary says the column holds (config/hud_chas.yaml), e.g. renter_hispanic_gt50 for T9_est67. HUD rounds
  every cell on its own, so owner + renter can differ from a total by a few units.
grain: dataset x geoid x variable
columns:
  vintage_year: last year of the ACS period behind the release (2022)
  vintage: ACS period, e.g. 2018-2022
  dataset: hud_chas/table<N>
  variable: tenure_race_burden code from the data dictionary labels
  hud_column: HUD's column name, e.g. T9_est67
  geo_level: county
  geo_vintage: null (counties)
  geoid: 5-digit county FIPS
  geo_name: county name as HUD gives it
  estimate: the count
  moe: published 90% margin of error
  estimate_annotation: why the estimate is null
  moe_annotation: why the MOE is null ("not published")
  published_ci_low: null (the source publishes an MOE, not confidence limits)
  published_ci_high: null
  published_ci_level: null
  source_file: file the row came from
*/
select
    vintage_year,
    vintage,
    dataset,
    variable,
    hud_column,
    geo_level,
    cast(null as varchar) as geo_vintage,
    geoid,
    geo_name,
    estimate,
    moe,
    annotation as estimate_annotation,
    case when moe is null then 'not published' end as moe_annotation,
    cast(null as double) as published_ci_low,
    cast(null as double) as published_ci_high,
    cast(null as double) as published_ci_level,
    source_file
from raw.hud_chas_raw
