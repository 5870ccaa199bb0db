/*
description: >-
  How source geographies roll up into every published geography: tract -> county (GEOID prefix), tract and
  county -> ACH region (config/ach_regions.yaml), tract -> tribal area, neighborhood and neighborhood-built ACH
  region (boundary overlay). allocation_factor is the share of the source unit's counts assigned to the target:
  1 for nesting units; for a tract split by a boundary, the share of its area inside the target (its population
  is taken to be spread evenly within the tract). A tract vintage without its own boundary in the source (2010
  tracts in California, 2020 tracts outside metro areas) is carried through the Census relationship file to the
  other vintage's overlay by land-area share. A tract that carries source data but is not a tract of its stated
  vintage (no census count and no boundary of that vintage, e.g. 06037137000 in the ACS 2014-18 and 2015-19 files,
  which use 2010 tracts as the Census Bureau corrected them in 2012) still nests in its county and in county-built
  ACH regions by GEOID prefix, but cannot be placed in any overlay area: in_tract_vintage is false for it and the
  aggregation reports it as unallocated there instead of dropping it silently. Weights for population-weighted
  means are the census population allocated to the target; where a unit has no population the weight is its
  allocated area, and weight_method says which (none when the unit has neither).
grain: from_geo_level x from_geo_vintage x from_geoid x to_geo_type x to_geoid
columns:
  from_geo_level: tract or county
  from_geo_vintage: tract geography vintage (2010 or 2020); null for counties
  from_geoid: GEOID of the source unit
  to_geo_type: county, ach, aiannh or neighborhood
  to_geo_vintage: vintage of the target's boundary (aiannh 2019; ACH region vintage; neighborhoods config; counties by data vintage, filled later)
  to_geoid: id of the target
  allocation_factor: share of the source unit's counts assigned to the target (0-1)
  from_population: census population of the source unit (2010 or 2020 Census for tracts; 2020 for counties)
  allocated_population: from_population x allocation_factor
  weight: weight in population-weighted means (allocated population, or allocated km² where there is no population)
  weight_method: population, area, or none (a tract outside its vintage's census counts and boundaries)
  by_boundary: true when the target was reached by a boundary overlay (neighborhoods, tribal areas, neighborhood-built regions), false for nesting by GEOID prefix or county membership
  in_tract_vintage: false for a source tract that is neither a census-counted nor a bounded tract of its vintage (nested by GEOID prefix only; unallocated to overlay areas); true otherwise (and for counties)
  derivation: how the factor was obtained
*/
with rules as (
    select * from seeds.seed_allocation_rules
),

tract_population as (
    select e.geo_vintage, e.geoid, e.estimate as population
    from intermediate.int_source_estimates as e
    inner join seeds.seed_population_weights as w
        on e.geo_vintage = w.geo_vintage
        and e.dataset = w.dataset
        and e.variable = w.variable
    where e.geo_level = 'tract'
),

tract_boundary as (
    select geo_vintage, geoid, area_km2 from geographies.geo_boundaries where geo_type = 'tract'
),

vintage_tracts as (
    select
        coalesce(p.geo_vintage, b.geo_vintage) as geo_vintage,
        coalesce(p.geoid, b.geoid) as geoid,
        p.population,
        b.area_km2
    from tract_population as p
    full outer join tract_boundary as b
        on p.geo_vintage = b.geo_vintage
        and p.geoid = b.geoid
),

source_tracts as (
    -- every tract some source publishes data for, under the tract vintage the source uses
    select distinct geo_vintage, geoid
    from intermediate.int_source_estimates
    where geo_level = 'tract' and geo_vintage is not null
),

tracts as (
    select geo_vintage, geoid, population, area_km2, true as in_tract_vintage, '' as vintage_note
    from vintage_tracts
    union all
    -- a tract with data that is not a tract of its vintage: nested in its county by GEOID prefix, never dropped
    select
        s.geo_vintage, s.geoid, null, null, false,
        '; not a ' || s.geo_vintage || ' tract (no ' || s.geo_vintage || ' census count or boundary): nested by GEOID '
            || 'prefix only, unallocated to overlay areas'
    from source_tracts as s
    anti join vintage_tracts as v
        on s.geo_vintage = v.geo_vintage
        and s.geoid = v.geoid
),

overlay_direct as (
    select
        tract_vintage as geo_vintage,
        tract_geoid as geoid,
        area_type,
        area_geoid,
        area_share,
        'overlay of ' || tract_vintage || ' tract boundaries (area share)' as derivation
    from geographies.xwalk_tract_areas
),

