"""intermediate/int_svi_ranks.sql on hand-made SVI inputs: percentile rank as Excel's PERCENTRANK.INC (count of
strictly smaller values / (N - 1), ties equal), 1 minus that for reversed inputs, rounding to 4 decimals, theme sums
(only with every input ranked) and their ranks, the overall sum of the four themes, national and state scopes, and
the exclusions (no population, a missing input, a county alone in its state).

All values are GENERATED for this test (made-up counties and percentages), not real data. Themes: 1 = ep_pov +
ep_pci (reversed), 2 = ep_age65, 3 = ep_minrty, 4 = ep_noveh."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from tests.sql.sql_harness import by_key, connect, create_table, run_model

MODEL = "intermediate/int_svi_ranks.sql"

THEMES = [("ep_pov", 1, False), ("ep_pci", 1, True), ("ep_age65", 2, False), ("ep_minrty", 3, False)]
THEMES += [("ep_noveh", 4, False)]
VARIABLES = [v for v, _, _ in THEMES]

# county -> e_totpop and the five inputs in THEMES order (None: CDC's -999, missing)
COUNTIES: dict[str, tuple[float | None, tuple[float | None, ...]]] = {
    "01001": (1000.0, (10.0, 30_000.0, 15.0, 20.0, 5.0)),  # A
    "01003": (2000.0, (20.0, 25_000.0, 15.0, 40.0, 8.0)),  # B
    "01005": (3000.0, (30.0, 20_000.0, 10.0, 60.0, 2.0)),  # C
    "01007": (4000.0, (20.0, None, 20.0, 10.0, 12.0)),  # D: ep_pci missing
    "11001": (5000.0, (15.0, 50_000.0, 12.0, 50.0, 30.0)),  # DC: alone in its state
    "01009": (0.0, (99.0, 1.0, 99.0, 99.0, 99.0)),  # no population: not ranked
    "01011": (None, (98.0, 2.0, 98.0, 98.0, 98.0)),  # population missing: not ranked
}
A, B, C, D, DC = "01001", "01003", "01005", "01007", "11001"


def svi_row(geoid: str, variable: str, estimate: float | None) -> dict[str, Any]:
    """One staging.stg_cdc_svi__estimates row of the 2022 release."""
    return {
        "vintage_year": "2022",
        "vintage": "2018-2022",
        "variable": variable,
        "geoid": geoid,
        "geo_name": f"County {geoid}",
        "estimate": estimate,
    }


def theme_row(variable: str, theme: int, reverse: bool) -> dict[str, Any]:
    """One seeds.seed_svi_theme_variables row."""
    return {"vintage_year": "2022", "theme": theme, "variable": variable, "reverse": reverse}


@pytest.fixture(scope="module")
def out() -> dict[tuple[str, str, str], dict[str, Any]]:
    con: duckdb.DuckDBPyConnection = connect()
    rows = []
    for geoid, (population, values) in COUNTIES.items():
        rows.append(svi_row(geoid, "e_totpop", population))
        rows += [svi_row(geoid, v, e) for v, e in zip(VARIABLES, values, strict=True)]
    create_table(
        con,
        "staging.stg_cdc_svi__estimates",
        {
            "vintage_year": "varchar",
            "vintage": "varchar",
            "variable": "varchar",
            "geoid": "varchar",
            "geo_name": "varchar",
            "estimate": "double",
        },
        rows,
    )
    create_table(
        con,
        "seeds.seed_svi_theme_variables",
        {"vintage_year": "varchar", "theme": "bigint", "variable": "varchar", "reverse": "boolean"},
        [theme_row(*t) for t in THEMES],
    )
    create_table(
        con, "seeds.seed_svi_ranking_scopes", {"scope": "varchar"}, [{"scope": "national"}, {"scope": "state"}]
    )
    result = run_model(con, MODEL)
    con.close()
    return by_key(result, "scope", "geoid", "variable")


def values(out, scope: str, variable: str) -> dict[str, float | None]:
    return {g: r["estimate"] for (s, g, v), r in out.items() if s == scope and v == variable}


def test_national_percentile_ranks_with_ties(out) -> None:
    """ep_pov 10, 20, 30, 20, 15 (A, B, C, D, DC): smaller values 0, 2, 4, 2, 1, over N - 1 = 4: 0, 0.5, 1, 0.5,
    0.25 (B and D tie). ep_age65 15, 15, 10, 20, 12: 2, 2, 0, 4, 1 -> 0.5, 0.5, 0, 1, 0.25."""
    assert values(out, "national", "ep_pov") == {A: 0.0, B: 0.5, C: 1.0, D: 0.5, DC: 0.25}
    assert values(out, "national", "ep_age65") == {A: 0.5, B: 0.5, C: 0.0, D: 1.0, DC: 0.25}
    assert {r["n_ranked"] for (s, _, v), r in out.items() if s == "national" and v == "ep_pov"} == {5}
    row = out["national", A, "ep_pov"]
    assert (row["vintage_year"], row["vintage"], row["geo_name"], row["estimate_note"]) == (
        "2022",
        "2018-2022",
        "County 01001",
        None,
    )


def test_reversed_input_and_a_missing_input(out) -> None:
    """ep_pci (higher is less vulnerable) 30,000, 25,000, 20,000, 50,000 (A, B, C, DC; D is missing, so N = 4):
    smaller values 2, 1, 0, 3 / 3 = 0.6667, 0.3333, 0, 1 (rounded to 4 decimals), reversed 1 - x: 0.3333, 0.6667,
    1, 0. D is not ranked for it."""
    assert values(out, "national", "ep_pci") == {A: 0.3333, B: 0.6667, C: 1.0, DC: 0.0}
    assert out["national", A, "ep_pci"]["n_ranked"] == 4


def test_every_input_counts_where_present(out) -> None:
    """ep_noveh 5, 8, 2, 12, 30 (A, B, C, D, DC): 1, 2, 0, 3, 4 / 4 = 0.25, 0.5, 0, 0.75, 1."""
    assert values(out, "national", "ep_noveh") == {A: 0.25, B: 0.5, C: 0.0, D: 0.75, DC: 1.0}


def test_counties_without_population_are_left_out(out) -> None:
    """01009 (e_totpop 0) and 01011 (e_totpop missing) have no rows at all, and do not count in anyone's rank."""
    assert not any(g in ("01009", "01011") for _, g, _ in out)


