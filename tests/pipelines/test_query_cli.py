"""`sdoh query`: SQL on the published DuckDB file (read-only) as a table, CSV or JSON; one-line errors. The release
queried is GENERATED (tests/assets/tiny_warehouse.py) and published through the real code."""

from __future__ import annotations

import csv
import io
import json

import pytest

from pipelines.cli import main
from pipelines.query_cli import one_line

# hand arithmetic from the tiny warehouse: poverty_rate = 100 * numerator / denominator; total 120 / 1000, Hispanic
# 45 / 300, the same in both counties and the region
SQL = (
    "select geoid, group_id, estimate from latest_indicator_values "
    "where indicator_id = 'poverty_rate' and geoid = '99001' order by group_id"
)


def test_table_output(tiny_release, capsys) -> None:
    assert main(["query", SQL]) == 0
    out = capsys.readouterr().out
    assert "geoid" in out and "estimate" in out
    assert any("99001" in line and "hispanic" in line and "15.0" in line for line in out.splitlines())
    assert any("99001" in line and "total" in line and "12.0" in line for line in out.splitlines())
    assert out.rstrip().endswith("2 rows")


def test_csv_and_json_output(tiny_release, capsys) -> None:
    assert main(["query", SQL, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["geoid", "group_id", "estimate"], ["99001", "hispanic", "15.0"], ["99001", "total", "12.0"]]
    assert main(["query", SQL, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"geoid": "99001", "group_id": "hispanic", "estimate": 15.0},
        {"geoid": "99001", "group_id": "total", "estimate": 12.0},
    ]


def test_max_rows_says_more_were_not_shown(tiny_release, capsys) -> None:
    assert main(["query", "select * from range(5)", "--max-rows", "2"]) == 0
    assert "2 rows; more not shown" in capsys.readouterr().out


def test_one_release_by_id(tiny_release, capsys) -> None:
    from assets.publish.release_writer import list_releases

    [release] = list_releases(tiny_release.published_dir)
    sql = "select count(*) as n, min(release_id) as r from indicator_values"
    assert main(["query", sql, "--release", release.release_id, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n,r", f"12,{release.release_id}"]


def test_sql_error_is_one_line(tiny_release, capsys) -> None:
    assert main(["query", "select * from no_such_table"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Catalog Error: Table with name no_such_table does not exist!")
    assert err.count("\n") == 1


def test_the_published_file_is_read_only(tiny_release, capsys) -> None:
    assert main(["query", "drop table releases"]) == 1
    assert "read-only" in capsys.readouterr().err


def test_nothing_published_yet(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SDOH_DATA_DIR", str(tmp_path))
    assert main(["query", "select 1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: nothing published yet:") and "sdoh refresh" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("message", "line"),
    [
        (
            'Catalog Error: Table with name x does not exist!\nDid you mean "y"?\n\nLINE 1: select * from x\n  ^',
            'Catalog Error: Table with name x does not exist! Did you mean "y"?',
        ),
        (
            'Parser Error: syntax error at or near "selec"\n\nLINE 1: selec 1\n        ^',
            'Parser Error: syntax error at or near "selec"',
        ),
    ],
)
def test_one_line_keeps_duckdbs_message_without_the_sql_echo(message: str, line: str) -> None:
    assert one_line(Exception(message)) == line
