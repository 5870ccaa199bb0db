-- Configuration integrity of config/ach_regions.yaml: a county belongs to at most one ACH region of its state,
-- unless config/checks.yaml `ach_overlaps_intended` lists the county with exactly those regions. A county in two
-- regions would be counted twice in every regional comparison. One row per county listed in a region, `problem`
-- naming the file, the regions and the county when it is listed more than once without intent.
with counties as (
    select m.member_geoid as county, r.state_fips, m.ach_id
    from seeds.seed_ach_region_members as m
    inner join seeds.seed_ach_regions as r using (ach_id)
    where m.member_geo_type = 'county'
),

per_county as (
    select
        county,
        state_fips,
        list(ach_id order by ach_id) as regions,
        count(*) as n_regions
    from counties
    group by all
),

intended as (
    select county, list_sort(string_split(regions, ',')) as regions from cfg_ach_overlaps_intended
)

select
    p.county,
    p.state_fips,
    array_to_string(p.regions, ',') as regions,
    p.n_regions,
    case when p.n_regions > 1 and not exists (
        select 1 from intended as i where i.county = p.county and i.regions = p.regions
    ) then format(
        'config/ach_regions.yaml: county {} is listed in {} regions of state {}: {} (a county belongs to one ACH region; '
        || 'list it in config/checks.yaml ach_overlaps_intended if the overlap is intended)',
        p.county, p.n_regions, p.state_fips, array_to_string(p.regions, ' and ')
    ) end as problem
from per_county as p
order by all
