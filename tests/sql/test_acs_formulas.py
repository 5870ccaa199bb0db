"""The SQL macros every model uses for derived MOEs (dbt_like_sql/macros/acs_formulas.sql), checked on worked
examples. Each test states its example and its source."""

from __future__ import annotations

import math

import duckdb
import pytest

from assets.sql_models import load_macros
from pipelines.settings import SQL_DIR


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    load_macros(c, SQL_DIR)
    yield c
    c.close()


def value(con, expression: str) -> float:
    return con.execute(f"select {expression}").fetchone()[0]


def test_proportion_handbook_example(con) -> None:
    """ACS General Handbook (2018), ch. 8, "Calculating MOEs for derived proportions": never-married females
    X = 203,119 (MOE 5,070) among all females Y = 630,498 (MOE 831) gives P = 0.3222 and MOE(P) = 0.0080:
    sqrt(5,070² - 0.3222² x 831²) / 630,498 = sqrt(25,704,900 - 71,681) / 630,498 = 0.00803."""
    moe = value(con, "acs_moe_proportion(203119.0, 630498.0, 5070.0, 831.0)")
    assert pytest.approx(0.3222, abs=5e-5) == 203119 / 630498
    assert moe == pytest.approx(0.0080, abs=5e-5)
    assert moe == pytest.approx(math.sqrt(5070**2 - (203119 / 630498) ** 2 * 831**2) / 630498)


def test_proportion_switches_to_the_ratio_formula_when_the_radicand_is_negative(con) -> None:
    """X = 10 (MOE 5) of Y = 12 (MOE 20): 5² - (10/12)² x 20² < 0, so sqrt(5² + (10/12)² x 20²) / 12 = 1.4434."""
    assert value(con, "acs_moe_proportion(10.0, 12.0, 5.0, 20.0)") == pytest.approx(
        math.sqrt(25 + (10 / 12) ** 2 * 400) / 12
    )
    assert value(con, "acs_moe_proportion(10.0, 12.0, 5.0, 20.0)") == value(con, "acs_moe_ratio(10.0, 12.0, 5.0, 20.0)")


def test_sum_ratio_and_product_formulas(con) -> None:
    """The handbook's ch. 8 sum, ratio and product formulas checked by hand arithmetic (not the handbook's own
    worked numbers, which are not available offline): King County's B19013 89,418 ± 784 (snapshot) summed with
    itself gives MOE sqrt(784² + 784²) = 1,108.74 and divided by itself gives ratio MOE sqrt(784² + 1² x 784²) /
    89,418 = 0.012399; a share 0.489097 with an illustrative MOE of 0.001 times Yakima's controlled total
    249,325 (MOE 0) gives product MOE sqrt(0.489097² x 0² + 249,325² x 0.001²) = 249.325."""
    assert value(con, "acs_moe_sum(784.0, 784.0)") == pytest.approx(1108.7434, abs=1e-4)
    assert value(con, "acs_moe_ratio(89418.0, 89418.0, 784.0, 784.0)") == pytest.approx(math.sqrt(2) * 784 / 89418)
    assert value(con, "acs_moe_product(0.489097, 249325.0, 0.001, 0.0)") == pytest.approx(249.325)


def test_confidence_interval_conversion_and_significance(con) -> None:
    """King County PLACES diabetes 2022: 95% limits (6.6, 7.5) -> 90% MOE 1.645 x 0.9 / 3.92 = 0.37768.
    Yakima County poverty 2014-18 (S1701.json cells C03_015, C03_013, C03_019): AIAN 31.8 ± 5.1 vs White
    16.7 ± 1.2: |15.1| / sqrt((5.1/1.645)² + (1.2/1.645)²) = 15.1 / 3.1848 = 4.74 > 1.645, significant;
    two or more races 17.2 ± 4.4 vs White: 0.5 / 2.7731 = 0.18, not significant."""
    assert value(con, "moe90_from_ci(6.6, 7.5, 1.96, 1.645)") == pytest.approx(1.645 * 0.9 / 3.92)
    assert value(con, "acs_significant_difference(31.8, 16.7, 5.1, 1.2, 1.645)") is True
    assert value(con, "acs_significant_difference(17.2, 16.7, 4.4, 1.2, 1.645)") is False
