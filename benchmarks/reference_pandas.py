"""Reference 1 of the benchmark: the pipeline's Census API indicator values recomputed by a plain pandas script, the
way an analyst would write it (json.load each response, pandas frames, merge, groupby, vectorized arithmetic; no
DuckDB, no Polars arithmetic), so `make bench` can say how much faster the pipeline is than that.

    .venv/bin/python benchmarks/reference_pandas.py --snapshot ../shared/data --config-dir config --out refs.parquet

Reads only the snapshot's census_api/ files and the config (definitions through the project's config checker, see
benchmarks/reference_common.py). Writes (indicator_id, vintage, geo_type, geoid, group_id, estimate, moe) and prints
{"name", "seconds" (from the script's start, imports included), "peak_rss_mb", "rows"}.

The rules, as the pipeline publishes them (dbt_like_sql/staging/stg_census_api__estimates.sql and the int_indicator_*
models): annotation codes are no number; a null MOE beside a present estimate is 0 when the estimate is controlled
(code -555555555, its symbol, or a variable config/census_api.yaml lists); decennial counts have MOE 0; an
open-ended median (B19013's 2499 / 250001 without MOE) is no estimate. A component sums its signed variables (none
missing), its MOE is sqrt(sum of squared MOEs) counting only the largest MOE among zero estimates once. Proportions
are sum(num) / sum(den) x scale with the Census Bureau's proportion MOE (ratio formula when its radicand is
negative), withheld when the denominator or numerator is below config/reliability.yaml's minimums. Groups a
measurement lists as unavailable get a row with no value at every geography the indicator has that vintage.
It checks nothing: a value that is not a number becomes no number here, where the pipeline stops with an error.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import json  # noqa: E402  (the clock starts before the imports: they are part of what a script costs)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from reference_common import OUTPUT_COLUMNS, Definitions, Facts, Run, load_definitions, parse_args  # noqa: E402


def read_file(path, info: dict, facts: Facts) -> pd.DataFrame:
    """One Census API response as long cells: geoid, variable, estimate and MOE strings, MOE annotation symbol."""
    with open(path) as f:
        rows = json.load(f)
    wide = pd.DataFrame(rows[1:], columns=rows[0], dtype=object)
    geo = {"county": ["state", "county"], "tract": ["state", "county", "tract"]}[info["geo_level"]]
    geoid = wide[geo[0]].fillna("")
    for column in geo[1:]:
        geoid = geoid + wide[column].fillna("")
    e_suffix = facts.estimate_suffix[info["dataset"]]
    m_suffix = facts.moe_suffix[info["dataset"]]
    parts = []
    for variable, wants_moe in info["variables"].items():
        moe_column = f"{variable}{m_suffix}" if wants_moe and m_suffix else None
        part = pd.DataFrame(
            {
                "geoid": geoid,
                "variable": variable,
                "e_raw": wide[f"{variable}{e_suffix}"],
                "m_raw": wide[moe_column] if moe_column else None,
                "m_symbol": wide[f"{moe_column}A"] if moe_column and f"{moe_column}A" in wide else None,
            }
        )
        part["moe_read"] = moe_column is not None
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def numbers(raw: pd.Series, facts: Facts) -> tuple[pd.Series, pd.Series]:
    """(value, is_annotation_code): API strings to floats; annotation codes and nulls to NaN."""
    text = raw.astype("string").str.strip()
    is_code = text.isin(list(facts.annotation_codes)).fillna(False).astype(bool)
    value = pd.to_numeric(text.mask(is_code), errors="coerce").astype("float64")
    return value, is_code


def source_estimates(defs: Definitions, snapshot) -> pd.DataFrame:
    """Every cell the indicators read, with its estimate and MOE as the pipeline's staging model stores them."""
    facts = defs.facts
    frames = []
    for file, info in defs.files.items():
        cells = read_file(snapshot / file, info, facts)
        cells["file"] = file
        cells["dataset"] = info["dataset"]
        cells["geo_level"] = info["geo_level"]
        cells["table"] = info["table"]
        controlled = [v for d, g, v in facts.controlled if (d, g) == (info["dataset"], info["geo_level"])]
        cells["listed"] = cells["variable"].isin(controlled)
        frames.append(cells)
    cells = pd.concat(frames, ignore_index=True)
    est, _ = numbers(cells["e_raw"], facts)
    moe_value, moe_is_code = numbers(cells["m_raw"], facts)
    sampling = cells["dataset"].map(facts.sampling_error).astype(bool)
    symbol = cells["m_symbol"].astype("string").str.strip()
    moe_null_plain = cells["m_raw"].isna() & (symbol.isna() | (symbol == "")).fillna(True).astype(bool)
    listed = cells["listed"]
    controlled = (
        est.notna()
        & moe_value.isna()
        & (
            (moe_is_code & (cells["m_raw"].astype("string").str.strip() == facts.controlled_code)).fillna(False)
            | (cells["m_raw"].isna() & (symbol == facts.controlled_symbol).fillna(False))
            | (moe_null_plain & listed)
        )
    )
    moe = moe_value.where(cells["moe_read"], np.nan)
    moe = moe.mask(controlled & cells["moe_read"], 0.0)
    moe = moe.mask(~sampling & est.notna(), 0.0)
    open_ended = pd.Series(False, index=cells.index)
    for dataset, prefix, code in facts.open_ended:
        open_ended |= (
            (cells["dataset"] == dataset) & cells["table"].str.startswith(prefix) & (est == code) & moe_value.isna()
        )
    cells["estimate"] = est.mask(open_ended)
    cells["moe"] = moe
    return cells[["file", "geoid", "variable", "estimate", "moe"]]