relationship as (
    -- each part of the relationship file, read in both directions: the share of a tract's land in the part
    select
        '2010' as geo_vintage,
        tract_2010 as geoid,
        '2020' as via_vintage,
        tract_2020 as via_geoid,
        land_m2_part / nullif(land_m2_tract_2010, 0) as land_share
    from geographies.ref_tract_relationship
    union all
    select '2020', tract_2020, '2010', tract_2010, land_m2_part / nullif(land_m2_tract_2020, 0)
    from geographies.ref_tract_relationship
),

overlay_via_relationship as (
    -- tracts without a boundary of their own reach the areas through the other vintage's overlay
    select
        r.geo_vintage,
        r.geoid,
        x.area_type,
        x.area_geoid,
        sum(r.land_share * x.area_share) as area_share,
        r.geo_vintage || ' tract -> ' || r.via_vintage || ' tracts by land-area share (Census relationship file) '
            || '-> overlay of ' || r.via_vintage || ' tract boundaries' as derivation
    from relationship as r
    inner join overlay_direct as x
        on x.geo_vintage = r.via_vintage
        and x.geoid = r.via_geoid
    anti join tract_boundary as b
        on b.geo_vintage = r.geo_vintage
        and b.geoid = r.geoid
    where r.land_share > 0
    group by r.geo_vintage, r.geoid, r.via_vintage, x.area_type, x.area_geoid
),

overlay as (
    select o.*
    from (
        select * from overlay_direct
        union all
        select * from overlay_via_relationship
    ) as o
    cross join rules
    where o.area_share >= rules.min_area_share
),

tract_targets as (
    select geo_vintage, geoid, 'county' as to_geo_type, left(geoid, 5) as to_geoid, 1.0 as allocation_factor,
        'tract within its county (GEOID prefix)' || vintage_note as derivation,
        false as by_boundary
    from tracts
    union all
    select t.geo_vintage, t.geoid, 'ach', m.ach_id, 1.0,
        'tract within county ' || m.member_geoid || ', a member of the region (config/ach_regions.yaml)'
            || t.vintage_note,
        false
    from tracts as t
    inner join seeds.seed_ach_region_members as m
        on m.member_geo_type = 'county'
        and m.member_geoid = left(t.geoid, 5)
    union all
    select geo_vintage, geoid, area_type, area_geoid, least(area_share, 1.0), derivation, true
    from overlay
),

county_population as (
    select left(geoid, 5) as county, sum(population) as population
    from vintage_tracts
    where geo_vintage = '2020'
    group by 1
),

target_vintage as (
    select geo_type, geoid, geo_vintage from geographies.geo_boundaries where geo_type in ('aiannh', 'neighborhood', 'ach')
),

allocation as (
    select
        'tract' as from_geo_level,
        r.geo_vintage as from_geo_vintage,
        r.geoid as from_geoid,
        r.to_geo_type,
        r.to_geoid,
        r.allocation_factor,
        t.population as from_population,
        r.allocation_factor * t.population as allocated_population,
        case
            when t.population > 0 then 'population'
            when t.population is null and t.area_km2 is null then 'none'
            else 'area'
        end as weight_method,
        case when t.population > 0 then r.allocation_factor * t.population else r.allocation_factor * t.area_km2 end
            as weight,
        r.by_boundary,
        coalesce(t.in_tract_vintage, true) as in_tract_vintage,
        r.derivation
    from tract_targets as r
    left join tracts as t
        on r.geo_vintage = t.geo_vintage
        and r.geoid = t.geoid
    union all
    select
        'county',
        null,
        m.member_geoid,
        'ach',
        m.ach_id,
        1.0,
        c.population,
        c.population,
        'population',
        c.population,
        false,
        true,
        'county member of the region (config/ach_regions.yaml)'
    from seeds.seed_ach_region_members as m
    left join county_population as c on m.member_geoid = c.county
    where m.member_geo_type = 'county'
)

select
    a.from_geo_level,
    a.from_geo_vintage,
    a.from_geoid,
    a.to_geo_type,
    v.geo_vintage as to_geo_vintage,
    a.to_geoid,
    a.allocation_factor,
    a.from_population,
    a.allocated_population,
    a.weight,
    a.weight_method,
    a.by_boundary,
    a.in_tract_vintage,
    a.derivation
from allocation as a
left join target_vintage as v
    on a.to_geo_type = v.geo_type
    and a.to_geoid = v.geoid
