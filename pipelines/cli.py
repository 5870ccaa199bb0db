"""The ``sdoh`` command line (also ``python -m pipelines.cli``): build and publish, inspect, query and export.

``sdoh refresh`` (alias ``sdoh release``, what ``make run`` calls) builds every asset and publishes a release: it runs
the same job as the Dagster UI, in process, on the instance in ``DAGSTER_HOME`` (default ``data/dagster_home``), so
the run, its checks and its metadata show up in ``make dev`` afterwards. It prints one line per step (the full log,
every level and event, goes to ``data/logs/<run_id>.log``; see ``pipelines/run_output.py``) and exits non-zero when
any step or blocking check fails, ending with the error itself (file, record, field, value), the log's path and that
no release was published; the previous release stays as it was.

Every command reads the ``SDOH_*`` settings from the environment and the project's ``.env``
(``pipelines/settings_check.py``); a wrong one stops it with one line and exit code 2. Dagster, DuckDB, geopandas and
Great Expectations are imported inside the commands that use them, so ``sdoh --help`` answers at once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from assets.settings import PROJECT_ROOT, Settings
from pipelines import releases_cli
from pipelines.cli_common import CliError, command, console, load_settings, mode_overridden, simple_table

# The sources a refresh can be limited to (`--source`): assets/source_registry.py's REFRESHABLE_SOURCES
# (tests/pipelines/test_cli.py checks the two agree; importing the registry here would import Dagster).
SOURCES = ("census_api", "cdc_places", "cdc_svi", "hud_chas", "wa_doh", "census_geo")

app = typer.Typer(
    name="sdoh",
    help="SDOH equity indicators: build and publish releases, inspect them, query and export the published data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(releases_cli.app, name="releases")


def run_refresh(
    settings: Settings,
    *,
    source: str | None = None,
    vintage: str | None = None,
    live: bool = False,
    accept_row_drops: bool = False,
    no_wait: bool = False,
    profiles: bool = True,
) -> int:
    """Refresh and publish (``pipelines/refresh.py``); returns the exit code. ``settings`` already say the mode
    (``--live`` set it)."""
    del live
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / "data" / "dagster_home"))
    from pipelines.instance import ensure_instance_yaml

    ensure_instance_yaml()
    from pipelines import refresh as refreshing

    return refreshing.run_refresh(
        settings, source=source, vintage=vintage, accept_row_drops=accept_row_drops, no_wait=no_wait, profiles=profiles
    )


AcceptRowDrops = Annotated[
    bool,
    typer.Option(
        "--accept-row-drops",
        help="publish although rows fell beyond config/releases.yaml's tolerance (after removing an indicator or "
        "region on purpose); recorded in the manifest",
    ),
]
NoWait = Annotated[
    bool, typer.Option("--no-wait", help="stop at once if another run holds the working folder's writer lock")
]
Live = Annotated[bool, typer.Option("--live", help="call the agencies' APIs for this command (same as SDOH_MODE=live)")]
Profiles = Annotated[
    bool,
    typer.Option(
        "--profiles/--no-profiles",
        help="after a full refresh, render the ACH equity profiles of the newest release (its own last run)",
    ),
]


Source = Annotated[str | None, typer.Option("--source", help=f"refresh one source only: {', '.join(SOURCES)}")]
Vintage = Annotated[
    str | None, typer.Option("--vintage", help="with --source: one vintage only (e.g. 2018 for ACS 2014-2018)")
]


@app.command()
@command
def refresh(
    source: Source = None,
    vintage: Vintage = None,
    live: Live = False,
    accept_row_drops: AcceptRowDrops = False,
    no_wait: NoWait = False,
    profiles: Profiles = True,
) -> int:
    """Land sources and rebuild what depends on them, checks and release included.

    Without --source: every configured vintage of every source, then everything else, then a release (what `make run`
    does). With --source S: S (every vintage, or --vintage V) and only what depends on it, in one run."""
    if source is not None and source not in SOURCES:
        raise CliError(f"unknown source {source!r}; one of: {', '.join(SOURCES)}", code=2)
    with mode_overridden("live" if live else None):
        settings = load_settings()
        return run_refresh(
            settings,
            source=source,
            vintage=vintage,
            live=live,
            accept_row_drops=accept_row_drops,
            no_wait=no_wait,
            profiles=profiles,
        )


# `release`: the same command under its older name (what earlier docs and scripts call).
app.command(name="release", help="Alias of `sdoh refresh` (its older name), with the same options.")(refresh)


@app.command()
@command
def status() -> int:
    """What is materialized (time, run, rows, partitions), what is stale, and the latest release."""
    from pipelines import status_cli

    return status_cli.run()


@app.command()
@command
def query(
    sql: Annotated[str, typer.Argument(help='the SQL, e.g. "select * from releases"')],
    output: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    release: Annotated[
        str | None,
        typer.Option("--release", help="query this release's files (id or `latest`) instead of the published file"),
    ] = None,
    max_rows: Annotated[int, typer.Option("--max-rows", help="rows shown in a table (csv and json print all)")] = 100,
) -> int:
    """Run SQL on the published DuckDB file (read-only) and print a table, CSV or JSON."""
    from pipelines import query_cli

    return query_cli.run(sql, output, release, max_rows)


@app.command()
@command
def export(
    ach: Annotated[str, typer.Option("--ach", help="the ACH region's id (config/ach_regions.yaml), e.g. wa-olympic")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="folder to write (default: data/exports/<ach>_<release_id>)"),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="csv, parquet or both")] = "csv",
    release: Annotated[
        str | None, typer.Option("--release", help="export this release (id) instead of the latest")
    ] = None,
) -> int:
    """One ACH region's tables (its geographies, values, disparities) and GeoJSON from a release into a folder."""
    from pipelines import export_cli

    return export_cli.run(ach, out, output, release)


