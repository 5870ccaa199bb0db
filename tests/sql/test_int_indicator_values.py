"""intermediate/int_indicator_values.sql on hand-made components: the proportion estimate and its MOE by the Census
proportion formula (ratio formula when the radicand is negative), scale, CI (floored at 0, capped at 100 for
percents, or the published 95% limits), CV, the reliability thresholds of seeds.seed_reliability_rules, small-number
suppression with every reason, the method text of each branch and the precedence of a value at its own geography
over one aggregated from counties over one aggregated from tracts.

All inputs are GENERATED for this test (made-up indicators and values), not real data. Rules are those of
config/reliability.yaml: CV < 12 high, <= 40 medium, else low; suppress a proportion when the denominator is below 20
or the numerator below 11; z_90 = 1.645."""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pytest

from tests.sql.sql_harness import RELIABILITY_RULES, by_key, connect, create_rules, create_table, run_model

MODEL = "intermediate/int_indicator_values.sql"
Z = 1.645

PROPORTION_TEXT = "derived: proportion of summed counts; MOE by the ACS proportion formula"
RATIO_TEXT = "derived: proportion of summed counts; MOE by the ACS ratio formula (proportion radicand negative)"

# indicator -> method, moe_kind, moe_published, scale, unit
INDICATORS: dict[str, tuple[str, str, bool, float, str]] = {
    "pct": ("proportion", "published", True, 100.0, "percent"),
    "pct_nomoe": ("proportion", "not_published", False, 100.0, "percent"),
    "income": ("direct", "published", True, 1.0, "dollars"),
    "life": ("direct", "published_ci95", True, 1.0, "years"),
    "share_nomoe": ("direct", "not_published", False, 1.0, "percent"),
    "svi": ("direct", "not_applicable", False, 1.0, "rank"),
    "pop": ("count", "census_count", True, 1.0, "people"),
    "hh": ("count", "published", True, 1.0, "people"),
}

COMPONENT_COLUMNS = {
    "indicator_id": "varchar",
    "vintage_year": "varchar",
    "vintage": "varchar",
    "geo_level": "varchar",
    "geo_vintage": "varchar",
    "geoid": "varchar",
    "geo_name": "varchar",
    "group_id": "varchar",
    "role": "varchar",
    "method": "varchar",
    "moe_kind": "varchar",
    "moe_published": "boolean",
    "scale": "double",
    "estimate": "double",
    "moe": "double",
    "published_ci_low": "double",
    "published_ci_high": "double",
    "published_ci_level": "double",
    "estimate_annotation": "varchar",
}
AGGREGATED_COLUMNS = {
    **{c: t for c, t in COMPONENT_COLUMNS.items() if c not in ("geo_level", "geo_name", "estimate_annotation")},
    "geo_type": "varchar",
    "from_geo_level": "varchar",
    "estimate_note": "varchar",
    "aggregated_by": "varchar",
    "aggregation_method": "varchar",
}


def _spec(indicator_id: str) -> dict[str, Any]:
    method, moe_kind, moe_published, scale, _ = INDICATORS[indicator_id]
    return {
        "indicator_id": indicator_id,
        "vintage_year": "2022",
        "vintage": "2018-2022",
        "group_id": "total",
        "method": method,
        "moe_kind": moe_kind,
        "moe_published": moe_published,
        "scale": scale,
    }


def component(
    indicator_id: str, geoid: str, role: str, estimate: float | None, moe: float | None, **extra: Any
) -> dict[str, Any]:
    """One intermediate.int_indicator_components row (a county unless the GEOID is longer)."""
    row = _spec(indicator_id) | {"geoid": geoid, "role": role, "estimate": estimate, "moe": moe}
    row |= {"geo_level": "county" if len(geoid) == 5 else "tract", "geo_name": f"Area {geoid}"}
    if len(geoid) == 11:
        row["geo_vintage"] = "2020"
    return row | extra


def aggregated(
    indicator_id: str, geo_type: str, geoid: str, role: str, estimate: float | None, moe: float | None, **extra: Any
) -> dict[str, Any]:
    """One intermediate.int_indicator_components_aggregated row (from tracts unless from_geo_level is given)."""
    row = _spec(indicator_id) | {"geo_type": geo_type, "geoid": geoid, "role": role, "estimate": estimate, "moe": moe}
    return row | {"from_geo_level": "tract", "geo_vintage": "2023", "aggregated_by": "sum"} | extra


