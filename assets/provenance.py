"""The metadata every source-reading asset records about the files it read, so the publish step can list them.

Each asset in ``assets/source_registry.py`` returns ``source_files`` (path as people see it, sha256) and
``source_origin`` in its materialization metadata; the release manifest is assembled from the latest
materialization of each (asked of the Dagster instance), never from a hand-kept list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dagster as dg

from sources.core.landing import LandedFile

SOURCE_FILES_KEY = "source_files"


def source_files_metadata(files: Iterable[LandedFile], origin: str) -> dict[str, Any]:
    rows = sorted({(f.shown, f.sha256) for f in files})
    return {
        SOURCE_FILES_KEY: dg.MetadataValue.json([{"path": p, "sha256": h} for p, h in rows]),
        "source_origin": origin,
    }
