"""The SQL macros every model uses for derived MOEs (dbt_like_sql/macros/acs_formulas.sql), checked on worked
examples. Each test states its example and its source.

The handbook examples are those of U.S. Census Bureau, "Understanding and Using American Community Survey Data:
What All Data Users Need to Know" (2018), ch. 8, "Calculating Measures of Error for Derived Estimates": never-married
people aged 15 and over in a tricounty area of Virginia (Fairfax County, Arlington County, Alexandria city). The PDF
is not on this offline machine; the figures are as reproduced table by table in the test suite of the
census-data-aggregator library (datadesk/census-data-aggregator, test.py), and they agree with each other and with a
second source for the proportion example (ACS Data Users Group forum: 203,119 of 630,498, MOEs 5,070 and 831)."""

from __future__ import annotations

import math

import pytest

from tests.sql.sql_harness import connect


@pytest.fixture(scope="module")
def con():
    c = connect()
    yield c
    c.close()


def value(con, expression: str) -> float:
    return con.execute(f"select {expression}").fetchone()[0]


# Handbook Table 8.1: never-married females, estimate and MOE
NEVER_MARRIED_FEMALES = {"Fairfax": (135_173, 3_860), "Arlington": (43_104, 2_642), "Alexandria": (24_842, 1_957)}
# Handbook Table 8.4: all females aged 15 and over
FEMALES_15_PLUS = {"Fairfax": (466_037, 391), "Arlington": (97_360, 572), "Alexandria": (67_101, 459)}
# Handbook Table 8.5: never-married males
NEVER_MARRIED_MALES = {"Fairfax": (156_720, 4_222), "Arlington": (44_613, 2_819), "Alexandria": (25_507, 2_259)}


def summed(con, cells: dict[str, tuple[int, int]]) -> tuple[float, float]:
    """Estimate and MOE of a sum through the aggregate macro the models use (acs_moe_sum_of)."""
    rows = ", ".join(f"({estimate}.0, {moe}.0)" for estimate, moe in cells.values())
    return con.execute(f"select sum(e), acs_moe_sum_of(e, m) from (values {rows}) as t(e, m)").fetchone()


def test_sum_handbook_table_8_1(con) -> None:
    """Handbook Table 8.1: never-married females in the tricounty area = 135,173 + 43,104 + 24,842 = 203,119, MOE
    sqrt(3,860² + 2,642² + 1,957²) = sqrt(14,899,600 + 6,980,164 + 3,829,849) = sqrt(25,709,613) = 5,070.46, which
    the handbook rounds to 5,070. Checked through the aggregate macro and through the two-estimate macro nested."""
    estimate, moe = summed(con, NEVER_MARRIED_FEMALES)
    assert estimate == 203_119
    assert round(moe) == 5_070
    assert moe == pytest.approx(math.sqrt(25_709_613))
    assert value(con, "acs_moe_sum(acs_moe_sum(3860.0, 2642.0), 1957.0)") == pytest.approx(moe)


def test_sum_counts_only_the_largest_moe_among_zero_estimates(con) -> None:
    """The Bureau's rule for summing zero estimates (handbook ch. 8; tidycensus moe_sum): cells 0 ± 22, 0 ± 22,
    0 ± 29 and 41 ± 37 give sqrt(29² + 37²) = sqrt(841 + 1,369) = 47.01, not sqrt(22² + 22² + 29² + 37²) = 56.17.
    A cell without an MOE is skipped by the macro (callers void the sum; see int_indicator_components)."""
    rows = "(0.0, 22.0), (0.0, 22.0), (0.0, 29.0), (41.0, 37.0)"
    moe = con.execute(f"select acs_moe_sum_of(e, m) from (values {rows}) as t(e, m)").fetchone()[0]
    assert moe == pytest.approx(math.sqrt(29**2 + 37**2))