def proportion(
    geoid: str, num: tuple[float | None, float | None], den: tuple[float | None, float | None], **extra: Any
) -> list[dict[str, Any]]:
    """Numerator and denominator components of `pct` (or of another proportion via indicator_id=...)."""
    indicator_id = extra.pop("indicator_id", "pct")
    return [
        component(indicator_id, geoid, "numerator", *num, **extra),
        component(indicator_id, geoid, "denominator", *den, **extra),
    ]


COMPONENTS = [
    *proportion("53001", (300.0, 40.0), (1200.0, 50.0)),
    *proportion("53003", (20.0, 15.0), (25.0, 30.0)),
    *proportion("53005", (12.0, 5.0), (15.0, 6.0)),  # denominator below 20
    *proportion("53007", (8.0, 4.0), (19.0, 6.0)),  # both below
    *proportion("53009", (10.0, 6.0), (500.0, 30.0)),  # numerator below 11
    *proportion("53011", (11.0, 7.0), (20.0, 5.0)),  # exactly at both minimums: kept
    component("pct", "53013", "numerator", 40.0, 9.0),
    component("pct", "53013", "denominator", None, None, estimate_annotation="T01_001: null in response"),
    *proportion("53001000100", (30.0, 12.0), (100.0, 20.0)),  # a 2020 tract
    *proportion("53001", (300.0, None), (1200.0, None), indicator_id="pct_nomoe"),
    component("income", "53001", "value", 50_000.0, 2_000.0),
    component("income", "53003", "value", 40_000.0, 10_000.0),
    component("income", "53005", "value", 20_000.0, 15_000.0),
    component("income", "53007", "value", 10.0, 1.974),  # CV exactly 12
    component("income", "53009", "value", 100.0, 65.8),  # CV exactly 40
    component("income", "53011", "value", 0.0, 500.0),
    component("income", "53013", "value", None, None, estimate_annotation="B19013_001: open-ended median"),
    component("income", "53015", "value", 10.0, 1.97),  # CV just below 12
    component(
        "life",
        "53001",
        "value",
        78.4,
        1.2,
        published_ci_low=76.97,
        published_ci_high=79.83,
        published_ci_level=0.95,
    ),
    component("share_nomoe", "53001", "value", 45.0, None),
    component("svi", "53001", "value", 0.75, None),
    component("pop", "53001", "value", 5_000.0, 0.0),
    component("pop", "53003", "value", 0.0, 0.0),
    component("hh", "53001", "value", 800.0, 60.0),
    component("hh", "53003", "value", 5.0, 3.0),  # a small count is not suppressed
    component("hh", "09001", "value", 100.0, 10.0),  # an old Connecticut county
]

AGGREGATED = [
    # 53001 also aggregated from its tracts: the county's own value wins
    aggregated("pct", "county", "53001", "numerator", 999.0, 1.0),
    aggregated("pct", "county", "53001", "denominator", 2000.0, 1.0),
    # ach_x from counties (wins) and from tracts
    *(
        aggregated(
            "pct",
            "ach",
            "ach_x",
            role,
            e,
            m,
            from_geo_level="county",
            estimate_note="2 of 2 counties have data",
            aggregation_method="aggregated from 2 counties: counts summed",
        )
        for role, e, m in [("numerator", 600.0, 30.0), ("denominator", 2400.0, 40.0)]
    ),
    aggregated("pct", "ach", "ach_x", "numerator", 1.0, 1.0),
    aggregated("pct", "ach", "ach_x", "denominator", 2.0, 1.0),
    # neighborhood without a value
    *(
        aggregated(
            "pct",
            "neighborhood",
            "N1",
            role,
            None,
            None,
            geo_vintage="2024",
            estimate_note="no value: coverage 80.0%",
            aggregation_method="aggregated from 0 tracts: sums",
        )
        for role in ("numerator", "denominator")
    ),
]


