-- The newest release's geographies (join to latest_indicator_values on geo_type, geo_vintage, geoid).
create or replace view latest_geographies as
select g.*
from geographies as g
where g.release_id = (select release_id from releases where is_latest)
