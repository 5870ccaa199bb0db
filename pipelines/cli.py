"""Command line: ``python -m pipelines.cli release`` builds every asset and publishes a release.

Runs the same job as the Dagster UI, in process, on the instance in ``DAGSTER_HOME`` (default
``data/dagster_home``), so the run, its checks and its metadata show up in ``dagster dev`` afterwards.
Prints one line per step (the full log, every level and event, goes to ``data/logs/<run_id>.log``; see
``pipelines/run_output.py``). Exits non-zero when any step or blocking check fails, ending with the error itself
(file, record, field, value), the log's path and that no release was published; the previous release stays as it was.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from assets.settings import PROJECT_ROOT, settings_from_env
from pipelines import releases_cli


def _release(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_env()
    except ValueError as error:  # e.g. SDOH_MODE=bogus: one line, not a traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / "data" / "dagster_home"))
    from pipelines.instance import ensure_instance_yaml

    ensure_instance_yaml()
    import dagster as dg

    from assets.publish.release_writer import PUBLISHED_DB, list_releases
    from assets.writer_lock import WriterBusy, hold_writer_lock
    from pipelines.definitions import build_definitions
    from pipelines.run_output import RunConsole, shown_path

    print(f"mode: {settings.mode}; snapshot: {settings.snapshot_dir}; working data: {settings.data_dir}")
    if settings.mode == "snapshot" and not (settings.snapshot_dir / "PROVENANCE.md").is_file():
        print(
            f"error: no snapshot at {settings.snapshot_dir} (expected its PROVENANCE.md). "
            "Put ../shared beside the checkout or set SDOH_SNAPSHOT_DIR.",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    defs = build_definitions(settings)
    job = defs.resolve_job_def("build_and_publish_release")
    run_config = {"ops": {"published_release": {"config": {"accept_row_drops": bool(args.accept_row_drops)}}}}
    console = RunConsole(job, settings.data_dir / "logs")
    try:  # one writer per working folder: wait for (or, with --no-wait, refuse) a run that holds it
        with hold_writer_lock(
            settings.data_dir,
            run_id=console.run_id,
            wait_seconds=0 if args.no_wait else settings.writer_lock_wait_seconds,
            on_wait=lambda message: print(message, flush=True),
        ):
            print(f"full log: {shown_path(console.log_path)} ({console.total} steps; one line each below)")
            with dg.DagsterInstance.get() as instance:
                result = console.execute(job, instance, run_config=run_config)
    except WriterBusy as busy:
        print(f"error: {busy}", file=sys.stderr)
        return 75
    elapsed = time.monotonic() - started
    if not result.success:
        console.report_failure(result, elapsed)
        return 1
    releases = list_releases(settings.published_dir)
    latest = releases[-1]
    tables = latest.manifest["tables"]
    print(f"run {result.run_id} succeeded in {elapsed:.0f}s")
    [published] = result.asset_materializations_for_node("published_release")
    if not published.metadata["new_release"].value:
        print(
            f"no new release: the tables equal the latest release {latest.release_id} (content hashes); "
            "see `python -m pipelines.cli releases list`"
        )
    print(
        f"release {latest.release_id}: {tables['indicator_values']['rows']:,} indicator values, "
        f"{tables['indicator_catalog']['rows']} indicators ({len(releases)} releases in total)"
    )
    print(f"  files:     {latest.path}")
    print(f"  published: {settings.published_dir / PUBLISHED_DB}")
    query = "select indicator_id, vintage, count(*) as n from latest_indicator_values group by all order by all"
    print(
        '  try:       .venv/bin/python -c "import duckdb; print(duckdb.connect('
        f"'{settings.published_dir / PUBLISHED_DB}', read_only=True).sql('{query}'))\""
    )
    print(f"  full log:  {shown_path(console.log_path)}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    """Say whether two releases publish the same numbers (content hashes that ignore release ids and run noise)."""
    from pathlib import Path

    from assets.publish.release_writer import CONTENT_DIGITS, table_content_hashes

    folders = []
    for given in (args.first, args.second):
        path = Path(given)
        if not path.is_dir():
            path = settings_from_env().published_dir / "releases" / given
        if not (path / "manifest.json").is_file():
            print(
                f"error: {given} is neither a release folder nor a release id under data/published/releases",
                file=sys.stderr,
            )
            return 2
        folders.append(path)
    first, second = (table_content_hashes(f) for f in folders)
    differing = []
    for table in sorted(set(first) | set(second)):
        same = first.get(table) == second.get(table)
        differing += [] if same else [table]
        print(
            f"{table:20} {'same' if same else 'DIFFERS'}  {first.get(table, '-')[:16]}  {second.get(table, '-')[:16]}"
        )
    print(f"(rows compared without release_id, in any order, numbers to {CONTENT_DIGITS} significant digits)")
    if differing:
        print(f"the releases differ in: {', '.join(differing)}", file=sys.stderr)
        return 1
    print("the releases publish the same tables")
    return 0


def _docs(_: argparse.Namespace) -> int:
    from pipelines.data_dictionary import render

    target = PROJECT_ROOT / "docs" / "data_dictionary.md"
    target.write_text(render())
    print(f"wrote {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    release = commands.add_parser("release", help="materialize every asset and publish a release")
    release.add_argument(
        "--accept-row-drops",
        action="store_true",
        help="publish although rows fell beyond config/releases.yaml's tolerance (after removing an indicator or region)",
    )
    release.add_argument(
        "--no-wait", action="store_true", help="stop at once if another run holds the working folder's writer lock"
    )
    release.set_defaults(func=_release)
    releases_cli.add_parser(commands)
    commands.add_parser("docs", help="regenerate docs/data_dictionary.md from the SQL models").set_defaults(func=_docs)
    compare = commands.add_parser(
        "compare", help="say whether two releases (ids or folders) publish the same tables, by content"
    )
    compare.add_argument("first")
    compare.add_argument("second")
    compare.set_defaults(func=_compare)
    args = parser.parse_args(argv)
    try:  # every command reads the SDOH_* settings: a wrong one is one line, not a traceback
        settings_from_env()
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
