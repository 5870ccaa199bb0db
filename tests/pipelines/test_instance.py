"""The Dagster instance `make dev` and the CLI share queues runs one at a time (they all write one DuckDB file)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.instance import TEMPLATE, ensure_instance_yaml


def test_the_instance_starts_one_run_at_a_time(tmp_path: Path) -> None:
    target = ensure_instance_yaml(tmp_path)
    assert target.read_text() == TEMPLATE.read_text()
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1


def test_an_old_generated_file_is_replaced_and_a_users_own_is_left_alone(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    (old / "dagster.yaml").write_text("# Dagster instance for local runs: SQLite storage in this folder (defaults).\n")
    assert ensure_instance_yaml(old).read_text() == TEMPLATE.read_text()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    assert ensure_instance_yaml(mine).read_text() == "telemetry:\n  enabled: false\n"