def test_proportion_handbook_table_8_4(con) -> None:
    """Handbook Table 8.4: females 15+ = 466,037 + 97,360 + 67,101 = 630,498, MOE sqrt(391² + 572² + 459²) =
    sqrt(152,881 + 327,184 + 210,681) = sqrt(690,746) = 831.11 (831). P = 203,119 / 630,498 = 0.3222 (0.322) and
    MOE(P) = sqrt(5,070² - 0.3222² x 831²) / 630,498 = sqrt(25,704,900 - 71,681) / 630,498 = 0.0080 (0.008)."""
    denominator, denominator_moe = summed(con, FEMALES_15_PLUS)
    assert denominator == 630_498
    assert round(denominator_moe) == 831
    moe = value(con, "acs_moe_proportion(203119.0, 630498.0, 5070.0, 831.0)")
    assert round(203_119 / 630_498, 3) == 0.322
    assert round(moe, 3) == 0.008
    assert moe == pytest.approx(math.sqrt(5070**2 - (203119 / 630498) ** 2 * 831**2) / 630498)
    # unrounded inputs give the same rounded answer
    numerator, numerator_moe = summed(con, NEVER_MARRIED_FEMALES)
    unrounded = value(con, f"acs_moe_proportion({numerator}, {denominator}, {numerator_moe}, {denominator_moe})")
    assert round(unrounded, 3) == 0.008


def test_ratio_handbook_table_8_5(con) -> None:
    """Handbook Table 8.5: never-married males = 156,720 + 44,613 + 25,507 = 226,840, MOE sqrt(4,222² + 2,819² +
    2,259²) = sqrt(30,875,126) = 5,556.5; ratio to never-married females R = 226,840 / 203,119 = 1.117 and
    MOE(R) = sqrt(5,556.5² + 1.1168² x 5,070²) / 203,119 = sqrt(30,875,126 + 32,059,795) / 203,119 = 0.039."""
    numerator, numerator_moe = summed(con, NEVER_MARRIED_MALES)
    assert numerator == 226_840
    assert numerator_moe == pytest.approx(math.sqrt(30_875_126))
    moe = value(con, f"acs_moe_ratio({numerator}, 203119.0, {numerator_moe}, 5070.0)")
    assert round(226_840 / 203_119, 3) == 1.117
    assert round(moe, 3) == 0.039


def test_product_handbook_example(con) -> None:
    """Handbook ch. 8 product example: 74,506,512 ± 228,238 owner-occupied housing units in the United States times
    the share in single-unit detached structures, 0.824 ± 0.001: 61,393,366 units, MOE sqrt(74,506,512² x 0.001² +
    0.824² x 228,238²) = sqrt(74,506.5² + 188,068.1²) = sqrt(5,551,220,000 + 35,369,610,000) = 202,289."""
    assert round(74_506_512 * 0.824) == 61_393_366
    moe = value(con, "acs_moe_product(74506512.0, 0.824, 228238.0, 0.001)")
    assert round(moe) == 202_289
    # the formula is symmetric in its two factors
    assert value(con, "acs_moe_product(0.824, 74506512.0, 0.001, 228238.0)") == pytest.approx(moe)


def test_proportion_switches_to_the_ratio_formula_when_the_radicand_is_negative(con) -> None:
    """X = 10 (MOE 5) of Y = 12 (MOE 20): 5² - (10/12)² x 20² < 0, so sqrt(5² + (10/12)² x 20²) / 12 = 1.4434."""
    assert value(con, "acs_moe_proportion(10.0, 12.0, 5.0, 20.0)") == pytest.approx(
        math.sqrt(25 + (10 / 12) ** 2 * 400) / 12
    )
    assert value(con, "acs_moe_proportion(10.0, 12.0, 5.0, 20.0)") == value(con, "acs_moe_ratio(10.0, 12.0, 5.0, 20.0)")


def test_confidence_interval_conversion_and_significance(con) -> None:
    """King County PLACES diabetes 2022: 95% limits (6.6, 7.5) -> 90% MOE 1.645 x 0.9 / 3.92 = 0.37768.
    Yakima County poverty 2014-18 (S1701.json cells C03_015, C03_013, C03_019): AIAN 31.8 ± 5.1 vs White
    16.7 ± 1.2: |15.1| / sqrt((5.1/1.645)² + (1.2/1.645)²) = 15.1 / 3.1848 = 4.74 > 1.645, significant;
    two or more races 17.2 ± 4.4 vs White: 0.5 / 2.7731 = 0.18, not significant."""
    assert value(con, "moe90_from_ci(6.6, 7.5, 1.96, 1.645)") == pytest.approx(1.645 * 0.9 / 3.92)
    assert value(con, "acs_significant_difference(31.8, 16.7, 5.1, 1.2, 1.645)") is True
    assert value(con, "acs_significant_difference(17.2, 16.7, 4.4, 1.2, 1.645)") is False
