/*
description: >-
  Published-layer audit on a STAGED release: nothing configured is missing. Every indicator in
  config/indicators.yaml has a catalog entry and values; every ACH region in config/ach_regions.yaml and every
  neighborhood in config/neighborhoods/ is a published geography with values; no published table is empty. Reads
  the configuration from the warehouse's seeds and the staged tables as staged_* views.
grain: table_name x record
*/
select 'indicator_catalog' as table_name, indicator_id as record, 'indicator_id' as field, indicator_id as value,
    'a configured indicator (config/indicators.yaml) has no catalog entry' as problem
from seeds.seed_indicators
where indicator_id not in (select indicator_id from staged_indicator_catalog)

union all
select 'indicator_values', indicator_id, 'indicator_id', indicator_id,
    'a configured indicator (config/indicators.yaml) has no values'
from seeds.seed_indicators
where indicator_id not in (select distinct indicator_id from staged_indicator_values)

union all
select 'geographies', ach_id, 'geoid', ach_id, 'a configured ACH region (config/ach_regions.yaml) is not a published geography'
from seeds.seed_ach_regions
where ach_id not in (select geoid from staged_geographies where geo_type = 'ach')

union all
select 'indicator_values', ach_id, 'geoid', ach_id, 'a configured ACH region (config/ach_regions.yaml) has no values'
from seeds.seed_ach_regions
where ach_id not in (select distinct geoid from staged_indicator_values where geo_type = 'ach')

union all
select 'indicator_values', neighborhood_id, 'geoid', neighborhood_id,
    'a configured neighborhood (' || source_file || ') has no values'
from seeds.seed_neighborhoods
where neighborhood_id not in (select distinct geoid from staged_indicator_values where geo_type = 'neighborhood')

union all
select table_name, '(whole table)', 'rows', '0', 'a published table is empty'
from (
    select 'indicator_values' as table_name, count(*) as n from staged_indicator_values
    union all select 'indicator_catalog', count(*) from staged_indicator_catalog
    union all select 'geographies', count(*) from staged_geographies
    union all select 'disparities', count(*) from staged_disparities
)
where n = 0
