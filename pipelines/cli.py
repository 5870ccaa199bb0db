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
    from pipelines.refresh import run_refresh

    return run_refresh(
        settings,
        source=getattr(args, "source", None),
        vintage=getattr(args, "vintage", None),
        accept_row_drops=bool(args.accept_row_drops),
        no_wait=bool(args.no_wait),
    )


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
    release.add_argument("--source", help="land one source and rebuild only what depends on it")
    release.add_argument("--vintage", help="with --source: land this vintage only")
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
