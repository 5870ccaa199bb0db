"""``sdoh releases ...``: list, show, diff, verify, pin, unpin and prune releases.

Read-only commands (list, show, diff, verify) read the release folders and never take the writer lock. Commands
that change the published folder (pin, unpin, prune) take it, so they never interleave with a run that publishes,
and end by rebuilding the published DuckDB file. DuckDB and the release modules are imported inside the commands,
so ``sdoh --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import typer

from assets.settings import SQL_DIR, Settings
from pipelines.cli_common import CliError, command, console, find_release, load_settings, simple_table

app = typer.Typer(
    help="List, show, diff, verify, pin, unpin or prune releases.", no_args_is_help=True, add_completion=False
)

ReleaseArg = Annotated[str, typer.Argument(help="a release id, `latest`, or a release folder")]


@app.command("list")
@command
def list_releases_command(
    attempts: Annotated[int, typer.Option("--attempts", help="how many recent refused/unchanged attempts to show")] = 5,
) -> int:
    """Every release, newest last (latest, pinned), and recent attempts that published nothing new."""
    from assets.publish.release_store import LEDGER_FILE, read_ledger, read_pins
    from assets.publish.release_writer import list_releases

    settings = load_settings()
    out = console()
    releases = list_releases(settings.published_dir)
    pins = read_pins(settings.published_dir)
    if not releases:
        out.print(f"no releases under {settings.published_dir / 'releases'} yet; `sdoh refresh` publishes the first")
    else:
        table = simple_table("release_id", "created (UTC)", "values", "state", "code", right=("values",))
        for r in releases:
            state = ",".join(s for s, on in (("latest", r is releases[-1]), ("pinned", r.release_id in pins)) if on)
            created = datetime.fromisoformat(r.manifest["created_at"]).strftime("%Y-%m-%d %H:%M:%S")
            rows = r.manifest["tables"]["indicator_values"]["rows"]
            table.add_row(r.release_id, created, f"{rows:,}", state, r.manifest["code_version"])
        out.print(table)
    recent = [e for e in read_ledger(settings.published_dir) if e.get("status") != "published"][-attempts:]
    if recent and attempts > 0:
        table = simple_table(
            "at",
            "status",
            "release_id",
            "reason",
            title=f"recent attempts that published nothing new ({settings.published_dir / LEDGER_FILE})",
        )
        for e in recent:
            reason = (e.get("reasons") or [""])[0].splitlines()[0][:150] if e.get("reasons") else ""
            table.add_row(e["at"], e["status"], e.get("release_id") or "", reason)
        out.print(table)
    return 0


@app.command("show")
@command
def show(release: ReleaseArg) -> int:
    """One release's manifest in brief, its files checked against it."""
    from assets.publish.release_store import read_pins
    from assets.publish.release_writer import verify_release

    settings = load_settings()
    out = console()
    r = find_release(settings, release)
    m = r.manifest
    pins = read_pins(settings.published_dir)
    out.print(f"release {r.release_id}  ({'pinned' if r.release_id in pins else 'not pinned'})")
    out.print(f"  folder:        {r.path}")
    out.print(f"  created:       {m['created_at']} by code {m['code_version']} in {m.get('mode')} mode")
    table = simple_table("table or file", "rows / features", "sha256", "content sha256", right=("rows / features",))
    for name, t in m["tables"].items():
        table.add_row(name, f"{t['rows']:,}", t["sha256"][:16], t.get("content_sha256", "?")[:16])
    for name, e in m.get("exports", {}).items():
        table.add_row(name, f"{e.get('features', 0):,}", e.get("sha256", "?")[:16], f"({e.get('format')})")
    out.print(table)
    vintages = (m.get("vintages") or {}).items()
    out.print(f"  vintages:      {'; '.join(f'{k} {_listed(v)}' for k, v in vintages if v)}")
    out.print(f"  source files:  {len(m.get('source_files', []))} (sha256 of each in manifest.json)")
    passed, warned = m.get("checks_passed", []), m.get("checks_warned", [])
    out.print(
        f"  checks:        {len(passed)} passed, {len(warned)} warned" + (f" ({', '.join(warned)})" if warned else "")
    )
    materialized = m.get("materializations") or []
    if materialized:
        runs = sorted({x["run_id"] for x in materialized})
        out.print(f"  built from:    {len(materialized)} upstream materializations in run(s) {', '.join(runs)}")
    audit = m.get("audit") or {}
    out.print(f"  audit:         {audit.get('summary', 'not recorded (release written before audits)')}")
    problems = verify_release(r)
    out.print(f"  files:         {'intact (sha256 match the manifest)' if not problems else '; '.join(problems)}")
    return 0 if not problems else 1


