"""Reference 2 of the benchmark: the pipeline's Census API indicator values from the fastest honest bare script, one
DuckDB query over the raw API JSON (read_json of the arrays, in parallel), no Dagster, no checks, no release: the
floor the pipeline's own time is measured against.

    .venv/bin/python benchmarks/reference_bare.py --snapshot ../shared/data --config-dir config --out refs.parquet

Same input, output, printed JSON line and rules as benchmarks/reference_pandas.py (see its docstring); the
definitions are read through benchmarks/reference_common.py, and every number is computed by the SQL below.
It checks nothing: a malformed response gives nulls here where the pipeline stops with an error.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import duckdb  # noqa: E402  (the clock starts before the imports: they are part of what a script costs)
import pyarrow as pa  # noqa: E402
from reference_common import OUTPUT_COLUMNS, Definitions, Run, load_definitions, parse_args  # noqa: E402

# The definitions' strings become small integer ids in Python (a few thousand rows), so the SQL joins and groups the
# ~1 M cells by an integer id and the GEOID: cell = (file, variable) read; component = indicator x vintage x group x
# role; value = the indicator row the components make.
CELL_SCHEMA = pa.schema(
    [
        ("cell_id", pa.int32()),
        ("file", pa.string()),
        ("geo_level", pa.string()),
        ("variable", pa.string()),
        ("e_col", pa.string()),
        ("m_col", pa.string()),  # null: the MOE is not read (not published, or a decennial count)
        ("sampling_error", pa.bool_()),
        ("listed_controlled", pa.bool_()),
        ("open_ended_codes", pa.list_(pa.float64())),
    ]
)
TERM_SCHEMA = pa.schema(
    [
        ("cell_id", pa.int32()),
        ("component_id", pa.int32()),
        ("sign", pa.float64()),
        ("state", pa.string()),
        ("county", pa.string()),
    ]
)
COMPONENT_SCHEMA = pa.schema([("component_id", pa.int32()), ("value_id", pa.int32()), ("role", pa.string())])
VALUE_SCHEMA = pa.schema(
    [
        ("value_id", pa.int32()),
        ("indicator_id", pa.string()),
        ("vintage_year", pa.string()),
        ("vintage", pa.string()),
        ("geo_level", pa.string()),
        ("group_id", pa.string()),
        ("method", pa.string()),
        ("scale", pa.float64()),
    ]
)
UNAVAILABLE_SCHEMA = pa.schema(
    [
        ("indicator_id", pa.string()),
        ("vintage_year", pa.string()),
        ("geo_level", pa.string()),
        ("state", pa.string()),
        ("county", pa.string()),
        ("group_id", pa.string()),
    ]
)

QUERY = """
with raw as (
    select filename as file, j
    from read_json($files, format = 'array', records = 'false', columns = {'j': 'VARCHAR[]'}, filename = true)
),

headers as (
    select file, j as header from raw where list_contains(j, 'NAME')
),

positions as (
    -- per file, where the header has each wanted column (0: not read), so a record is cut down to its wanted cells
    select
        c.file,
        any_value(c.geo_level) as geo_level,
        any_value(list_position(h.header, 'state')) as p_state,
        any_value(list_position(h.header, 'county')) as p_county,
        any_value(list_position(h.header, 'tract')) as p_tract,
        list(c.cell_id order by c.cell_id) as cell_ids,
        list(coalesce(list_position(h.header, c.e_col), 0) order by c.cell_id) as p_e,
        list(coalesce(list_position(h.header, c.m_col), 0) order by c.cell_id) as p_m,
        list(coalesce(list_position(h.header, c.m_col || 'A'), 0) order by c.cell_id) as p_ma
    from cells as c
    inner join headers as h using (file)
    group by c.file
),

records as (
    select
        coalesce(r.j[p.p_state], '') || coalesce(r.j[p.p_county], '')
            || case when p.geo_level = 'tract' then coalesce(r.j[p.p_tract], '') else '' end as geoid,
        unnest(p.cell_ids) as cell_id,
        unnest(list_select(r.j, p.p_e)) as e_raw,
        unnest(list_select(r.j, p.p_m)) as m_raw,
        unnest(list_select(r.j, p.p_ma)) as m_symbol
    from raw as r
    inner join positions as p using (file)
    where not list_contains(r.j, 'NAME')
),

