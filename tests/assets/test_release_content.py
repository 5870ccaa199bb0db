"""table_content_hashes (and `python -m pipelines.cli compare`) say whether two releases publish the same tables:
equal for the same rows whatever the release id, row order or last-bit float noise; different for a real change.
The tables are GENERATED here (three made-up rows), not real data."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from assets.publish.release_writer import table_content_hashes
from pipelines.cli import main


def _release(folder: Path, release_id: str, rows: list[tuple[str, float | None]]) -> Path:
    folder.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("create table t (release_id varchar, geoid varchar, estimate double)")
    con.executemany("insert into t values (?, ?, ?)", [(release_id, g, e) for g, e in rows])
    con.execute(f"copy t to '{folder / 'indicator_values.parquet'}' (format parquet)")
    con.close()
    (folder / "manifest.json").write_text("{}")
    return folder


ROWS = [("53033", 12.5), ("53077", 0.1 + 0.2), ("06037", None)]


def test_same_rows_under_another_id_in_another_order_with_float_noise_hash_equal(tmp_path: Path) -> None:
    """0.1 + 0.2 = 0.30000000000000004 and 0.3 differ in the last bit only (a parallel sum's noise): equal at 10
    significant digits. The release id and the row order do not count."""
    a = _release(tmp_path / "a", "2026-01-01-000000-aaaa", ROWS)
    b = _release(tmp_path / "b", "2026-02-02-000000-bbbb", [ROWS[2], ("53077", 0.3), ROWS[0]])
    assert table_content_hashes(a) == table_content_hashes(b)
    assert main(["compare", str(a), str(b)]) == 0


@pytest.mark.parametrize(
    "changed",
    [
        [("53033", 12.5), ("53077", 0.3001), ("06037", None)],  # a number changed in the 4th significant digit
        [("53033", 12.5), ("53077", 0.3), ("06037", 0.0)],  # a null became 0
        [("53033", 12.5), ("53077", 0.3)],  # a row lost
    ],
    ids=["value", "null-to-zero", "row-lost"],
)
def test_a_real_change_hashes_differently(tmp_path: Path, changed: list[tuple[str, float | None]]) -> None:
    a = _release(tmp_path / "a", "r1", ROWS)
    b = _release(tmp_path / "b", "r2", changed)
    assert table_content_hashes(a)["indicator_values"] != table_content_hashes(b)["indicator_values"]
    assert main(["compare", str(a), str(b)]) == 1
