"""Reading members of a landed zip: extract one file (landed too), or name a member for GDAL to open in place."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from sources.core.errors import SourceError
from sources.core.landing import LandedFile, land_bytes

GDAL_SUFFIXES = (".shp", ".geojson", ".json", ".gpkg")


def zip_members(zip_path: Path) -> list[str]:
    """File members in archive order; folders and macOS ``__MACOSX/`` resource forks are skipped."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            return [
                info.filename
                for info in archive.infolist()
                if not info.is_dir() and not info.filename.startswith("__MACOSX/")
            ]
    except zipfile.BadZipFile as exc:
        raise SourceError(f"{zip_path}: not a zip archive ({exc})") from None


def _listed(members: list[str], limit: int = 30) -> str:
    shown = ", ".join(members[:limit]) + (f" and {len(members) - limit} more" if len(members) > limit else "")
    return shown or "nothing"


def extract_member(zipped: LandedFile, name: str, landing_dir: Path, relpath: str) -> LandedFile:
    """Land the one member whose file name is ``name`` (case-insensitive, in any folder) under ``relpath``.

    None or several matches is a :class:`SourceError` listing what the zip holds. The sidecar names the zip (and its
    sha256) and the member, like every landed file.
    """
    members = zip_members(zipped.path)
    matches = [m for m in members if PurePosixPath(m).name.lower() == name.lower()]
    if len(matches) != 1:
        found = "no member" if not matches else f"{len(matches)} members ({', '.join(matches)})"
        raise SourceError(f"{zipped.path}: {found} named {name}; the zip holds: {_listed(members)}")
    with zipfile.ZipFile(zipped.path) as archive:
        body = archive.read(matches[0])
    return land_bytes(
        landing_dir,
        relpath,
        body,
        url=f"{zipped.url}!{matches[0]}",
        extra={"zip": zipped.shown, "zip_sha256": zipped.sha256, "member": matches[0]},
    )


def gdal_path(zip_path: Path, suffixes: Iterable[str] = GDAL_SUFFIXES) -> str:
    """The GDAL path (``zip:///abs/path.zip!member.shp``) of the zip's first member with a data suffix.

    Suffixes are tried in the order given (a shapefile before a GeoJSON by default), members in archive order.
    A shapefile needs its sidecars (.dbf, .shx, .prj), so it is read inside the zip rather than extracted.
    """
    path = Path(zip_path).resolve()
    wanted = tuple(suffixes)
    members = zip_members(path)
    for suffix in wanted:
        for member in members:
            if member.lower().endswith(suffix.lower()):
                return f"zip://{path.as_posix()}!{member}"
    raise SourceError(f"{path}: no member ending in {', '.join(wanted)}; the zip holds: {_listed(members, 20)}")