@app.command()
@command
def report(
    ach: Annotated[
        str | None, typer.Option("--ach", help="one ACH region's id (config/ach_regions.yaml), e.g. wa-olympic")
    ] = None,
    all_regions: Annotated[bool, typer.Option("--all", help="every ACH region of the release")] = False,
    release: Annotated[
        str | None, typer.Option("--release", help="render this release (id or folder) instead of the latest")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="folder to write (default: data/published/profiles/<release_id>)"),
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="print a PDF of each page with headless Chromium")] = True,
) -> int:
    """Equity profiles: a self-contained HTML page (and a PDF) per ACH region, from a published release."""
    from pipelines import report_cli

    return report_cli.run(ach, all_regions, release, out, pdf)


@app.command()
@command
def compare(
    first: Annotated[str, typer.Argument(help="a release id or folder")],
    second: Annotated[str, typer.Argument(help="a release id or folder")],
) -> int:
    """Say whether two releases (ids or folders) publish the same tables, by content."""
    from assets.publish.release_writer import CONTENT_DIGITS, table_content_hashes

    settings = load_settings()
    folders = []
    for given in (first, second):
        path = Path(given)
        if not path.is_dir():
            path = settings.published_dir / "releases" / given
        if not (path / "manifest.json").is_file():
            raise CliError(
                f"{given} is neither a release folder nor a release id under data/published/releases", code=2
            )
        folders.append(path)
    a, b = (table_content_hashes(f) for f in folders)
    differing = []
    table = simple_table("table", "same?", "content sha256 (first)", "content sha256 (second)")
    for name in sorted(set(a) | set(b)):
        same = a.get(name) == b.get(name)
        differing += [] if same else [name]
        table.add_row(name, "same" if same else "DIFFERS", a.get(name, "-")[:16], b.get(name, "-")[:16])
    out = console()
    out.print(table)
    out.print(f"(rows compared without release_id, in any order, numbers to {CONTENT_DIGITS} significant digits)")
    if differing:
        print(f"the releases differ in: {', '.join(differing)}", file=sys.stderr)
        return 1
    out.print("the releases publish the same tables")
    return 0


@app.command()
@command
def docs() -> int:
    """Regenerate docs/data_dictionary.md from the SQL models' headers."""
    load_settings()
    from pipelines.data_dictionary import render

    target = PROJECT_ROOT / "docs" / "data_dictionary.md"
    target.write_text(render())
    print(f"wrote {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default: the process's arguments); return the exit code (also for ``--help``)."""
    try:
        typer.main.get_command(app).main(args=argv, prog_name="sdoh", standalone_mode=True)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
