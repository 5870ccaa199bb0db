"""``python -m pipelines.cli releases ...``: list, show, diff, verify, pin, unpin and prune releases.

Read-only commands (list, show, diff, verify) read the release folders and never take the writer lock. Commands
that change the published folder (pin, unpin, prune) take it, so they never interleave with a run that publishes,
and end by rebuilding the published DuckDB file.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

import duckdb

from assets.publish.release_store import (
    LEDGER_FILE,
    append_ledger,
    clean_leftovers,
    load_policy,
    prune,
    read_ledger,
    read_pins,
    rebuild_published_db,
    releases_to_prune,
    set_pin,
)
from assets.publish.release_writer import (
    PUBLISHED_DB,
    PUBLISHED_TABLES,
    Release,
    content_hashes,
    list_releases,
    verify_release,
)
from assets.settings import SQL_DIR, Settings, settings_from_env
from assets.writer_lock import WriterBusy, hold_writer_lock


def _find(settings: Settings, given: str) -> Release:
    releases = list_releases(settings.published_dir)
    if given == "latest" and releases:
        return releases[-1]
    path = Path(given)
    for release in releases:
        if release.release_id == given or (path.is_dir() and release.path.resolve() == path.resolve()):
            return release
    if path.is_dir() and (path / "manifest.json").is_file():  # a release folder elsewhere (e.g. another checkout)
        import json

        manifest = json.loads((path / "manifest.json").read_text())
        return Release(manifest["release_id"], path, manifest)
    known = ", ".join(r.release_id for r in releases[-5:]) or "none"
    raise SystemExit(f"error: no release {given!r} under {settings.published_dir / 'releases'} (newest: {known})")


def _list(args: argparse.Namespace, settings: Settings) -> int:
    releases = list_releases(settings.published_dir)
    pins = read_pins(settings.published_dir)
    if not releases:
        print(f"no releases under {settings.published_dir / 'releases'} yet; `make run` publishes the first")
    else:
        print(f"{'release_id':34} {'created (UTC)':20} {'values':>9} {'state':16} code")
        for r in releases:
            state = ",".join(s for s, on in (("latest", r is releases[-1]), ("pinned", r.release_id in pins)) if on)
            created = datetime.fromisoformat(r.manifest["created_at"]).strftime("%Y-%m-%d %H:%M:%S")
            rows = r.manifest["tables"]["indicator_values"]["rows"]
            print(f"{r.release_id:34} {created:20} {rows:>9,} {state:16} {r.manifest['code_version']}")
    attempts = [e for e in read_ledger(settings.published_dir) if e.get("status") != "published"][-args.attempts :]
    if attempts:
        print(f"\nrecent attempts that published nothing new ({settings.published_dir / LEDGER_FILE}):")
        for e in attempts:
            reason = (e.get("reasons") or [""])[0].splitlines()[0][:150]
            print(f"  {e['at']}  {e['status']:12} {e.get('release_id') or '':34} {reason}")
    return 0


def _show(args: argparse.Namespace, settings: Settings) -> int:
    r = _find(settings, args.release)
    m = r.manifest
    pins = read_pins(settings.published_dir)
    print(f"release {r.release_id}  ({'pinned' if r.release_id in pins else 'not pinned'})")
    print(f"  folder:        {r.path}")
    print(f"  created:       {m['created_at']} by code {m['code_version']} in {m.get('mode')} mode")
    for name, t in m["tables"].items():
        print(
            f"  {name:18} {t['rows']:>9,} rows  sha256 {t['sha256'][:16]}  content {t.get('content_sha256', '?')[:16]}"
        )
    for name, e in m.get("exports", {}).items():
        print(f"  {name:18} {e.get('features', 0):>9,} features ({e.get('format')})")
    print(f"  vintages:      {', '.join(f'{k}={v}' for k, v in (m.get('vintages') or {}).items() if v)}")
    print(f"  source files:  {len(m.get('source_files', []))} (sha256 of each in manifest.json)")
    passed, warned = m.get("checks_passed", []), m.get("checks_warned", [])
    print(
        f"  checks:        {len(passed)} passed, {len(warned)} warned" + (f" ({', '.join(warned)})" if warned else "")
    )
    materialized = m.get("materializations") or []
    if materialized:
        runs = sorted({x["run_id"] for x in materialized})
        print(f"  built from:    {len(materialized)} upstream materializations in run(s) {', '.join(runs)}")
    audit = m.get("audit") or {}
    print(f"  audit:         {audit.get('summary', 'not recorded (release written before audits)')}")
    problems = verify_release(r)
    print(f"  files:         {'intact (sha256 match the manifest)' if not problems else '; '.join(problems)}")
    return 0 if not problems else 1


def _diff(args: argparse.Namespace, settings: Settings) -> int:
    old, new = _find(settings, args.old), _find(settings, args.new)
    policy = load_policy(settings.config_dir)
    print(f"diff {old.release_id} -> {new.release_id}")
    old_hashes, new_hashes = content_hashes(old), content_hashes(new)
    for name in PUBLISHED_TABLES:
        a, b = old.manifest["tables"].get(name), new.manifest["tables"].get(name)
        same = old_hashes.get(name) == new_hashes.get(name)
        rows = f"{a['rows'] if a else '-':>9} -> {b['rows'] if b else '-':<9}"
        print(f"  {name:18} rows {rows} {'same content' if same else 'CHANGED'}")
    con = duckdb.connect()
    try:
        for side, release in (("old", old), ("new", new)):
            path = release.path / release.manifest["tables"]["indicator_values"]["file"]
            con.execute(f"create view {side}_indicator_values as select * from read_parquet('{path}')")
        con.execute(f"set variable abs_tolerance = {policy.absolute_tolerance!r}")
        con.execute(f"set variable rel_tolerance = {policy.relative_tolerance!r}")
        cursor = con.execute((SQL_DIR / "releases" / "diff_indicator_values.sql").read_text())
        rows = cursor.fetchall()
    finally:
        con.close()
    if not rows:
        print(
            "indicator values: no row added, removed or changed beyond the tolerance "
            f"({policy.absolute_tolerance:g} absolute, {policy.relative_tolerance:g} relative)"
        )
        return 0
    print(
        f"\nindicator values that differ (tolerance {policy.absolute_tolerance:g} absolute, "
        f"{policy.relative_tolerance:g} relative; config/releases.yaml):"
    )
    print(
        f"  {'indicator_id':40} {'geo_type':13} {'added':>7} {'removed':>7} {'changed':>7} {'same':>7}  largest change"
    )
    for indicator, geo_type, added, removed, changed, same, _, largest in rows:
        print(f"  {indicator:40} {geo_type:13} {added:>7,} {removed:>7,} {changed:>7,} {same:>7,}  {largest or ''}")
    return 0


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    releases = [_find(settings, args.release)] if args.release else list_releases(settings.published_dir)
    bad = 0
    for r in releases:
        problems = verify_release(r)
        bad += bool(problems)
        print(f"{r.release_id}: {'ok' if not problems else 'CHANGED: ' + '; '.join(problems)}")
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
        print(
            f"{PUBLISHED_DB}: {'serves the latest release ' + latest[0] if ok else 'does NOT serve the latest release'}"
        )
    if bad:
        print(f"{bad} problem(s): a release's files no longer match its manifest", file=sys.stderr)
        return 1
    return 0


def _changing(settings: Settings, action) -> int:
    """Run `action` under the writer lock, then rebuild the published file."""
    try:
        with hold_writer_lock(settings.data_dir, wait_seconds=0):
            for item in clean_leftovers(settings.published_dir):
                print(f"removed what an interrupted run left behind: {item}")
            action()
            if list_releases(settings.published_dir):
                rebuild_published_db(settings.published_dir)
                print(f"rebuilt {settings.published_dir / PUBLISHED_DB}")
    except WriterBusy as busy:
        print(f"error: {busy}", file=sys.stderr)
        return 75
    return 0


def _pin(args: argparse.Namespace, settings: Settings) -> int:
    release = _find(settings, args.release)

    def action() -> None:
        set_pin(settings.published_dir, release.release_id, args.command == "pin", note=getattr(args, "note", None))
        append_ledger(settings.published_dir, args.command, release_id=release.release_id)
        print(f"{args.command}ned {release.release_id}" if args.command == "pin" else f"unpinned {release.release_id}")

    return _changing(settings, action)


def _prune(args: argparse.Namespace, settings: Settings) -> int:
    keep = args.keep or load_policy(settings.config_dir).keep_last
    if args.dry_run:
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


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("releases", help="list, show, diff, verify, pin, unpin or prune releases")
    sub = parser.add_subparsers(dest="releases_command", required=True)
    p = sub.add_parser("list", help="every release, newest last, and recent attempts that published nothing")
    p.add_argument("--attempts", type=int, default=5, help="how many recent refused/unchanged attempts to show")
    p.set_defaults(releases_func=_list)
    p = sub.add_parser("show", help="one release's manifest in brief (id, `latest` or a folder)")
    p.add_argument("release")
    p.set_defaults(releases_func=_show)
    p = sub.add_parser("diff", help="what changed between two releases, per indicator and geography type")
    p.add_argument("old")
    p.add_argument("new")
    p.set_defaults(releases_func=_diff)
    p = sub.add_parser("verify", help="recompute every file's sha256 against the manifest (one release or all)")
    p.add_argument("release", nargs="?")
    p.set_defaults(releases_func=_verify)
    p = sub.add_parser("pin", help="keep a release forever and serve it in the published DuckDB beside the latest")
    p.add_argument("release")
    p.add_argument("--note", help="why it is pinned (e.g. 'board report 2026-Q4')")
    p.set_defaults(releases_func=_pin)
    p = sub.add_parser("unpin", help="let the retention policy delete a release again")
    p.add_argument("release")
    p.set_defaults(releases_func=_pin)
    p = sub.add_parser("prune", help="delete releases beyond config/releases.yaml's keep_last (never latest or pinned)")
    p.add_argument("--keep", type=int, help="keep this many newest releases instead of the configured number")
    p.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    p.set_defaults(releases_func=_prune)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    args.command = args.releases_command
    return args.releases_func(args, settings)