def run(
    rules: dict[str, float],
    components: list[dict[str, Any]],
    aggregates: list[dict[str, Any]],
    unavailable: list[dict[str, Any]] = (),
    notes: list[dict[str, Any]] = (),
    key: tuple[str, ...] = ("indicator_id", "geoid"),
) -> dict[Any, dict[str, Any]]:
    """Run the model on the given rules and inputs (plus fixed county vintages, names and units), keyed by
    (indicator_id, geoid)."""
    con: duckdb.DuckDBPyConnection = connect()
    create_table(
        con,
        "seeds.seed_indicator_unavailable_groups",
        {
            c: "varchar"
            for c in ("indicator_id", "vintage_year", "dataset", "geo_level", "state", "county", "group_id", "reason")
        },
        unavailable,
    )
    create_table(
        con,
        "intermediate.int_indicator_quality_notes",
        {c: "varchar" for c in ("indicator_id", "vintage_year", "geo_type", "geoid", "group_id", "quality_note")},
        notes,
    )
    create_rules(con, "seeds.seed_reliability_rules", rules)
    create_table(
        con,
        "geographies.ref_county_geoids",
        {"geoid": "varchar", "boundary_vintage": "varchar"},
        [
            {"geoid": "53001", "boundary_vintage": "2017"},
            {"geoid": "53001", "boundary_vintage": "2023"},
            {"geoid": "09001", "boundary_vintage": "2017"},
        ],
    )
    create_table(
        con,
        "geographies.geo_boundaries",
        {"geo_type": "varchar", "geo_vintage": "varchar", "geoid": "varchar", "name": "varchar"},
        [
            {"geo_type": "ach", "geo_vintage": "2023", "geoid": "ach_x", "name": "ACH X"},
            {"geo_type": "ach", "geo_vintage": "2019", "geoid": "ach_x", "name": "ACH X (old name)"},
            {"geo_type": "ach", "geo_vintage": "2024", "geoid": "ach_x", "name": None},
            {"geo_type": "county", "geo_vintage": "2023", "geoid": "ach_x", "name": "not an ACH"},
        ],
    )
    create_table(con, "intermediate.int_indicator_components", COMPONENT_COLUMNS, components)
    create_table(con, "intermediate.int_indicator_components_aggregated", AGGREGATED_COLUMNS, aggregates)
    create_table(
        con,
        "seeds.seed_indicators",
        {"indicator_id": "varchar", "unit": "varchar"},
        [{"indicator_id": i, "unit": spec[4]} for i, spec in INDICATORS.items()],
    )
    rows = run_model(con, MODEL)
    con.close()
    return by_key(rows, *key)


@pytest.fixture(scope="module")
def out() -> dict[tuple[str, str], dict[str, Any]]:
    return run(RELIABILITY_RULES, COMPONENTS, AGGREGATED)


def test_proportion_formula(out) -> None:
    """pct, 53001: p = 300 / 1,200 = 0.25 -> 25%; MOE sqrt(40² - 0.25² x 50²) / 1,200 x 100 = sqrt(1,600 - 156.25)
    / 12 = sqrt(1,443.75) / 12 = 3.16640; CV 3.16640 / 1.645 / 25 x 100 = 7.700 < 12: high; 90% CI 21.834-28.166."""
    row = out["pct", "53001"]
    moe = math.sqrt(1443.75) / 12
    assert row["estimate"] == 25.0
    assert row["moe"] == pytest.approx(moe)
    assert row["moe"] == pytest.approx(3.16640, abs=1e-5)
    assert row["cv"] == pytest.approx(moe / Z / 25 * 100)
    assert (row["reliability"], row["suppressed"], row["suppression_reason"]) == ("high", False, None)
    assert (row["ci_low"], row["ci_high"], row["ci_level"]) == pytest.approx((25 - moe, 25 + moe, 0.9))
    assert (row["numerator"], row["numerator_moe"], row["denominator"], row["denominator_moe"]) == (
        300.0,
        40.0,
        1200.0,
        50.0,
    )
    assert row["method"] == PROPORTION_TEXT
    assert (row["vintage"], row["geo_type"], row["geo_vintage"], row["geo_name"]) == (
        "2018-2022",
        "county",
        "2023",
        "Area 53001",
    )
    assert row["estimate_note"] is None


def test_ratio_formula_when_the_radicand_is_negative(out) -> None:
    """pct, 53003: p = 20 / 25 = 0.8; 15² - 0.8² x 30² = 225 - 576 < 0, so MOE sqrt(225 + 576) / 25 x 100 =
    sqrt(801) x 4 = 113.208; CV 113.208 / 1.645 / 80 x 100 = 86.0 > 40: low; CI floored at 0 and capped at 100."""
    row = out["pct", "53003"]
    assert row["estimate"] == pytest.approx(80.0)
    assert row["moe"] == pytest.approx(math.sqrt(801) * 4)
    assert row["cv"] == pytest.approx(math.sqrt(801) * 4 / Z / 80 * 100)
    assert row["reliability"] == "low"
    assert (row["ci_low"], row["ci_high"]) == (0.0, 100.0)
    assert row["method"] == RATIO_TEXT