def _listed(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


@app.command("diff")
@command
def diff(
    old: Annotated[str, typer.Argument(help="the older release (id, `latest` or folder)")],
    new: Annotated[str, typer.Argument(help="the newer release (id, `latest` or folder)")],
) -> int:
    """What changed between two releases: rows added / removed / changed per indicator and geography type."""
    import duckdb

    from assets.publish.release_store import load_policy
    from assets.publish.release_writer import PUBLISHED_TABLES, content_hashes

    settings = load_settings()
    out = console()
    old_release, new_release = find_release(settings, old), find_release(settings, new)
    policy = load_policy(settings.config_dir)
    out.print(f"diff {old_release.release_id} -> {new_release.release_id}")
    old_hashes, new_hashes = content_hashes(old_release), content_hashes(new_release)
    tables = simple_table("table", "rows before", "rows after", "content", right=("rows before", "rows after"))
    for name in PUBLISHED_TABLES:
        a, b = old_release.manifest["tables"].get(name), new_release.manifest["tables"].get(name)
        same = old_hashes.get(name) == new_hashes.get(name)
        tables.add_row(
            name, f"{a['rows']:,}" if a else "-", f"{b['rows']:,}" if b else "-", "same" if same else "CHANGED"
        )
    out.print(tables)
    con = duckdb.connect()
    try:
        for side, release in (("old", old_release), ("new", new_release)):
            path = release.path / release.manifest["tables"]["indicator_values"]["file"]
            con.execute(f"create view {side}_indicator_values as select * from read_parquet('{path}')")
        con.execute(f"set variable abs_tolerance = {policy.absolute_tolerance!r}")
        con.execute(f"set variable rel_tolerance = {policy.relative_tolerance!r}")
        rows = con.execute((SQL_DIR / "releases" / "diff_indicator_values.sql").read_text()).fetchall()
    finally:
        con.close()
    tolerance = f"{policy.absolute_tolerance:g} absolute, {policy.relative_tolerance:g} relative"
    if not rows:
        out.print(f"indicator values: no row added, removed or changed beyond the tolerance ({tolerance})")
        return 0
    table = simple_table(
        "indicator_id",
        "geo_type",
        "added",
        "removed",
        "changed",
        "same",
        "largest change",
        right=("added", "removed", "changed", "same"),
        title=f"indicator values that differ (tolerance {tolerance}; config/releases.yaml)",
    )
    for indicator, geo_type, added, removed, changed, same, _, largest in rows:
        table.add_row(indicator, geo_type, f"{added:,}", f"{removed:,}", f"{changed:,}", f"{same:,}", largest or "")
    out.print(table)
    return 0


@app.command("verify")
@command
def verify(
    release: Annotated[
        str | None, typer.Argument(help="one release (id, `latest` or folder); all when left out")
    ] = None,
) -> int:
    """Recompute every file's sha256 against the manifests; check the published file serves the latest release."""
    import duckdb

    from assets.publish.release_writer import PUBLISHED_DB, list_releases, verify_release

    settings = load_settings()
    out = console()
    releases = [find_release(settings, release)] if release else list_releases(settings.published_dir)
    bad = 0
    for r in releases:
        problems = verify_release(r)
        bad += bool(problems)
        out.print(f"{r.release_id}: {'ok' if not problems else 'CHANGED: ' + '; '.join(problems)}")
    db = settings.published_dir / PUBLISHED_DB
    if db.is_file():
        con = duckdb.connect(str(db), read_only=True)
        try:
            latest = con.execute("select release_id from releases where is_latest").fetchone()
        finally:
            con.close()
        expected = list_releases(settings.published_dir)
        ok = bool(expected) and latest is not None and latest[0] == expected[-1].release_id
        bad += not ok
        out.print(
            f"{PUBLISHED_DB}: {'serves the latest release ' + latest[0] if ok else 'does NOT serve the latest release'}"
        )
    if bad:
        print(f"{bad} problem(s): a release's files no longer match its manifest", file=sys.stderr)
        return 1
    return 0


def _changing(settings: Settings, action: Callable[[], None]) -> int:
    """Run `action` under the writer lock, then rebuild the published file."""
    from assets.publish.release_store import clean_leftovers, rebuild_published_db
    from assets.publish.release_writer import PUBLISHED_DB, list_releases
    from assets.writer_lock import WriterBusy, hold_writer_lock

    try:
        with hold_writer_lock(settings.data_dir, wait_seconds=0):
            for item in clean_leftovers(settings.published_dir):
                print(f"removed what an interrupted run left behind: {item}")
            action()
            if list_releases(settings.published_dir):
                rebuild_published_db(settings.published_dir)
                print(f"rebuilt {settings.published_dir / PUBLISHED_DB}")
    except WriterBusy as busy:
        raise CliError(str(busy), code=75) from None
    return 0


def _set_pin(given: str, pinned: bool, note: str | None) -> int:
    from assets.publish.release_store import append_ledger, set_pin

    settings = load_settings()
    release = find_release(settings, given)
    status = "pin" if pinned else "unpin"

    def action() -> None:
        set_pin(settings.published_dir, release.release_id, pinned, note=note)
        append_ledger(settings.published_dir, status, release_id=release.release_id)
        print(f"{status}ned {release.release_id}")

    return _changing(settings, action)


@app.command("pin")
@command
def pin(
    release: ReleaseArg,
    note: Annotated[str | None, typer.Option("--note", help="why it is pinned (e.g. 'board report 2026-Q4')")] = None,
) -> int:
    """Keep a release forever and serve it in the published DuckDB beside the latest."""
    return _set_pin(release, True, note)


@app.command("unpin")
@command
def unpin(release: ReleaseArg) -> int:
    """Let the retention policy delete a release again."""
    return _set_pin(release, False, None)


@app.command("prune")
@command
def prune_command(
    keep: Annotated[
        int | None, typer.Option("--keep", help="keep this many newest releases instead of the configured number")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would be deleted, delete nothing")] = False,
) -> int:
    """Delete releases beyond config/releases.yaml's keep_last (never the latest or a pinned one)."""
    from assets.publish.release_store import append_ledger, load_policy, prune, releases_to_prune

    settings = load_settings()
    keep = keep or load_policy(settings.config_dir).keep_last
    if dry_run:
        doomed = releases_to_prune(settings.published_dir, keep)
        print(f"would delete {len(doomed)} release(s) (keep the newest {keep}, the latest and pinned ones):")
        for r in doomed:
            print(f"  {r.release_id}")
        return 0

    def action() -> None:
        removed = prune(settings.published_dir, keep)
        append_ledger(settings.published_dir, "pruned", pruned=[r.release_id for r in removed], keep_last=keep)
        print(f"deleted {len(removed)} release(s) (kept the newest {keep}, the latest and pinned ones)")
        for r in removed:
            print(f"  {r.release_id}")

    return _changing(settings, action)
