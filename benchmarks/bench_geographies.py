"""Benchmark: read every boundary layer of the snapshot and overlay tracts with tribal areas and neighborhoods.

Prints features, make_valid repairs, overlay pairs, wall time per step and peak memory: the geography work the
main job does in geo_boundaries and xwalk_tract_areas, without Dagster or DuckDB.

    .venv/bin/python benchmarks/bench_geographies.py
"""

from __future__ import annotations

import resource
import time

import geopandas as gpd
import shapely

from assets.geographies.overlay import tract_area_shares
from assets.settings import settings_from_env
from sources.census_geo import add_equal_area_km2, layer_source, read_boundary_layer
from sources.core.files import SourceFiles
from sources.geo_config import load_geo_config


def main() -> None:
    settings = settings_from_env()
    snapshot_files = SourceFiles("snapshot", settings.snapshot_dir, settings.landing_dir)
    config = load_geo_config(settings.config_dir)
    started = time.perf_counter()
    layers = {}
    for name, spec in config.boundary_layers.items():
        t = time.perf_counter()
        frame, stats = read_boundary_layer(name, spec, snapshot_files.get(layer_source("", name, spec)))
        layers[name] = add_equal_area_km2(frame, config.equal_area_crs)
        print(
            f"{name:12s} {stats['features']:>6,} features, {stats['repaired_make_valid']:>3} repaired, "
            f"{time.perf_counter() - t:5.2f} s"
        )
    hoods = gpd.GeoDataFrame(
        {"geoid": [n.neighborhood_id for n in config.neighborhoods]},
        geometry=[shapely.geometry.shape(n.geometry_geojson) for n in config.neighborhoods],
        crs="EPSG:4326",
    )
    min_share = float(config.settings["allocation"]["min_area_share"])
    for tracts in ("tract_2020", "tract_2010"):
        for areas_name, areas in (("aiannh", layers["aiannh_2019"]), ("neighborhood", hoods)):
            t = time.perf_counter()
            pairs = tract_area_shares(layers[tracts], areas, config.equal_area_crs, min_share)
            print(f"overlay {tracts} x {areas_name:12s} {len(pairs):>5,} pairs, {time.perf_counter() - t:5.2f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {time.perf_counter() - started:.2f} s, peak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
