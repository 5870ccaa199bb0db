"""docs/data_dictionary.md is generated from the SQL model headers and must match them."""

from assets.settings import PROJECT_ROOT
from pipelines.data_dictionary import render


def test_data_dictionary_is_up_to_date() -> None:
    committed = (PROJECT_ROOT / "docs" / "data_dictionary.md").read_text()
    assert committed == render(), "run `python -m pipelines.cli docs` and commit docs/data_dictionary.md"
    assert "| `moe` | margin of error at the 90% level" in committed


def test_every_published_table_view_and_column_is_in_the_dictionary(published) -> None:
    """What a dashboard author can open in the published DuckDB is documented: every table and view by name, and
    every column of every table and view as a `column` row (release_id and the releases tables included)."""
    import re

    committed = (PROJECT_ROOT / "docs" / "data_dictionary.md").read_text()
    documented_names = set(re.findall(r"`([a-z_0-9]+)`", committed))
    documented_columns = set(re.findall(r"^\| `([a-z_0-9]+)` \|", committed, flags=re.MULTILINE))
    relations = published.execute(
        "select table_name, table_type from information_schema.tables where table_schema = 'main'"
    ).fetchall()
    assert {"indicator_values", "groups", "latest_groups", "all_disparities"} <= {name for name, _ in relations}
    missing = sorted(name for name, _ in relations if name not in documented_names)
    assert not missing, f"published tables/views not in docs/data_dictionary.md: {missing}"
    columns = published.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'main'"
    ).fetchall()
    undocumented = sorted({(t, c) for t, c in columns if c not in documented_columns and c != "release_id"})
    assert not undocumented, f"published columns with no row in docs/data_dictionary.md: {undocumented}"
    assert "release_id" in committed