parsed as (
    select
        r.cell_id,
        r.geoid,
        c.sampling_error,
        c.listed_controlled,
        c.open_ended_codes,
        c.m_col is not null as moe_read,
        trim(r.m_raw) as m_raw,
        trim(r.m_symbol) as m_symbol,
        case when not list_contains($codes, trim(r.e_raw)) then try_cast(trim(r.e_raw) as double) end as e_value,
        case when not list_contains($codes, trim(r.m_raw)) then try_cast(trim(r.m_raw) as double) end as m_value
    from records as r
    inner join cells as c using (cell_id)
),

estimates as (
    select
        cell_id,
        geoid,
        case when m_value is null and list_contains(open_ended_codes, e_value) then null else e_value end
            as estimate,
        case
            when not sampling_error and e_value is not null then 0.0
            when not moe_read then null
            when e_value is not null and m_value is null and (
                m_raw = $controlled_code
                or (m_raw is null and m_symbol = $controlled_symbol)
                or (m_raw is null and coalesce(m_symbol, '') = '' and listed_controlled)
            ) then 0.0
            else m_value
        end as moe
    from parsed
),

summed as (
    select
        t.component_id,
        e.geoid,
        case when count(e.estimate) = count(*) then sum(t.sign * e.estimate) end as estimate,
        case
            when count(e.estimate) = count(*) and count(e.moe) = count(*)
                then sqrt(
                    sum(case when e.estimate <> 0 then e.moe * e.moe else 0 end)
                    + pow(coalesce(max(case when e.estimate = 0 then e.moe end), 0), 2)
                )
        end as moe
    from terms as t
    inner join estimates as e using (cell_id)
    where (t.state is null or left(e.geoid, 2) = t.state) and (t.county is null or left(e.geoid, 5) = t.county)
    group by t.component_id, e.geoid
),

pivoted as (
    select
        c.value_id,
        s.geoid,
        max(s.estimate) filter (where c.role = 'value') as v,
        max(s.moe) filter (where c.role = 'value') as v_moe,
        max(s.estimate) filter (where c.role = 'numerator') as x,
        max(s.moe) filter (where c.role = 'numerator') as x_moe,
        max(s.estimate) filter (where c.role = 'denominator') as y,
        max(s.moe) filter (where c.role = 'denominator') as y_moe
    from summed as s
    inner join components as c using (component_id)
    group by c.value_id, s.geoid
),

derived as (
    select
        v.*,
        p.geoid,
        case when v.method = 'proportion' then (case when p.y > 0 then p.x / p.y * v.scale end) else p.v end
            as raw_estimate,
        case
            when v.method <> 'proportion' then p.v_moe
            when p.y > 0 and p.x is not null and p.x_moe is not null and p.y_moe is not null then v.scale * (
                case
                    when p.x_moe * p.x_moe - (p.x / p.y) * (p.x / p.y) * p.y_moe * p.y_moe >= 0
                        then sqrt(p.x_moe * p.x_moe - (p.x / p.y) * (p.x / p.y) * p.y_moe * p.y_moe) / p.y
                    else sqrt(p.x_moe * p.x_moe + (p.x / p.y) * (p.x / p.y) * p.y_moe * p.y_moe) / p.y
                end
            )
        end as raw_moe,
        coalesce(v.method = 'proportion' and (p.y < $min_denominator or p.x < $min_numerator), false) as suppressed
    from pivoted as p
    inner join indicator_rows as v using (value_id)
),

computed as (
    select
        indicator_id, vintage_year, vintage, geo_level, geoid, group_id,
        case when not suppressed then raw_estimate end as estimate,
        case when not suppressed and raw_estimate is not null then raw_moe end as moe
    from derived
),

places as (
    -- the geographies of the indicators that have an unavailable group (only those are needed)
    select distinct indicator_id, vintage_year, vintage, geo_level, geoid
    from computed
    semi join unavailable using (indicator_id, vintage_year, geo_level)
),

unavailable_candidates as (
    select distinct g.indicator_id, g.vintage_year, g.vintage, g.geo_level, g.geoid, u.group_id,
        cast(null as double) as estimate, cast(null as double) as moe
    from unavailable as u
    inner join places as g using (indicator_id, vintage_year, geo_level)
    where (u.state is null or left(g.geoid, 2) = u.state) and (u.county is null or left(g.geoid, 5) = u.county)
),