def test_theme_sums_and_their_ranks(out) -> None:
    """SPL theme 1 = EPL pov + pci: A 0 + 0.3333 = 0.3333, B 0.5 + 0.6667 = 1.1667, C 1 + 1 = 2, DC 0.25 + 0 = 0.25;
    D has no theme 1 sum (ep_pci missing; not its ep_pov alone). RPL over N = 4: DC 0, A 1/3, B 2/3, C 1. Theme 4
    (one input) sums and ranks like ep_noveh."""
    assert values(out, "national", "spl_theme1") == pytest.approx({A: 0.3333, B: 1.1667, C: 2.0, DC: 0.25})
    assert values(out, "national", "rpl_theme1") == {A: 0.3333, B: 0.6667, C: 1.0, DC: 0.0}
    assert values(out, "national", "spl_theme4") == {A: 0.25, B: 0.5, C: 0.0, D: 0.75, DC: 1.0}
    assert values(out, "national", "rpl_theme4") == {A: 0.25, B: 0.5, C: 0.0, D: 0.75, DC: 1.0}
    assert out["national", D, "spl_theme2"]["estimate"] == 1.0  # D's other themes are there


def test_overall_sum_of_the_four_themes(out) -> None:
    """SPL_THEMES = theme 1 + 2 + 3 + 4 for counties with all four: A 0.3333 + 0.5 + 0.25 + 0.25 = 1.3333, B 1.1667
    + 0.5 + 0.5 + 0.5 = 2.6667, C 2 + 0 + 1 + 0 = 3, DC 0.25 + 0.25 + 0.75 + 1 = 2.25 (theme 3 EPLs, ep_minrty 20,
    40, 60, 10, 50: A 0.25, B 0.5, C 1, D 0, DC 0.75). RPL_THEMES over N = 4: A 0, DC 1/3, B 2/3, C 1; D has none."""
    spl = values(out, "national", "spl_themes")
    assert spl == pytest.approx({A: 1.3333, B: 2.6667, C: 3.0, DC: 2.25})
    assert values(out, "national", "rpl_themes") == {A: 0.0, B: 0.6667, C: 1.0, DC: 0.3333}
    assert out["national", A, "rpl_themes"]["n_ranked"] == 4


def test_state_scope_ranks_within_each_state(out) -> None:
    """State 01 ranks A, B, C, D alone (N - 1 = 3): ep_pov 10, 20, 30, 20 -> 0, 1/3, 1, 1/3; ep_pci of A, B, C (N - 1
    = 2) reversed: 30,000, 25,000, 20,000 -> 1 - (2, 1, 0) / 2 = 0, 0.5, 1; SPL theme 1 = 0, 0.8333, 2 and its RPL 0,
    0.5, 1."""
    state_01 = {A, B, C, D}
    assert {g: e for g, e in values(out, "state", "ep_pov").items() if g in state_01} == {
        A: 0.0,
        B: 0.3333,
        C: 1.0,
        D: 0.3333,
    }
    assert {g: e for g, e in values(out, "state", "ep_pci").items() if g in state_01} == {A: 0.0, B: 0.5, C: 1.0}
    spl = {g: e for g, e in values(out, "state", "spl_theme1").items() if g in state_01}
    assert spl == pytest.approx({A: 0.0, B: 0.8333, C: 2.0})
    rpl = {g: e for g, e in values(out, "state", "rpl_theme1").items() if g in state_01}
    assert rpl == {A: 0.0, B: 0.5, C: 1.0}
    assert (out["state", A, "ep_pov"]["n_ranked"], out["state", A, "ep_pci"]["n_ranked"]) == (4, 3)


def test_a_county_alone_in_its_state_has_no_rank(out) -> None:
    """DC is the only county of state 11: every value (inputs, sums, ranks) is null with the reason; nationally it is
    ranked (ep_pov 0.25 above)."""
    dc = {v: r for (s, g, v), r in out.items() if s == "state" and g == DC}
    expected = {
        *VARIABLES,
        *(f"{k}_theme{t}" for k in ("spl", "rpl") for t in (1, 2, 3, 4)),
        "spl_themes",
        "rpl_themes",
    }
    assert set(dc) == expected
    assert {r["estimate"] for r in dc.values()} == {None}
    assert {r["n_ranked"] for r in dc.values()} == {1}
    assert {r["estimate_note"] for r in dc.values()} == {"not ranked: the only county in its ranking group (state 11)"}
