/*
description: >-
  CDC/ATSDR SVI county variables in the long estimate shape: each E_ (count) and EP_ (percent) value beside its
  published 90% MOE (M_, MP_); percentile ranks (EPL_, SPL_, RPL_) and flags (F_) have no MOE. CDC's -999
  ("missing") and ACS annotation codes are nulls with the reason, never numbers.
grain: vintage_year x geoid x variable
columns:
  vintage_year: SVI release year (2018, 2020, 2022)
  vintage: ACS 5-year period behind it, e.g. 2018-2022
  dataset: cdc_svi
  variable: CDC column name in lower case, e.g. ep_noveh
  geo_level: county
  geo_vintage: null (counties)
  geoid: 5-digit county FIPS (zero-padded)
  geo_name: county and state as CDC gives them
  estimate: the value; null when CDC gives -999 or an annotation code
  moe: published 90% MOE (from the matching M_/MP_ column); null when none is published or it is missing
  estimate_annotation: why the estimate is null
  moe_annotation: why the MOE is null
  published_ci_low: null (the source publishes an MOE, not confidence limits)
  published_ci_high: null
  published_ci_level: null
  source_file: file the row came from
*/
with cells as (
    select * from raw.cdc_svi_raw
),

estimates as (
    select
        *,
        case
            when variable like 'ep\_%' escape '\' then 'mp_' || substr(variable, 4)
            when variable like 'e\_%' escape '\' then 'm_' || substr(variable, 3)
        end as moe_variable
    from cells
    where not (variable like 'm\_%' escape '\' or variable like 'mp\_%' escape '\')
)

select
    e.vintage_year,
    e.vintage,
    e.dataset,
    e.variable,
    e.geo_level,
    cast(null as varchar) as geo_vintage,
    e.geoid,
    e.geo_name,
    e.estimate,
    m.estimate as moe,
    e.annotation as estimate_annotation,
    case
        when e.moe_variable is null then 'no MOE: a rank, sum or flag'
        when m.variable is null then 'not published: no ' || upper(e.moe_variable) || ' column'
        when m.estimate is null then upper(e.moe_variable) || ': ' || coalesce(m.annotation, 'missing')
    end as moe_annotation,
    cast(null as double) as published_ci_low,
    cast(null as double) as published_ci_high,
    cast(null as double) as published_ci_level,
    e.source_file
from estimates as e
left join cells as m
    on e.vintage_year = m.vintage_year
    and e.geoid = m.geoid
    and m.variable = e.moe_variable
