-- The counties of each ACH region: a county's geographies.parents lists 'ach:<ach id>' for every region holding it.
select
    a.geoid as ach_id,
    c.geoid as county_geoid,
    c.name as county_name,
    c.state_fips,
    c.geo_vintage,
    c.population,
    c.land_area_km2
from read_parquet('${release_dir}/geographies.parquet') as a
join read_parquet('${release_dir}/geographies.parquet') as c
    on c.geo_type = 'county' and list_contains(c.parents, 'ach:' || a.geoid)
where a.geo_type = 'ach'
order by a.geoid, c.name
