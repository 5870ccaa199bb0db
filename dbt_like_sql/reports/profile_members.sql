/*
description: >-
  An ACH region's own row and every published geography it is made of (its counties, tracts of both vintages and,
  for a region drawn from neighborhoods, those neighborhoods), from a release's `geographies` table (a view over its
  Parquet). getvariable('ach_id') names the region.
grain: geo_type x geo_vintage x geoid
*/
select
    geo_type,
    geo_vintage,
    geoid,
    name,
    state_fips,
    population,
    has_boundary,
    geo_type = 'ach' as is_region
from geographies
where (geo_type = 'ach' and geoid = getvariable('ach_id'))
    or list_contains(parents, 'ach:' || getvariable('ach_id'))
order by is_region desc, geo_type, geo_vintage, geoid
