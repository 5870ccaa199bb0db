"""config/checks.yaml `race_iteration_identities` and `sum_identities`: arithmetic identities between published
numbers, as one long frame of terms (the seed the identity model reads, and the variables the Census request plan
adds to tables it fetches anyway, so an identity can be checked wherever both sides are landed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError

IDENTITY_SCHEMA = {
    "identity_id": pl.String,
    "identity": pl.String,
    "terms": pl.String,
    "dataset": pl.String,
    "term_role": pl.String,
    "variable": pl.String,
    "table": pl.String,
    "z": pl.Float64,
    "max_rel_diff": pl.Float64,
    "max_abs_diff": pl.Float64,
    "rule": pl.String,
    "note": pl.String,
    "request_vintages": pl.List(pl.String),
}


def load_identities(path: Path) -> pl.DataFrame:
    """One row per identity x term (the total, each part), with the identity's tolerances.

    race iteration: `iterated` with ``{i}`` replaced by each letter of `iterations` sums to `total` (different
    tables: each is a sample estimate, so the tolerance is z x the SE of the difference, and `max_rel_diff` of the
    total); sum of parts: `parts` sum to `total` within one table (exact up to `max_abs_diff`). `request_vintages`:
    the vintages in which the Census request plan adds the terms to the tables the indicators read anyway."""
    raw = load_yaml(path) if Path(path).is_file() else {}
    rows: list[dict[str, Any]] = []
    for n, r in enumerate(raw.get("race_iteration_identities") or [], start=1):
        where = f"{path}: race_iteration_identities #{n}"
        _require(r, ("dataset", "iterated", "iterations", "total", "max_rel_diff", "z"), where)
        if "{i}" not in str(r["iterated"]):
            raise ConfigError(f"{where} field `iterated` has no {{i}} for the iteration letter")
        parts = [str(r["iterated"]).replace("{i}", letter) for letter in str(r["iterations"])]
        terms = f"{r['iterated'].replace('{i}', '[' + r['iterations'] + ']')} = {r['total']}"
        rule = (
            f"config/checks.yaml race_iteration_identities: |difference| > {r['z']} x SE of the difference "
            f"and > {r['max_rel_diff']} x total"
        )
        rows += _terms(f"race:{r['dataset']}:{r['iterated']}", "race iterations", terms, r, parts, rule)
    for n, r in enumerate(raw.get("sum_identities") or [], start=1):
        where = f"{path}: sum_identities #{n}"
        _require(r, ("dataset", "total", "parts", "max_abs_diff"), where)
        # `iterations`: the same identity for each race iteration of a table ({i} in total and parts)
        for letter in str(r.get("iterations") or "") or [None]:
            total = str(r["total"]).replace("{i}", letter or "")
            parts = [str(p).replace("{i}", letter or "") for p in r["parts"]]
            if letter is None and "{i}" in total + "".join(parts):
                raise ConfigError(f"{where} uses {{i}} but has no `iterations`")
            terms = f"{total} = {' + '.join(parts)}"
            rule = f"config/checks.yaml sum_identities: |difference| > max_abs_diff {r['max_abs_diff']}"
            rows += _terms(f"sum:{r['dataset']}:{total}", "sum of parts", terms, {**r, "total": total}, parts, rule)
    frame = pl.DataFrame(rows, schema=IDENTITY_SCHEMA)
    dupes = frame.group_by("identity_id", "variable").len().filter(pl.col("len") > 1)
    if dupes.height:
        raise ConfigError(f"{path}: identity {dupes['identity_id'][0]!r} lists {dupes['variable'][0]} twice")
    return frame


def _require(record: dict[str, Any], fields: tuple[str, ...], where: str) -> None:
    missing = [f for f in fields if record.get(f) is None]
    if missing:
        raise ConfigError(f"{where} has no {', '.join(missing)}")


def _terms(
    identity_id: str, kind: str, terms: str, r: dict[str, Any], parts: list[str], rule: str
) -> list[dict[str, Any]]:
    common = {
        "identity_id": identity_id,
        "identity": kind,
        "terms": terms,
        "dataset": str(r["dataset"]),
        "z": float(r["z"]) if r.get("z") is not None else None,
        "max_rel_diff": float(r["max_rel_diff"]) if r.get("max_rel_diff") is not None else None,
        "max_abs_diff": float(r["max_abs_diff"]) if r.get("max_abs_diff") is not None else None,
        "rule": rule,
        "note": " ".join(str(r.get("note") or "").split()) or None,
        # vintages whose fetched tables also request the terms (a snapshot file may hold only some variables)
        "request_vintages": [str(v) for v in r.get("request_vintages") or []],
    }
    return [
        {**common, "term_role": role, "variable": v, "table": v.split("_")[0]}
        for role, v in [("total", str(r["total"])), *(("part", p) for p in parts)]
    ]
