/*
description: >-
  The newest release's boundaries as WKB, one row per geography with a boundary (join to latest_geographies or
  latest_indicator_values_labeled on geo_type, geo_vintage, geoid). In DuckDB, `ST_GeomFromWKB(geometry_wkb)` with
  the spatial extension, or `geometry_wkb::geometry` from DuckDB 1.5; longitude/latitude (EPSG:4326), full
  precision. The web map layers (simplified) are the release's map_<map_layer>.geojson files.
columns:
  geometry_wkb: the boundary polygon as well-known binary (WKB), longitude/latitude (EPSG:4326), as in the release's map_geographies.parquet
*/
create or replace view latest_geometries as
select g.*
from geometries as g
where g.release_id = (select release_id from releases where is_latest)