@pytest.mark.parametrize(
    ("geoid", "reason"),
    [
        ("53005", "denominator below 20 (config/reliability.yaml)"),
        ("53007", "denominator below 20; numerator below 11 (config/reliability.yaml)"),
        ("53009", "numerator below 11 (config/reliability.yaml)"),
    ],
)
def test_suppression_names_every_rule_and_withholds_every_number(out, geoid: str, reason: str) -> None:
    """Denominator 15 < 20; denominator 19 < 20 and numerator 8 < 11; numerator 10 < 11 (denominator 500)."""
    row = out["pct", geoid]
    assert (row["suppressed"], row["suppression_reason"]) == (True, reason)
    numbers = ("numerator", "numerator_moe", "denominator", "denominator_moe", "estimate", "moe", "ci_low", "ci_high")
    assert {c: row[c] for c in (*numbers, "cv")} == dict.fromkeys((*numbers, "cv"))
    assert (row["reliability"], row["estimate_note"]) == ("unknown", None)


def test_minimums_are_inclusive(out) -> None:
    """pct, 53011: numerator 11 and denominator 20 are at the minimums, not below: kept. p = 0.55; MOE sqrt(7² -
    0.55² x 5²) / 20 x 100 = sqrt(49 - 7.5625) x 5 = 32.186; CV 32.186 / 1.645 / 55 x 100 = 35.58: medium."""
    row = out["pct", "53011"]
    assert (row["suppressed"], row["estimate"]) == (False, pytest.approx(55.0))
    assert row["moe"] == pytest.approx(math.sqrt(41.4375) * 5)
    assert row["reliability"] == "medium"


def test_missing_denominator_gives_no_value_and_its_reason(out) -> None:
    """pct, 53013: the denominator has no estimate: nothing to suppress, no value, the component's reason."""
    row = out["pct", "53013"]
    assert (row["estimate"], row["moe"], row["suppressed"], row["reliability"]) == (None, None, False, "unknown")
    assert row["estimate_note"] == "T01_001: null in response"


def test_proportion_without_published_moes(out) -> None:
    """pct_nomoe, 53001: 300 / 1,200 = 25%, no MOE, so no CV or CI and reliability unknown."""
    row = out["pct_nomoe", "53001"]
    assert (row["estimate"], row["moe"], row["cv"], row["ci_low"], row["ci_high"]) == (25.0, None, None, None, None)
    assert row["reliability"] == "unknown"
    assert row["method"] == "derived: proportion of summed counts; no MOE (the source table publishes estimates only)"


@pytest.mark.parametrize(
    ("geoid", "cv", "reliability"),
    [
        ("53001", 2000 / Z / 50_000 * 100, "high"),  # 2.43
        ("53015", 1.97 / Z / 10 * 100, "high"),  # 11.976, just below 12
        ("53007", 12.0, "medium"),  # 1.974 / 1.645 / 10 x 100 = 12 exactly: not < 12
        ("53003", 10_000 / Z / 40_000 * 100, "medium"),  # 15.20
        ("53009", 40.0, "medium"),  # 65.8 / 1.645 / 100 x 100 = 40 exactly: <= 40
        ("53005", 15_000 / Z / 20_000 * 100, "low"),  # 45.59
    ],
)
def test_reliability_thresholds(out, geoid: str, cv: float, reliability: str) -> None:
    """CV = MOE / 1.645 / estimate x 100 against 12 and 40, the boundaries hit exactly."""
    row = out["income", geoid]
    assert row["cv"] == pytest.approx(cv, rel=1e-12)
    assert row["reliability"] == reliability
    assert row["method"] == "direct: published estimate and 90% MOE"


def test_direct_values_keep_their_moe_and_are_not_capped(out) -> None:
    """income, 53001: 50,000 ± 2,000 dollars: CI 48,000-52,000 (the 100 cap is for percents only)."""
    row = out["income", "53001"]
    assert (row["estimate"], row["moe"], row["ci_low"], row["ci_high"], row["ci_level"]) == (
        50_000.0,
        2_000.0,
        48_000.0,
        52_000.0,
        0.9,
    )
    assert row["numerator"] is None and row["denominator"] is None


