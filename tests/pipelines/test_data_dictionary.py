"""docs/data_dictionary.md is generated from the SQL model headers and must match them."""

from assets.settings import PROJECT_ROOT
from pipelines.data_dictionary import render


def test_data_dictionary_is_up_to_date() -> None:
    committed = (PROJECT_ROOT / "docs" / "data_dictionary.md").read_text()
    assert committed == render(), "run `python -m pipelines.cli docs` and commit docs/data_dictionary.md"
    assert "| `moe` | margin of error at the 90% level" in committed