unavailable_missing as (
    select u.*
    from unavailable_candidates as u
    anti join (
        select indicator_id, vintage_year, geo_level, geoid, group_id
        from computed
        semi join unavailable using (indicator_id, vintage_year, geo_level, group_id)
    ) as c using (indicator_id, vintage_year, geo_level, geoid, group_id)
)

select indicator_id, vintage, geo_level as geo_type, geoid, group_id, estimate, moe from computed
union all
select indicator_id, vintage, geo_level as geo_type, geoid, group_id, estimate, moe from unavailable_missing
"""


def id_tables(defs: Definitions, snapshot) -> dict[str, list[dict]]:
    """The definitions as four small tables keyed by integer ids: cells to read, terms (a cell's sign in a component),
    components (a role of an indicator row) and indicator rows."""
    f = defs.facts
    cells, cell_id = [], {}
    for file, info in defs.files.items():
        dataset, geo_level = info["dataset"], info["geo_level"]
        codes = [code for d, prefix, code in f.open_ended if d == dataset and info["table"].startswith(prefix)]
        m_suffix = f.moe_suffix[dataset]
        for variable, wants_moe in info["variables"].items():
            cell_id[file, variable] = len(cells)
            cells.append(
                {
                    "cell_id": len(cells),
                    "file": str(snapshot / file),
                    "geo_level": geo_level,
                    "variable": variable,
                    "e_col": f"{variable}{f.estimate_suffix[dataset]}",
                    "m_col": f"{variable}{m_suffix}" if wants_moe and m_suffix else None,
                    "sampling_error": f.sampling_error[dataset],
                    "listed_controlled": (dataset, geo_level, variable) in f.controlled,
                    "open_ended_codes": codes,
                }
            )
    value_keys = ("indicator_id", "vintage_year", "vintage", "geo_level", "group_id", "method", "scale")
    values: dict[tuple, int] = {}
    components: dict[tuple, int] = {}
    terms = []
    for s in defs.spec:
        value = tuple(s[k] for k in value_keys)
        value_id = values.setdefault(value, len(values))
        component_id = components.setdefault((value_id, s["role"]), len(components))
        terms.append(
            {
                "cell_id": cell_id[s["file"], s["variable"]],
                "component_id": component_id,
                "sign": s["sign"],
                "state": s["state"],
                "county": s["county"],
            }
        )
    return {
        "cells": cells,
        "terms": terms,
        "components": [{"component_id": c, "value_id": v, "role": r} for (v, r), c in components.items()],
        "indicator_rows": [{"value_id": i, **dict(zip(value_keys, k, strict=True))} for k, i in values.items()],
    }


def main() -> None:
    args = parse_args("reference_bare")
    run = Run("reference_bare", STARTED)
    defs = load_definitions(args.config_dir, args.snapshot)
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")  # stdout carries the one JSON line
    tables = id_tables(defs, args.snapshot)
    schemas = {
        "cells": CELL_SCHEMA,
        "terms": TERM_SCHEMA,
        "components": COMPONENT_SCHEMA,
        "indicator_rows": VALUE_SCHEMA,
    }
    for name, rows in tables.items():
        con.register(name, pa.Table.from_pylist(rows, schema=schemas[name]))
    con.register("unavailable", pa.Table.from_pylist(defs.unavailable, schema=UNAVAILABLE_SCHEMA))
    f = defs.facts
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not tables["cells"]:  # no configured Census API vintage in this snapshot: an empty result, not an error
        con.execute(
            "create table result (indicator_id varchar, vintage varchar, geo_type varchar, geoid varchar, "
            "group_id varchar, estimate double, moe double)"
        )
    else:
        con.execute(
            f"create table result as select {', '.join(OUTPUT_COLUMNS)} from ({QUERY})",
            {
                "files": sorted({c["file"] for c in tables["cells"]}),
                "codes": sorted(f.annotation_codes),
                "controlled_code": f.controlled_code,
                "controlled_symbol": f.controlled_symbol,
                "min_denominator": f.min_denominator,
                "min_numerator": f.min_numerator,
            },
        )
    con.execute(f"copy result to '{args.out}' (format parquet)")
    run.report(con.execute("select count(*) from result").fetchone()[0])


if __name__ == "__main__":
    main()