def test_zero_estimates(out) -> None:
    """A zero with sampling error is low (CV undefined); a zero census count (MOE 0) is high."""
    income = out["income", "53011"]
    assert (income["estimate"], income["cv"], income["reliability"]) == (0.0, None, "low")
    assert (income["ci_low"], income["ci_high"]) == (0.0, 500.0)
    pop = out["pop", "53003"]
    assert (pop["estimate"], pop["moe"], pop["cv"], pop["reliability"]) == (0.0, 0.0, None, "high")


def test_missing_direct_value(out) -> None:
    """income, 53013: no estimate: unknown, with the source's reason."""
    row = out["income", "53013"]
    assert (row["estimate"], row["reliability"], row["ci_level"]) == (None, "unknown", 0.9)
    assert row["estimate_note"] == "B19013_001: open-ended median"


def test_published_95_percent_limits(out) -> None:
    """life, 53001: 78.4 with the 90% MOE 1.2 (derived upstream from the limits); the CI is the published 95% one,
    76.97-79.83 at 0.95, and the CV uses the 90% MOE: 1.2 / 1.645 / 78.4 x 100 = 0.930: high."""
    row = out["life", "53001"]
    assert (row["estimate"], row["moe"]) == (78.4, 1.2)
    assert (row["ci_low"], row["ci_high"], row["ci_level"]) == (76.97, 79.83, 0.95)
    assert row["cv"] == pytest.approx(1.2 / Z / 78.4 * 100)
    assert row["reliability"] == "high"
    assert row["method"] == (
        "direct: published estimate and 95% limits; 90% MOE derived as 1.645 x SE, SE = (upper - lower) / (2 x 1.96)"
    )


def test_counts(out) -> None:
    """pop 5,000 ± 0 (census count): CV 0, high, CI 5,000-5,000. hh 800 ± 60: CV 60 / 1.645 / 800 x 100 = 4.56,
    high; hh 5 ± 3: CV 36.5, medium, and a count is never suppressed."""
    pop = out["pop", "53001"]
    assert (pop["estimate"], pop["cv"], pop["reliability"], pop["ci_low"], pop["ci_high"]) == (
        5000.0,
        0.0,
        "high",
        5000.0,
        5000.0,
    )
    assert pop["method"] == "count: decennial census count, not a sample estimate (MOE 0)"
    hh = out["hh", "53001"]
    assert hh["cv"] == pytest.approx(60 / Z / 800 * 100)
    assert hh["method"] == "count: sum of published counts"
    small = out["hh", "53003"]
    assert (small["estimate"], small["suppressed"], small["reliability"]) == (5.0, False, "medium")


def test_method_text_for_values_without_moe(out) -> None:
    """A published value without MOE and a value this pipeline computes (no sampling MOE): both unknown."""
    share = out["share_nomoe", "53001"]
    assert (share["estimate"], share["reliability"]) == (45.0, "unknown")
    assert share["method"] == "direct: published estimate; the source publishes no MOE"
    svi = out["svi", "53001"]
    assert svi["method"] == (
        "computed by this pipeline from the source's inputs (see the catalog description); no sampling MOE is defined"
    )


def test_county_and_tract_geography_vintages(out) -> None:
    """A county gets its latest boundary vintage (53001: 2023 of 2017/2023; Connecticut's 09001: only 2017); a
    tract keeps its own (2020)."""
    assert out["hh", "09001"]["geo_vintage"] == "2017"
    assert out["hh", "53001"]["geo_vintage"] == "2023"
    tract = out["pct", "53001000100"]
    assert (tract["geo_type"], tract["geo_vintage"], tract["estimate"]) == ("tract", "2020", 30.0)


