/*
description: >-
  Every source estimate the indicators can use, in one long shape: every staging model (Census API estimates, WA DOH
  life expectancy, CDC PLACES prevalences, HUD CHAS counts, CDC/ATSDR SVI variables, and any source added later),
  stacked by the union_models directive on the columns below (each staging model emits them: the source-estimate
  contract), plus the SVI ranks this pipeline recomputes. Sources that publish confidence limits keep them
  (published_ci_*), beside a 90% MOE.
grain: dataset x vintage_year x geo_level x geoid x variable
columns:
  vintage_year: source vintage (last year of the period)
  vintage: the period the estimate describes
  dataset: Census API dataset path, wa_doh/life_expectancy, cdc_places, hud_chas/table<N> or cdc_svi
  variable: variable id without suffix
  geo_level: county or tract
  geo_vintage: tract geography vintage the numbers are tabulated on (null for counties)
  geoid: GEOID
  geo_name: name as the source gives it
  estimate: the estimate (null when the source gives none)
  moe: 90% margin of error (0 for controlled estimates and census counts; null when unknown)
  estimate_annotation: why the estimate is null
  moe_annotation: why the MOE is null or 0, or how it was derived
  published_ci_low: lower confidence limit as published (sources that publish limits)
  published_ci_high: upper confidence limit as published
  published_ci_level: level of the published limits (0.95)
  source_file: the snapshot or landed file the estimate came from (null for the recomputed SVI ranks); named in check failures
*/
{{ union_models("staging", "stg_*") }}

union all

select
    vintage_year,
    vintage,
    'cdc_svi_recomputed' as dataset,
    scope || '_' || variable as variable,
    'county' as geo_level,
    cast(null as varchar) as geo_vintage,
    geoid,
    geo_name,
    estimate,
    cast(null as double) as moe,
    estimate_note as estimate_annotation,
    'a percentile rank among ' || n_ranked || ' counties: no sampling MOE is defined' as moe_annotation,
    cast(null as double) as published_ci_low,
    cast(null as double) as published_ci_high,
    cast(null as double) as published_ci_level,
    cast(null as varchar) as source_file
from intermediate.int_svi_ranks
