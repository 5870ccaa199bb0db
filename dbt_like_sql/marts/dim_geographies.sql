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
  state_name: the state's name, as the ACS names the state's counties (`Washington`)
  parents: containing geographies as geo_type:geoid (a tract's county and ACH regions; a county's ACH regions; a neighborhood's regions)
  county_geoid: the county the geography lies in (a tract's county; a county's own GEOID; null for ACH regions and neighborhoods), flat for dashboards
  county_name: that county's name
  ach_id: the ACH region the geography lies in (a county's, tract's or neighborhood's region; an ACH region's own id), flat for dashboards; where parents lists several (a Los Angeles tract in the county-built example region and in the neighborhood-built one), the county-built region, then the first by id
  ach_name: that region's name
  land_area_km2: area of the boundary polygon in km² (equal-area projection); null without a boundary
  population: census population (2020 Census; 2010 Census for 2010 tracts); null outside the tract coverage
  population_vintage: census year of population
  has_boundary: whether the geography has a polygon in the source boundaries (and so in the map exports)
  map_layer: the web map layer (release file `map_<map_layer>.geojson`) that draws it, one layer per geography type and boundary vintage, ACH regions built from neighborhoods apart from county-built ones, so no two features of a layer overlap; null without a boundary
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

state_names as (
    -- the state's name as the ACS writes it after a county's ("Vernon County, Missouri"; "; Missouri" from 2023)
    select
        left(geoid, 2) as state_fips,
        min(nullif(regexp_extract(geo_name, '[,;]\s*([^,;]+)$', 1), '')) as state_name
    from published
    where geo_type = 'county'
    group by 1
),

county_names as (
    select geoid, arg_max(coalesce(b.name, p.geo_name), p.geo_vintage) as county_name
    from published as p
    left join boundaries as b using (geo_type, geo_vintage, geoid)
    where p.geo_type = 'county'
    group by 1
),

examples as (
    select 'ach' as geo_type, ach_id as geoid, example from seeds.seed_ach_regions
    union all
    select 'neighborhood', neighborhood_id, example from seeds.seed_neighborhoods
),

geographies as (
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
),

ach_parents as (
    -- the region a geography's row is filed under when it lies in several (a Los Angeles tract in the county-built
    -- example region and in a neighborhood-built one): a county-built region first, then the first by id
    select
        p.geo_type,
        p.geo_vintage,
        p.geoid,
        arg_min(r.ach_id, (r.built_from = 'neighborhoods')::integer || r.ach_id) as ach_id
    from (select geo_type, geo_vintage, geoid, unnest(parents) as parent from geographies) as p
    inner join seeds.seed_ach_regions as r on p.parent = 'ach:' || r.ach_id
    group by all
),

flat as (
    -- one county and one ACH region per geography, for dashboards that filter on a column, not a list
    select
        g.*,
        case
            when g.geo_type = 'county' then g.geoid
            else replace(list_filter(g.parents, lambda x: starts_with(x, 'county:'))[1], 'county:', '')
        end as county_geoid,
        case when g.geo_type = 'ach' then g.geoid else a.ach_id end as ach_id
    from geographies as g
    left join ach_parents as a
        on g.geo_type = a.geo_type
        and g.geo_vintage = a.geo_vintage
        and g.geoid = a.geoid
)

select
    f.geo_type,
    f.geo_vintage,
    f.geoid,
    f.name,
    f.state_fips,
    s.state_name,
    f.parents,
    f.county_geoid,
    c.county_name,
    f.ach_id,
    r.name as ach_name,
    f.land_area_km2,
    f.population,
    f.population_vintage,
    f.has_boundary,
    case
        when f.has_boundary
            then f.geo_type || '_' || f.geo_vintage
            || case when f.geo_type = 'ach' and r.built_from = 'neighborhoods' then '_from_neighborhoods' else '' end
    end as map_layer,
    f.example
from flat as f
left join state_names as s on f.state_fips = s.state_fips
left join county_names as c on f.county_geoid = c.geoid
left join seeds.seed_ach_regions as r on f.ach_id = r.ach_id
