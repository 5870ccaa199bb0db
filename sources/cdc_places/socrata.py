"""CDC PLACES live mode: page through a Socrata dataset at data.cdc.gov, landing every page before it is read.

Each GET asks for ``$limit=page_size``, ``$offset`` and ``$order=:id`` (a stable order, so pages neither skip nor
repeat rows), plus ``$where`` if given; paging stops at the first page with fewer rows than the limit. Every body
lands at ``cdc_places/<dataset_id>/page_<offset>.<sha256[:16]>.json`` through the session (retries of 429/5xx,
connection errors and cut-off bodies with backoff and jitter; failed bodies landed as ``.http<status>``). An app token
(``SOCRATA_APP_TOKEN``) travels only in the ``X-App-Token`` header: never in a URL, landed metadata, an error or a log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urlencode

from sources.cdc_places.common import PlacesError
from sources.cdc_places.long import page_records
from sources.cdc_places.parse import SOCRATA_JSON
from sources.core.http import LandingSession
from sources.core.landing import LandedFile

TOKEN_HEADER = "X-App-Token"
APP_TOKEN = "SOCRATA_APP_TOKEN"
_DATASET_ID = re.compile(r"[a-z0-9]{4}-[a-z0-9]{4}")


def fetch_socrata(
    session: LandingSession, base_url: str, dataset_id: str, *, where: str | None = None, page_size: int = 50000
) -> list[LandedFile]:
    """Page through ``{base_url}/resource/{dataset_id}.json`` and land every page; return the landed pages."""
    if not _DATASET_ID.fullmatch(dataset_id):
        raise ValueError(f"dataset_id {dataset_id!r} is not a Socrata id such as 'swc5-untb'")
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, not {page_size}")
    landed: list[LandedFile] = []
    offset = 0
    while True:
        params = {"$limit": str(page_size), "$offset": str(offset), "$order": ":id"}
        if where:
            params["$where"] = where
        url = f"{base_url.rstrip('/')}/resource/{dataset_id}.json?" + urlencode(params, safe="$:", quote_via=quote)
        page = session.fetch(url, f"cdc_places/{dataset_id}/page_{offset:09d}.json")
        count = len(page_records(page.path))
        if count == page_size and landed and page.sha256 == landed[-1].sha256:
            raise PlacesError(
                f"{page.path}: page at $offset={offset} repeats the previous page; the server ignores $offset"
            )
        landed.append(page)
        if count < page_size:
            return landed
        offset += page_size


@dataclass(frozen=True)
class SocrataPages:
    """Live recipe for :class:`sources.core.files.SourceFile`: every page of one dataset, landed."""

    base_url: str
    dataset_id: str
    where: str | None = None
    page_size: int = 50000
    secret_params: Mapping[str, str] = field(default_factory=dict)
    secret_headers: Mapping[str, str] = field(default_factory=lambda: {TOKEN_HEADER: APP_TOKEN})

    def fetch(self, session: LandingSession) -> list[LandedFile]:
        pages = fetch_socrata(session, self.base_url, self.dataset_id, where=self.where, page_size=self.page_size)
        return [replace(p, format=SOCRATA_JSON) for p in pages]
