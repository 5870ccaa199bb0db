/*
description: >-
  Every published geography: the geographies that have rows in fct_indicator_values, with name, parents,
  boundary vintage, area and census population. Tribal areas follow the publication policy (only approved areas
  appear). Areas are computed from the boundary polygons in an equal-area projection (EPSG:6933); cartographic
  boundaries are clipped to the shoreline, so this is close to land area. Population is the 2020 Census count
  (2010 for 2010 tracts), summed over tracts, split tracts by area share.
grain: geo_type x geo_vintage x geoid
columns:
  geo_type: county, tract, aiannh, neighborhood or ach
  geo_vintage: boundary vintage (tracts 2010/2020, counties 2017/2023, aiannh 2019, ACH region vintage, config)
  geoid: GEOID or config id (join key with indicator_values on geo_type, geo_vintage, geoid)
  name: geography name
  state_fips: 2-digit state FIPS (counties, tracts, ACH regions)
  parents: containing geographies as geo_type:geoid (a tract's county and ACH regions; a county's ACH regions; a neighborhood's regions)
  land_area_km2: area of the boundary polygon in km² (equal-area projection); null without a boundary
  population: census population (2020 Census; 2010 Census for 2010 tracts); null outside the tract coverage
  population_vintage: census year of population
  has_boundary: whether the geography has a polygon in the source boundaries (and so in the map exports)
  example: true for example regions and neighborhoods made up to show the mechanics
*/
with published as (
    -- the name of the newest period (the API's style changed in 2023: "Tract 1; County; State"), ties broken by
    -- the name itself, so a rebuild on the same inputs always picks the same one
    select geo_type, geo_vintage, geoid, arg_max(geo_name, vintage || ' ' || geo_name) as geo_name
    from marts.fct_indicator_values
    group by all
),

boundaries as (
    select geo_type, geo_vintage, geoid, name, state_fips, area_km2, geometry_wkb is not null as has_boundary
    from geographies.geo_boundaries
),

population as (
    select geo_type, geoid, any_value(vintage) as population_vintage, any_value(estimate) as population
    from marts.fct_indicator_values
    where indicator_id = 'population'
        and group_id = 'total'
        and vintage = (
            case when geo_type = 'tract' and geo_vintage = '2010' then '2010' else '2020' end
        )
    group by geo_type, geoid, geo_vintage
),

tract_parents as (
    select
        from_geo_vintage,
        from_geoid,
        list(distinct to_geo_type || ':' || to_geoid order by to_geo_type || ':' || to_geoid) as parents
    from intermediate.int_geo_allocation
    where from_geo_level = 'tract' and to_geo_type in ('county', 'ach') and allocation_factor >= 0.5
    group by all
),

county_parents as (
    select member_geoid as geoid, list(distinct 'ach:' || ach_id order by 'ach:' || ach_id) as parents
    from seeds.seed_ach_region_members
    where member_geo_type = 'county'
    group by 1
),

neighborhood_parents as (
    select member_geoid as geoid, list(distinct 'ach:' || ach_id order by 'ach:' || ach_id) as parents
    from seeds.seed_ach_region_members
    where member_geo_type = 'neighborhood'
    group by 1
),

examples as (
    select 'ach' as geo_type, ach_id as geoid, example from seeds.seed_ach_regions
    union all
    select 'neighborhood', neighborhood_id, example from seeds.seed_neighborhoods
)

select
    p.geo_type,
    p.geo_vintage,
    p.geoid,
    coalesce(b.name, p.geo_name) as name,
    coalesce(b.state_fips, case when p.geo_type in ('county', 'tract') then left(p.geoid, 2) end) as state_fips,
    coalesce(tp.parents, cp.parents, np.parents, []) as parents,
    b.area_km2 as land_area_km2,
    pop.population,
    pop.population_vintage,
    coalesce(b.has_boundary, false) as has_boundary,
    coalesce(e.example, false) as example
from published as p
left join boundaries as b
    on p.geo_type = b.geo_type
    and p.geo_vintage = b.geo_vintage
    and p.geoid = b.geoid
left join population as pop
    on p.geo_type = pop.geo_type
    and p.geoid = pop.geoid
    and (p.geo_type <> 'tract' or pop.population_vintage = p.geo_vintage)
left join tract_parents as tp
    on p.geo_type = 'tract'
    and p.geo_vintage = tp.from_geo_vintage
    and p.geoid = tp.from_geoid
left join county_parents as cp
    on p.geo_type = 'county'
    and p.geoid = cp.geoid
left join neighborhood_parents as np
    on p.geo_type = 'neighborhood'
    and p.geoid = np.geoid
left join examples as e
    on p.geo_type = e.geo_type
    and p.geoid = e.geoid