def components(defs: Definitions, cells: pd.DataFrame) -> pd.DataFrame:
    """Signed sums of each role's variables per geography and group, with the MOE of the sum."""
    spec = pd.DataFrame(defs.spec)
    joined = spec.merge(cells, on=["file", "variable"], how="inner")
    in_place = (joined["state"].isna() | (joined["geoid"].str[:2] == joined["state"])) & (
        joined["county"].isna() | (joined["geoid"].str[:5] == joined["county"])
    )
    joined = joined[in_place].copy()
    joined["signed"] = joined["sign"] * joined["estimate"]
    joined["moe_sq_nonzero"] = np.where(joined["estimate"] != 0, joined["moe"] ** 2, 0.0)
    joined["moe_of_zero"] = joined["moe"].where(joined["estimate"] == 0)
    keys = ["indicator_id", "vintage_year", "vintage", "geo_level", "geoid", "group_id", "role", "method", "scale"]
    grouped = joined.groupby(keys, dropna=False, sort=False).agg(
        n=("variable", "size"),
        n_estimate=("estimate", "count"),
        n_moe=("moe", "count"),
        estimate=("signed", "sum"),
        moe_sq=("moe_sq_nonzero", "sum"),
        moe_zero=("moe_of_zero", "max"),
    )
    grouped = grouped.reset_index()
    complete = grouped["n_estimate"] == grouped["n"]
    grouped["estimate"] = grouped["estimate"].where(complete)
    grouped["moe"] = np.sqrt(grouped["moe_sq"] + grouped["moe_zero"].fillna(0.0) ** 2).where(
        complete & (grouped["n_moe"] == grouped["n"])
    )
    return grouped


def indicator_values(defs: Definitions, parts: pd.DataFrame) -> pd.DataFrame:
    """Direct and count values as published; proportions with their MOE formula and small-number suppression."""
    keys = ["indicator_id", "vintage_year", "vintage", "geo_level", "geoid", "group_id", "method", "scale"]
    wide = parts.set_index([*keys, "role"])[["estimate", "moe"]].unstack("role")
    wide.columns = [f"{role}_{what}" for what, role in wide.columns]
    wide = wide.reset_index()
    for role in ("value", "numerator", "denominator"):
        for what in ("estimate", "moe"):
            if f"{role}_{what}" not in wide:
                wide[f"{role}_{what}"] = np.nan
    x, y = wide["numerator_estimate"], wide["denominator_estimate"]
    mx, my = wide["numerator_moe"], wide["denominator_moe"]
    proportion = (wide["method"] == "proportion") & (y > 0)
    p = (x / y).where(proportion)
    # the same operations in the same order as dbt_like_sql/macros/acs_formulas.sql: a radicand that is zero on paper
    # (x/y = moe_x/moe_y) lands on either side of 0 depending on the order, and so does the formula chosen
    radicand = mx * mx - (p * p) * my * my
    proportion_moe = np.sqrt(radicand.where(radicand >= 0, mx * mx + (p * p) * my * my)) / y
    is_proportion = wide["method"] == "proportion"
    estimate = np.where(is_proportion, p * wide["scale"], wide["value_estimate"])
    moe = np.where(is_proportion, (proportion_moe * wide["scale"]).where(radicand.notna()), wide["value_moe"])
    f = defs.facts
    suppressed = is_proportion & ((y < f.min_denominator) | (x < f.min_numerator))
    wide["estimate"] = pd.Series(estimate, index=wide.index).mask(suppressed)
    wide["moe"] = pd.Series(moe, index=wide.index).mask(suppressed | wide["estimate"].isna())
    return wide.rename(columns={"geo_level": "geo_type"})


def unavailable_rows(defs: Definitions, values: pd.DataFrame) -> pd.DataFrame:
    """A row with no value for each unavailable group at every geography the indicator has in that vintage."""
    if not defs.unavailable:
        return values.iloc[0:0]
    wanted = pd.DataFrame(defs.unavailable).rename(columns={"geo_level": "geo_type"})
    places = values[["indicator_id", "vintage_year", "vintage", "geo_type", "geoid"]].drop_duplicates()
    rows = wanted.drop(columns="vintage").merge(places, on=["indicator_id", "vintage_year", "geo_type"])
    rows = rows[
        (rows["state"].isna() | (rows["geoid"].str[:2] == rows["state"]))
        & (rows["county"].isna() | (rows["geoid"].str[:5] == rows["county"]))
    ]
    have = values[["indicator_id", "vintage_year", "geo_type", "geoid", "group_id"]].assign(_have=True)
    rows = rows.merge(have, on=["indicator_id", "vintage_year", "geo_type", "geoid", "group_id"], how="left")
    rows = rows[rows["_have"].isna()].drop_duplicates(["indicator_id", "vintage_year", "geo_type", "geoid", "group_id"])
    return rows.assign(estimate=np.nan, moe=np.nan)


def main() -> None:
    args = parse_args("reference_pandas")
    run = Run("reference_pandas", STARTED)
    defs = load_definitions(args.config_dir, args.snapshot)
    if defs.files:
        cells = source_estimates(defs, args.snapshot)
        values = indicator_values(defs, components(defs, cells))
        result = pd.concat([values, unavailable_rows(defs, values)], ignore_index=True)[OUTPUT_COLUMNS]
    else:  # no configured Census API vintage in this snapshot: an empty result, not an error
        result = pd.DataFrame(
            {c: pd.Series(dtype="float64" if c in ("estimate", "moe") else "str") for c in OUTPUT_COLUMNS}
        )
    result = result.astype({"estimate": "float64", "moe": "float64"})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result.to_parquet(args.out, index=False)
    run.report(len(result))


if __name__ == "__main__":
    main()
