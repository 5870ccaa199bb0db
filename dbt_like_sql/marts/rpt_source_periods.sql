/*
description: >-
  The periods each source contributes to a release, for the release manifest: one row per source family (the
  Census Bureau's ACS and decennial census by dataset prefix, every other source by the first part of its dataset
  name, so a new source appears here without an edit), with CDC PLACES' release years beside its BRFSS years.
grain: source
columns:
  source: source family (acs, decennial_census, cdc_places, cdc_svi, cdc_svi_recomputed, hud_chas, wa_doh, ...)
  periods: the vintages (periods) with estimates, sorted (e.g. 2014-2018; BRFSS years for PLACES)
  releases: the publisher's release names where they differ from the periods (CDC PLACES), else null
*/
with periods as (
    select
        case
            when dataset like 'acs/%' then 'acs'
            when dataset like 'dec/%' then 'decennial_census'
            else split_part(dataset, '/', 1)
        end as source,
        list(distinct vintage order by vintage) as periods
    from intermediate.int_source_estimates
    group by 1
),

releases as (
    select 'cdc_places' as source, list(distinct release order by release) as releases
    from staging.stg_cdc_places__estimates
)

select p.source, p.periods, r.releases
from periods as p
left join releases as r using (source)
order by p.source
