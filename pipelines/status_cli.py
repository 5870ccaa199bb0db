"""``sdoh status``: what the Dagster instance says is materialized, what is stale, and the latest release.

Reads the instance in ``DAGSTER_HOME`` (default ``data/dagster_home``, as ``make run`` and ``make dev`` use) and
never writes to it: with no instance there yet (a fresh clone) it says so without creating one. Per asset: the last
materialization's time, run and row count (``dagster/row_count`` metadata), and the partitions materialized when
the asset has any (asked of the instance, so it works for any partitioned asset without knowing its partitions).
An asset is stale when one of its inputs was materialized after it (the publish step refuses to publish then).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.cli_common import console, load_settings, simple_table
from pipelines.instance import dagster_home

MAX_PARTITIONS_SHOWN = 4


@dataclass
class AssetStatus:
    name: str
    materialized_at: float | None = None
    run_id: str | None = None
    rows: int | None = None
    partitions: list[str] = field(default_factory=list)
    stale_because: list[str] = field(default_factory=list)


def _has_storage(home: Path) -> bool:
    """Whether ``home`` holds an instance that may have recorded something, judged without opening it: the default
    SQLite run storage exists, or dagster.yaml puts the storage somewhere else (e.g. Postgres)."""
    if (home / "history" / "runs.db").is_file():
        return True
    config = home / "dagster.yaml"
    return config.is_file() and any(
        line.split(":")[0].strip() in ("storage", "run_storage", "event_log_storage")
        for line in config.read_text().splitlines()
        if not line.startswith((" ", "#"))
    )


@contextmanager
def open_instance(home: Path):
    """The instance in ``home`` (None when there is none yet): opened as Dagster's own tools open it."""
    if not home.is_dir() or not _has_storage(home):
        yield None
        return
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def asset_graph() -> dict[Any, frozenset[Any]]:
    """Each asset's direct inputs: every asset of the build graph, the release (``assets/build_graph.py``) and the
    equity profiles rendered from it."""
    from assets.build_graph import parents_by_asset
    from assets.publish.published_release import published_release
    from assets.reports.ach_profiles import ach_profiles

    parents = dict(parents_by_asset())
    for definition in (published_release, ach_profiles):
        for key in definition.keys:
            parents[key] = frozenset(definition.asset_deps.get(key, ()))
    return parents


def collect(instance: Any) -> list[AssetStatus]:
    """One :class:`AssetStatus` per asset of the graph and per asset the instance knows that the graph does not;
    none when the instance has no materialization at all (then the graph is not even loaded)."""
    records = {r.asset_entry.asset_key: r.asset_entry for r in instance.get_asset_records()}
    latest: dict[Any, Any] = {}
    for key, entry in records.items():
        if entry.last_materialization_record is not None:
            latest[key] = entry.last_materialization_record
    if not latest:
        return []
    parents = asset_graph()
    statuses = []
    for key in sorted(set(parents) | set(records), key=lambda k: k.to_user_string()):
        status = AssetStatus(key.to_user_string())
        record = latest.get(key)
        if record is not None:
            status.materialized_at = record.timestamp
            status.run_id = record.run_id
            materialization = record.asset_materialization
            count = materialization.metadata.get("dagster/row_count") if materialization is not None else None
            status.rows = int(count.value) if count is not None and count.value is not None else None
            status.partitions = sorted(instance.get_materialized_partitions(key))
            for parent in sorted(parents.get(key, ()), key=lambda k: k.to_user_string()):
                parent_record = latest.get(parent)
                # timestamps, not storage ids: SQLite instances number events per run (as the publish guard does)
                if parent_record is not None and parent_record.timestamp > record.timestamp:
                    status.stale_because.append(parent.to_user_string())
        statuses.append(status)
    return statuses


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _partitions(names: list[str]) -> str:
    if not names:
        return ""
    shown = ", ".join(names[:MAX_PARTITIONS_SHOWN])
    return f"{len(names)}: {shown}" + (", …" if len(names) > MAX_PARTITIONS_SHOWN else "")


def run() -> int:
    settings = load_settings()
    out = console()
    home = dagster_home()
    with open_instance(home) as instance:
        statuses = collect(instance) if instance is not None else []
    done = [s for s in statuses if s.materialized_at is not None]
    if not done:
        out.print(f"nothing materialized yet (Dagster instance: {home}); `sdoh refresh` builds everything")
    else:
        table = simple_table(
            "asset",
            "materialized (UTC)",
            "run",
            "rows",
            "partitions",
            "state",
            right=("rows",),
            title=f"Dagster instance {home}",
        )
        for s in statuses:
            if s.materialized_at is None:
                table.add_row(s.name, "-", "", "", "", "never materialized")
                continue
            state = f"stale: older than {', '.join(s.stale_because)}" if s.stale_because else "ok"
            rows = f"{s.rows:,}" if s.rows is not None else ""
            table.add_row(s.name, _when(s.materialized_at), s.run_id[:8], rows, _partitions(s.partitions), state)
        out.print(table)
        stale = [s for s in done if s.stale_because]
        never = [s for s in statuses if s.materialized_at is None]
        out.print(
            f"{len(done)} of {len(statuses)} assets materialized; "
            + (f"{len(stale)} stale (an input was materialized after them: rebuild them)" if stale else "none stale")
            + (f"; {len(never)} never materialized" if never else "")
        )
    _latest_release(settings, out)
    return 0


def _latest_release(settings: Any, out: Any) -> None:
    from assets.publish.release_writer import list_releases

    releases = list_releases(settings.published_dir)
    if not releases:
        out.print(f"no release published yet under {settings.published_dir / 'releases'}")
        return
    latest = releases[-1]
    m = latest.manifest
    counts = ", ".join(f"{name} {t['rows']:,}" for name, t in m["tables"].items())
    out.print(f"latest release {latest.release_id} (created {m['created_at']}, {len(releases)} release(s) in total)")
    out.print(f"  rows: {counts}")
