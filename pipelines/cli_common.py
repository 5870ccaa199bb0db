"""What every ``sdoh`` command shares: the settings (with the project's ``.env``), one-line errors, the console.

Cheap to import (no Dagster, DuckDB, geopandas or Great Expectations): ``sdoh --help`` imports this module and typer.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from assets.settings import Settings, SettingsError, settings_from_env
from pipelines.settings_check import load_project_env

if TYPE_CHECKING:
    from rich.console import Console

    from assets.publish.release_writer import Release

WIDTH_WHEN_PIPED = 250  # tables written to a file or a pipe are not wrapped at 80 columns


class CliError(Exception):
    """Stops a command with ``error: <message>`` on stderr (one line) and exit code ``code``."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def load_settings() -> Settings:
    """The ``SDOH_*`` settings: the environment first, then the project's ``.env`` for what the environment leaves
    unset; a wrong one is a :class:`CliError` with exit code 2."""
    load_project_env()
    try:
        return settings_from_env()
    except SettingsError as error:
        raise CliError(str(error), code=2) from None


@contextmanager
def mode_overridden(mode: str | None) -> Iterator[None]:
    """``SDOH_MODE=<mode>`` for the duration of one command (``--live``), as if it had been exported."""
    if mode is None:
        yield
        return
    before = os.environ.get("SDOH_MODE")
    os.environ["SDOH_MODE"] = mode
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SDOH_MODE", None)
        else:
            os.environ["SDOH_MODE"] = before


def command(function: Callable[..., int | None]) -> Callable[..., None]:
    """A command body returns its exit code (0 or None for success) or raises :class:`CliError`."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            code = function(*args, **kwargs)
        except CliError as error:
            print(f"error: {error}", file=sys.stderr)
            raise typer.Exit(error.code) from None
        if code:
            raise typer.Exit(code)

    return run


def console(stderr: bool = False) -> Console:
    """A rich console on the current stdout (or stderr); wide and colourless when not a terminal."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    return Console(
        file=stream,
        # piped: never narrower than WIDTH_WHEN_PIPED, whatever COLUMNS says (pytest-xdist workers set it to 80)
        width=None
        if terminal
        else max(WIDTH_WHEN_PIPED, int(c) if (c := os.environ.get("COLUMNS", "")).isdigit() else 0),
        highlight=False,
        soft_wrap=not terminal,
    )


def simple_table(*columns: str, right: tuple[str, ...] = (), title: str | None = None):
    """A borderless rich table (header underlined), easy to read and to grep; ``right`` columns right-aligned."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE, title=title, title_justify="left", show_edge=True, pad_edge=True)
    for name in columns:
        table.add_column(name, justify="right" if name in right else "left", overflow="fold")
    return table


def find_release(settings: Settings, given: str) -> Release:
    """A release by id, ``latest``, or a release folder (also one outside this working folder)."""
    import json
    from pathlib import Path

    from assets.publish.release_writer import Release, list_releases

    releases = list_releases(settings.published_dir)
    if given == "latest":
        if releases:
            return releases[-1]
        raise CliError(
            f"nothing published yet under {settings.published_dir / 'releases'}; `sdoh refresh` (or `make run`) "
            "publishes the first release"
        )
    path = Path(given)
    for release in releases:
        if release.release_id == given or (path.is_dir() and release.path.resolve() == path.resolve()):
            return release
    if path.is_dir() and (path / "manifest.json").is_file():  # a release folder elsewhere (e.g. another checkout)
        manifest = json.loads((path / "manifest.json").read_text())
        return Release(manifest["release_id"], path, manifest)
    known = ", ".join(r.release_id for r in releases[-5:]) or "none"
    raise CliError(f"no release {given!r} under {settings.published_dir / 'releases'} (newest: {known})")