def test_own_geography_wins_then_counties_then_tracts(out) -> None:
    """53001's own components (25%) win over the tract aggregate (999 / 2,000). ach_x from counties wins over ach_x
    from tracts: p = 600 / 2,400 = 25%, MOE sqrt(30² - 0.25² x 40²) / 2,400 x 100 = sqrt(800) / 24 = 1.1785; the
    aggregation method is prefixed to the method text, its note kept, the name from the newest boundary with a name
    (2023's, not 2019's)."""
    assert out["pct", "53001"]["estimate"] == 25.0
    ach = out["pct", "ach_x"]
    assert ach["estimate"] == 25.0
    assert ach["moe"] == pytest.approx(math.sqrt(800) / 24)
    assert ach["method"] == f"aggregated from 2 counties: counts summed; {PROPORTION_TEXT}"
    assert ach["estimate_note"] == "2 of 2 counties have data"
    assert (ach["geo_type"], ach["geo_vintage"], ach["geo_name"]) == ("ach", "2023", "ACH X")


@pytest.mark.parametrize(
    ("indicator_id", "geoid", "moe_method"),
    [
        ("pop", "53001", "census_count"),
        ("hh", "53001", "sum_of_counts"),
        ("life", "53001", "published_ci95"),
        ("income", "53001", "published"),
        ("svi", "53001", "not_applicable"),
        ("share_nomoe", "53001", "not_published"),
        ("pct_nomoe", "53001", "not_published"),
        ("pct", "53003", "ratio_formula"),
        ("pct", "53001", "proportion_formula"),
        ("pct", "ach_x", "proportion_formula"),
    ],
)
def test_moe_method_codes(out, indicator_id: str, geoid: str, moe_method: str) -> None:
    """The code beside each method text (same branches as above); moe_kind passes through from the spec."""
    row = out[indicator_id, geoid]
    assert row["moe_method"] == moe_method
    assert row["moe_kind"] == INDICATORS[indicator_id][1]


def test_aggregated_by(out) -> None:
    """Null at the source's own geography (53001's own value won), the aggregation elsewhere."""
    assert out["pct", "53001"]["aggregated_by"] is None
    assert out["pct", "ach_x"]["aggregated_by"] == "sum"
    assert out["income", "53001"]["aggregated_by"] is None


def test_aggregate_without_value_keeps_its_note(out) -> None:
    """N1's aggregate has no value: estimate null, unknown, and the aggregation's reason as the note."""
    row = out["pct", "N1"]
    assert (row["estimate"], row["reliability"], row["suppressed"]) == (None, "unknown", False)
    assert row["estimate_note"] == "no value: coverage 80.0%"
    assert (row["geo_vintage"], row["geo_name"]) == ("2024", None)


def test_zero_denominator_note_when_no_minimum_applies() -> None:
    """With both suppression minimums at 0 (a configuration without suppression), 0 of 0 is no proportion (not a
    division by zero) and the note says so; a GENERATED single county."""
    rules = RELIABILITY_RULES | {"min_denominator": 0.0, "min_numerator": 0.0}
    out = run(rules, proportion("53001", (0.0, 0.0), (0.0, 0.0)), [])
    row = out["pct", "53001"]
    assert (row["estimate"], row["moe"], row["suppressed"], row["reliability"]) == (None, None, False, "unknown")
    assert row["estimate_note"] == "denominator is zero"


def test_interval_never_excludes_its_estimate() -> None:
    """The 0 floor and the 100 cap clip an interval to the unit's range only where the estimate lies in that range;
    a clip that left the estimate outside its own interval (the old `least(estimate + moe, 100)`) is a defect.
    GENERATED inputs:
    - pct, 53001: numerator 25 ± 10 over denominator 20 ± 6 (a numerator larger than its denominator, the shape
      HUD's separately rounded cells once produced): p = 1.25 -> 125%; radicand 10² - 1.25² x 6² = 100 - 56.25 =
      43.75 >= 0, MOE sqrt(43.75) / 20 x 100 = 33.0719; CI 125 ± 33.0719 = 91.9281-158.0719, not capped at 100.
    - pct, 53003: 19 ± 4 over 20 ± 3: p = 0.95 -> 95%; radicand 16 - 0.9025 x 9 = 7.8775, MOE sqrt(7.8775) / 20 x
      100 = 14.0334; CI 80.9666-100 (capped: 95 lies in 0-100).
    - income, 53001: a negative value -50 ± 100 (e.g. a net amount): CI -150 to 50, not floored at 0."""
    rules = RELIABILITY_RULES | {"min_denominator": 0.0, "min_numerator": 0.0}
    components = [
        *proportion("53001", (25.0, 10.0), (20.0, 6.0)),
        *proportion("53003", (19.0, 4.0), (20.0, 3.0)),
        component("income", "53001", "value", -50.0, 100.0),
    ]
    out = run(rules, components, [])
    over = out["pct", "53001"]
    assert over["estimate"] == pytest.approx(125.0)
    assert over["moe"] == pytest.approx(math.sqrt(43.75) / 20 * 100)
    assert over["ci_low"] == pytest.approx(125.0 - 33.0719, abs=1e-4)
    assert over["ci_high"] == pytest.approx(125.0 + 33.0719, abs=1e-4)
    capped = out["pct", "53003"]
    assert capped["estimate"] == pytest.approx(95.0)
    assert capped["moe"] == pytest.approx(math.sqrt(7.8775) / 20 * 100)
    assert capped["ci_low"] == pytest.approx(95.0 - 14.0334, abs=1e-4)
    assert capped["ci_high"] == 100.0
    negative = out["income", "53001"]
    assert (negative["estimate"], negative["ci_low"], negative["ci_high"]) == (-50.0, -150.0, 50.0)
    for row in (over, capped, negative):
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]


