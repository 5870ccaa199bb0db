-- Every ACH region of the release (geographies.geo_type = 'ach'): one templated page each (pages/ach/[ach_id].md).
select
    g.geoid as ach_id,
    g.name,
    g.geo_vintage,
    g.population,
    g.example,
    count(c.geoid) as n_counties,
    '${release_id}' as release_id
from read_parquet('${release_dir}/geographies.parquet') as g
left join read_parquet('${release_dir}/geographies.parquet') as c
    on c.geo_type = 'county' and list_contains(c.parents, 'ach:' || g.geoid)
where g.geo_type = 'ach'
group by all
order by g.example, g.name
