/*
description: >-
  Every source estimate the indicators can use, in one long shape: Census API estimates (ACS, decennial), WA DOH
  life expectancy, CDC PLACES prevalences, HUD CHAS counts and CDC/ATSDR SVI variables. Sources that publish confidence limits keep them (published_ci_*), beside a 90% MOE.
grain: dataset x vintage x geo_level x geoid x variable
columns:
  vintage: source vintage (last year of the period)
  period: the period the estimate describes
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
*/
select
    vintage,
    period,
    dataset,
    variable,
    geo_level,
    geo_vintage,
    geoid,
    geo_name,
    estimate,
    moe,
    estimate_annotation,
    moe_annotation,
    cast(null as double) as published_ci_low,
    cast(null as double) as published_ci_high,
    cast(null as double) as published_ci_level
from staging.stg_census_api__estimates

union all

select
    vintage,
    period,
    dataset,
    variable,
    geo_level,
    geo_vintage,
    geoid,
    geo_name,
    estimate,
    moe,
    estimate_annotation,
    case when estimate is not null then 'derived from the published 95% limits: 1.645 x (upper - lower) / (2 x 1.96)' end
        as moe_annotation,
    ci_low_95 as published_ci_low,
    ci_high_95 as published_ci_high,
    case when estimate is not null then 0.95 end as published_ci_level
from staging.stg_wa_doh__life_expectancy

union all

select
    vintage,
    period,
    dataset,
    variable,
    geo_level,
    cast(null as varchar) as geo_vintage,
    geoid,
    geo_name,
    estimate,
    moe,
    estimate_annotation,
    case when estimate is not null then 'derived from the published 95% limits: 1.645 x (upper - lower) / (2 x 1.96)' end
        as moe_annotation,
    ci_low_95 as published_ci_low,
    ci_high_95 as published_ci_high,
    case when estimate is not null then 0.95 end as published_ci_level
from staging.stg_cdc_places__estimates

union all

select
    vintage,
    period,
    dataset,
    variable,
    geo_level,
    cast(null as varchar) as geo_vintage,
    geoid,
    geo_name,
    estimate,
    moe,
    estimate_annotation,
    case when moe is null then 'not published' end as moe_annotation,
    cast(null as double) as published_ci_low,
    cast(null as double) as published_ci_high,
    cast(null as double) as published_ci_level
from staging.stg_hud_chas__estimates

union all

select
    vintage,
    period,
    dataset,
    variable,
    geo_level,
    cast(null as varchar) as geo_vintage,
    geoid,
    geo_name,
    estimate,
    moe,
    estimate_annotation,
    moe_annotation,
    cast(null as double) as published_ci_low,
    cast(null as double) as published_ci_high,
    cast(null as double) as published_ci_level
from staging.stg_cdc_svi__estimates

union all

select
    vintage,
    period,
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
    cast(null as double) as published_ci_level
from intermediate.int_svi_ranks
