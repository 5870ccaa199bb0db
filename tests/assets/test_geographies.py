"""ACH geographies: regions, tribal areas and neighborhoods, checked against hand arithmetic on the snapshot."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict

import pytest
import yaml

from assets.settings import CONFIG_DIR
from tests.conftest import TEST_NEIGHBORHOODS

Z90 = 1.645
GEO_TYPES = {"county", "tract", "aiannh", "neighborhood", "ach"}


def _wa_membership(snapshot_dir) -> dict[str, list[str]]:
    members: dict[str, list[str]] = defaultdict(list)
    with open(snapshot_dir / "ach" / "wa_ach_county_membership.csv", newline="") as f:
        for row in csv.DictReader(f):
            members[row["ach_id"]].append(row["county_fips"])
    return members


def test_config_wa_achs_are_the_snapshot_membership(snapshot_dir) -> None:
    """config/ach_regions.yaml lists the nine WA ACHs with exactly the HCA county membership in the snapshot."""
    regions = yaml.safe_load((CONFIG_DIR / "ach_regions.yaml").read_text())["regions"]
    config = {r["id"]: sorted(r["counties"]) for r in regions if r["state"] == "53"}
    expected = {k: sorted(v) for k, v in _wa_membership(snapshot_dir).items()}
    assert config == expected
    assert len(config) == 9 and sum(len(v) for v in config.values()) == 39
    assert all(r.get("example") for r in regions if r["state"] == "06")


def test_every_wa_ach_has_a_row_per_count_based_indicator_and_group(published) -> None:
    """Each (indicator, period, group) built from counts for WA counties has a row for each of the nine ACHs.

    A row either has a value, or is suppressed with the rule, or says why it has none (e.g. the counties with data
    hold less than 95% of the region's population).
    """
    county_keys = set(
        published.execute(
            """select distinct indicator_id, vintage, group_id from latest_indicator_values
               where geo_type = 'county' and geoid like '53%' and estimate is not null
                 and (method like '%proportion%' or method like '%count%')"""
        ).fetchall()
    )
    assert {k[0] for k in county_keys} >= {"population", "population_share", "poverty_rate", "uninsured_rate"}
    ach_rows = published.execute(
        """select geoid, indicator_id, vintage, group_id from latest_indicator_values
           where geo_type = 'ach' and geoid like 'wa-%'
             and (estimate is not null or suppression_reason is not null or estimate_note is not null)"""
    ).fetchall()
    with_value = published.execute(
        """select count(*) filter (where estimate is not null) / count(*) from latest_indicator_values
           where geo_type = 'ach' and geoid like 'wa-%' and method like 'aggregated from %'
             and (method like '%proportion%' or method like '%census count%')"""
    ).fetchone()[0]
    assert with_value > 0.9
    by_ach: dict[str, set] = defaultdict(set)
    for geoid, *key in ach_rows:
        by_ach[geoid].add(tuple(key))
    assert len(by_ach) == 9
    for ach, keys in by_ach.items():
        assert county_keys <= keys, (ach, sorted(county_keys - keys)[:5])


def test_wa_ach_population_is_the_sum_of_its_counties(published, snapshot_dir) -> None:
    """2020 Census population of each ACH = sum over its counties of the P1_001N tract counts (P1.json, state 53).

    Hand arithmetic: read census_api/2020/dec/pl/tract/53/P1.json, add P1_001N by county (state+county columns),
    then by ACH with the HCA membership CSV. Washington's total is 7,705,281 (PROVENANCE.md).
    """
    rows = json.loads((snapshot_dir / "census_api/2020/dec/pl/tract/53/P1.json").read_text())
    header = rows[0]
    i_pop, i_state, i_county = header.index("P1_001N"), header.index("state"), header.index("county")
    county_pop: dict[str, int] = defaultdict(int)
    for r in rows[1:]:
        county_pop[r[i_state] + r[i_county]] += int(r[i_pop])
    assert sum(county_pop.values()) == 7_705_281
    expected = {ach: sum(county_pop[c] for c in counties) for ach, counties in _wa_membership(snapshot_dir).items()}
    published_ach = dict(
        published.execute(
            """select geoid, estimate from latest_indicator_values
               where indicator_id = 'population' and vintage = '2020' and geo_type = 'ach' and geoid like 'wa-%'
                 and group_id = 'total'"""
        ).fetchall()
    )
    county_sums = dict(
        published.execute(
            """select g.geoid, sum(c.estimate) from latest_indicator_values as c
               join (select unnest(parents) as parent, geoid from geographies where geo_type = 'county'
                     and release_id = (select max(release_id) from releases)) as p
                 on c.geoid = p.geoid
               join geographies as g on g.geo_type = 'ach' and 'ach:' || g.geoid = p.parent
                 and g.release_id = (select max(release_id) from releases)
               where c.indicator_id = 'population' and c.vintage = '2020' and c.geo_type = 'county'
                 and c.group_id = 'total' and g.geoid like 'wa-%'
               group by g.geoid"""
        ).fetchall()
    )
    assert published_ach == pytest.approx(expected)
    assert county_sums == pytest.approx(expected)
    assert published_ach["wa-healthierhere"] == 2_269_675  # King County alone
    geo_pop = published.execute(
        """select sum(population) from geographies where geo_type = 'ach' and geoid like 'wa-%'
           and release_id = (select max(release_id) from releases)"""
    ).fetchone()[0]
    assert geo_pop == 7_705_281


def test_default_policy_publishes_no_tribal_area_row_and_counts_what_it_withheld(published, first_release) -> None:
    settings, _ = first_release
    assert (
        published.execute("select count(*) from latest_indicator_values where geo_type = 'aiannh'").fetchone()[0] == 0
    )
    assert published.execute("select count(*) from geographies where geo_type = 'aiannh'").fetchone()[0] == 0
    release_id, withheld_areas, withheld_rows = published.execute(
        "select release_id, tribal_areas_withheld, tribal_rows_withheld from releases order by created_at desc limit 1"
    ).fetchone()
    manifest = json.loads((settings.published_dir / "releases" / release_id / "manifest.json").read_text())
    policy = manifest["tribal_data_policy"]
    assert policy["approved_areas"] == [] and policy["areas_published"] == 0
    assert policy["areas_withheld"] == withheld_areas > 0
    assert policy["indicator_rows_withheld"] == withheld_rows > 0


def test_approved_yakama_nation_gets_life_expectancy_and_population(approved_run, snapshot_dir) -> None:
    """With Yakama Nation (4690) approved, its rows are published and no other tribal area's are."""
    _, con = approved_run
    rows = con.execute(
        """select indicator_id, vintage, estimate, moe, ci_low, ci_high, ci_level, reliability, method
           from latest_indicator_values where geo_type = 'aiannh' order by indicator_id, vintage"""
    ).fetchall()
    assert {r[0] for r in rows} == {"life_expectancy", "population"}
    assert con.execute("select distinct geoid from latest_indicator_values where geo_type = 'aiannh'").fetchall() == [
        ("4690",)
    ]
    by_key = {(r[0], r[1]): r for r in rows}
    le = by_key[("life_expectancy", "2016-2020")]
    _, _, estimate, moe, low, high, level, reliability, method = le
    # Population-weighted mean of WA tract values: must lie within the range of the tracts it averages
    # (WA tract values 2016-20 span roughly 66 to 92 years) and carry a 95% interval wider than the 90% MOE.
    assert 60 < estimate < 90 and level == pytest.approx(0.95)
    assert low < estimate < high and (high - low) / 2 == pytest.approx(moe * 1.96 / Z90)
    assert "population-weighted mean" in method and reliability == "high"
    pop2010 = by_key[("population", "2010")][2]
    pop2020 = by_key[("population", "2020")][2]
    assert 25_000 < pop2010 < 40_000 and 25_000 < pop2020 < 40_000
    policy = con.execute("select tribal_areas_withheld from releases order by created_at desc limit 1").fetchone()[0]
    assert policy > 0  # every other area stays withheld
    assert (
        con.execute(
            "select count(*) from latest_indicator_values where geo_type = 'aiannh' and geoid <> '4690'"
        ).fetchone()[0]
        == 0
    )


def test_all_five_geography_types_are_published(approved_run) -> None:
    _, con = approved_run
    types = {r[0] for r in con.execute("select distinct geo_type from latest_indicator_values").fetchall()}
    assert types == GEO_TYPES


def _tract_b25070(snapshot_dir, tract: str) -> dict[str, float]:
    rows = json.loads((snapshot_dir / "census_api/2023/acs/acs5/tract/06/037/B25070.json").read_text())
    header = rows[0]
    for r in rows[1:]:
        if r[-3] + r[-2] + r[-1] == tract:
            return {h: float(v) for h, v in zip(header, r, strict=True) if h.startswith("B25070_")}
    raise AssertionError(f"tract {tract} not in B25070.json")


def test_hand_drawn_neighborhoods_allocate_tracts_and_rebuild_rent_burden(approved_run, snapshot_dir) -> None:
    """Two rectangles drawn over real LA tracts (tests/conftest.py TEST_NEIGHBORHOODS), ACS 2019-2023.

    Weights: w(t, n) = area(n ∩ t) / area(t) in EPSG:6933 (equal area), computed here with shapely/pyproj
    directly from the snapshot's tract shapes. Counts: N = Σ w·(B25070_007+_008+_009+_010),
    D = Σ w·(B25070_001 − B25070_011). MOE of each allocated sum: sqrt(Σ (w·MOE_part)²) with the parts' MOEs
    combined by the sum formula; rate p = N / D; MOE(p) = sqrt(MOE_N² − p²·MOE_D²) / D (ACS proportion formula).
    """
    import geopandas as gpd
    import shapely
    from shapely.geometry import box

    settings, con = approved_run
    tracts = gpd.read_file(snapshot_dir / "census_geo/tract/2020_by_cbsa/31080.json", layer="tracts").set_crs(4326)
    tracts = tracts.set_index("GEOID").to_crs(6933)
    weights: dict[str, dict[str, float]] = {}
    for nid, bounds in TEST_NEIGHBORHOODS.items():
        rect = gpd.GeoSeries([box(*bounds)], crs=4326).to_crs(6933).iloc[0]
        hits = tracts[tracts.intersects(rect)]
        weights[nid] = {
            g: shapely.area(rect.intersection(geom)) / shapely.area(geom) for g, geom in hits.geometry.items()
        }
    inside, across = weights["test-inside-one-tract"], weights["test-across-two-tracts"]
    assert list(inside) == ["06037302302"] and 0 < inside["06037302302"] < 1
    assert sorted(across) == ["06037302302", "06037302401"]

    # The pipeline's allocation factors equal the hand-computed area shares.
    import duckdb

    warehouse = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        for nid, expected in weights.items():
            got = dict(
                warehouse.execute(
                    """select from_geoid, allocation_factor from intermediate.int_geo_allocation
                       where to_geo_type = 'neighborhood' and to_geoid = ? and from_geo_vintage = '2020'""",
                    [nid],
                ).fetchall()
            )
            assert got == pytest.approx(expected, rel=1e-6), nid
    finally:
        warehouse.close()

    def allocated(w: dict[str, float]) -> tuple[float, float, float, float]:
        num, num_sq, den, den_sq = 0.0, 0.0, 0.0, 0.0
        for tract, f in w.items():
            c = _tract_b25070(snapshot_dir, tract)
            n = sum(c[f"B25070_{k:03d}E"] for k in (7, 8, 9, 10))
            n_moe2 = sum(c[f"B25070_{k:03d}M"] ** 2 for k in (7, 8, 9, 10) if c[f"B25070_{k:03d}E"] != 0)
            n_moe2 += max((c[f"B25070_{k:03d}M"] for k in (7, 8, 9, 10) if c[f"B25070_{k:03d}E"] == 0), default=0) ** 2
            d = c["B25070_001E"] - c["B25070_011E"]
            d_moe2 = c["B25070_001M"] ** 2 + c["B25070_011M"] ** 2
            num += f * n
            num_sq += f * f * n_moe2
            den += f * d
            den_sq += f * f * d_moe2
        return num, math.sqrt(num_sq), den, math.sqrt(den_sq)

    for nid, w in weights.items():
        num, num_moe, den, den_moe = allocated(w)
        p = num / den
        radicand = num_moe**2 - p**2 * den_moe**2
        moe = math.sqrt(radicand if radicand >= 0 else num_moe**2 + p**2 * den_moe**2) / den
        estimate_pub, moe_pub, num_pub, den_pub, method = con.execute(
            """select estimate, moe, numerator, denominator, method from latest_indicator_values
               where indicator_id = 'rent_burden_30_plus' and vintage = '2019-2023' and geo_type = 'neighborhood'
                 and geoid = ? and group_id = 'total'""",
            [nid],
        ).fetchone()
        assert num_pub == pytest.approx(num) and den_pub == pytest.approx(den)
        assert estimate_pub == pytest.approx(100 * p) and moe_pub == pytest.approx(100 * moe)
        assert "split tract contributes its area share" in method

    # Inside one tract the factor cancels: the neighborhood's rate and MOE are the tract's own.
    tract_rate, tract_moe = con.execute(
        """select estimate, moe from latest_indicator_values where indicator_id = 'rent_burden_30_plus'
           and vintage = '2019-2023' and geo_type = 'tract' and geoid = '06037302302' and group_id = 'total'"""
    ).fetchone()
    inside_rate, inside_moe = con.execute(
        """select estimate, moe from latest_indicator_values where indicator_id = 'rent_burden_30_plus'
           and vintage = '2019-2023' and geoid = 'test-inside-one-tract'"""
    ).fetchone()
    assert inside_rate == pytest.approx(tract_rate) and inside_moe == pytest.approx(tract_moe)


def test_map_export_has_one_valid_feature_per_mapped_geography_with_published_values(published, first_release) -> None:
    import geopandas as gpd

    settings, _ = first_release
    release_id = published.execute("select release_id from releases order by created_at desc limit 1").fetchone()[0]
    folder = settings.published_dir / "releases" / release_id
    mapped = published.execute(
        "select geo_type, geo_vintage, geoid from latest_geographies where has_boundary order by all"
    ).fetchall()
    unmapped = published.execute("select count(*) from latest_geographies where not has_boundary").fetchone()[0]
    everything = gpd.read_parquet(folder / "map_geographies.parquet")
    assert everything.crs.to_epsg() == 4326
    assert sorted(zip(everything.geo_type, everything.geo_vintage, everything.geoid, strict=True)) == mapped
    assert everything.geometry.is_valid.all() and not everything.geometry.is_empty.any()
    layers = {}
    for path in sorted(folder.glob("map_*.geojson")):
        layer = gpd.read_file(path)
        assert layer.geometry.is_valid.all(), path.name
        layers[path.name] = layer
    assert sum(len(layer) for layer in layers.values()) == len(mapped)
    assert unmapped < len(mapped)  # tracts with no boundary in the snapshot are listed, not drawn

    latest = published.execute(
        """select geo_type, geo_vintage, geoid, indicator_id, estimate, moe, reliability from (
             select *, row_number() over (partition by geo_type, geo_vintage, geoid, indicator_id
                                          order by (estimate is not null) desc, vintage desc) as k
             from latest_indicator_values where group_id = 'total')
           where k = 1"""
    ).fetchall()
    # One feature per geography; its cells read as plain Python lists (a pandas .loc per value takes a minute).
    keys = list(zip(everything.geo_type, everything.geo_vintage, everything.geoid, strict=True))
    position = {key: i for i, key in enumerate(keys)}
    assert len(position) == len(keys)
    cells = {name: everything[name].tolist() for name in everything.columns if name != everything.geometry.name}
    checked = 0
    for geo_type, geo_vintage, geoid, indicator, estimate, moe, reliability in latest:
        key = (geo_type, geo_vintage, geoid)
        if key not in position:
            continue
        i = position[key]
        value = cells[indicator][i]
        assert (estimate is None and (value is None or math.isnan(value))) or value == pytest.approx(estimate), key
        assert cells[f"{indicator}__reliability"][i] == reliability
        shown_moe = cells[f"{indicator}__moe"][i]
        assert (moe is None and (shown_moe is None or math.isnan(shown_moe))) or shown_moe == pytest.approx(moe), key
        checked += 1
    assert checked > 10_000
    counties = everything[everything["geo_type"] == "county"]
    assert not counties["geoid"].duplicated().any()  # one polygon per county on a map
    king = everything.iloc[position[("county", "2023", "53033")]]
    assert king["median_household_income"] == 89418 and king["median_household_income__vintage"] == "2014-2018"