def test_unavailable_group_rows_say_why_and_quality_notes_join_by_group() -> None:
    """A group config/indicators.yaml lists as unavailable gets a row, without a value, at every geography the
    indicator's vintage has (the county and the region here), with the reason; a quality note lands on its group."""
    components = proportion("53001", (300.0, 40.0), (1200.0, 50.0))
    aggregates = [
        aggregated("pct", "ach", "ach_x", "numerator", 300.0, 40.0, from_geo_level="county"),
        aggregated("pct", "ach", "ach_x", "denominator", 1200.0, 50.0, from_geo_level="county"),
    ]
    reason = "no value: table X (white alone) is not in the source"
    unavailable = [
        {
            "indicator_id": "pct",
            "vintage_year": "2022",
            "dataset": "d",
            "geo_level": "county",
            "group_id": "white",
            "reason": reason,
        }
    ]
    notes = [
        {
            "indicator_id": "pct",
            "vintage_year": "2022",
            "geo_type": "county",
            "geoid": "53001",
            "group_id": "total",
            "quality_note": "N",
        }
    ]
    out = run(RELIABILITY_RULES, components, aggregates, unavailable, notes, key=("geoid", "group_id"))
    assert set(out) == {("53001", "total"), ("53001", "white"), ("ach_x", "total"), ("ach_x", "white")}
    for geoid in ("53001", "ach_x"):
        row = out[geoid, "white"]
        assert (row["estimate"], row["moe"], row["reliability"], row["estimate_note"]) == (
            None,
            None,
            "unknown",
            reason,
        )
        assert row["vintage"] == "2018-2022" and row["quality_note"] is None
    assert out["53001", "total"]["quality_note"] == "N" and out["ach_x", "total"]["quality_note"] is None
    assert out["53001", "total"]["estimate"] == 25.0


def test_method_text_names_the_formula_that_computed_the_moe_when_the_radicand_is_zero() -> None:
    """A radicand of exactly 0 in exact arithmetic: 12 ± 18 over 26 ± 39 (the published counts of bachelors_or_higher,
    2013-2017, county 21041, asian, where the defect was found): p = 12/26 = 6/13; 18² - (6/13)² x 39² = 324 - 36 x 9
    = 0. In floating point the radicand lands a hair either side of 0; the method text and code were computed in
    another float order than the formula, so the text said "ratio formula" beside the proportion formula's MOE of
    ~0. Whatever side it lands on, the text, the code and the MOE must name the same formula: proportion formula ->
    MOE ~0 (sqrt of a tiny radicand / 26 x 100); ratio formula -> sqrt(324 + 324) / 26 x 100 = 97.910. GENERATED inputs
    (the real counts, copied by hand into a made-up indicator)."""
    rules = RELIABILITY_RULES | {"min_denominator": 0.0, "min_numerator": 0.0}
    row = run(rules, proportion("53001", (12.0, 18.0), (26.0, 39.0)), [])["pct", "53001"]
    assert row["estimate"] == pytest.approx(12 / 26 * 100)
    if row["method"] == PROPORTION_TEXT:
        assert row["moe"] == pytest.approx(0.0, abs=1e-5)
    else:
        assert row["method"] == RATIO_TEXT
        assert row["moe"] == pytest.approx(math.sqrt(648) / 26 * 100)
