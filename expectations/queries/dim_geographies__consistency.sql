-- Published geographies: every geography with published values has exactly one row in marts.dim_geographies
-- (geo_type x geo_vintage x geoid) with a name, and no population or area is negative. One row per geography of
-- either table, `problem` when one of these fails.
with used as (
    select distinct geo_type, geo_vintage, geoid from marts.fct_indicator_values
),

dims as (
    select geo_type, geo_vintage, geoid, count(*) as n_rows, any_value(name) as name,
        min(population) as population, min(land_area_km2) as land_area_km2
    from marts.dim_geographies
    group by all
)

select
    coalesce(u.geo_type, d.geo_type) as geo_type,
    coalesce(u.geo_vintage, d.geo_vintage) as geo_vintage,
    coalesce(u.geoid, d.geoid) as geoid,
    case
        when d.geoid is null then 'has published values but no row in dim_geographies'
        when d.n_rows > 1 then format('has {} rows in dim_geographies', d.n_rows)
        when d.name is null then 'has no name'
        when d.population < 0 then format('population {} is negative', d.population)
        when d.land_area_km2 < 0 then format('land area {} km2 is negative', d.land_area_km2)
    end as problem
from used as u
full outer join dims as d using (geo_type, geo_vintage, geoid)
order by all
