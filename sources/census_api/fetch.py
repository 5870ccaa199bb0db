"""Census Data API calls through the ``census`` package (datamade/census), in both modes, landing first.

The package knows the API's endpoints per dataset and year (``acs5``, ``acs5st`` for subject tables, ``pl``, ``sf1``),
sends the key, and raises on the API's error answers. It is handed the session of
:meth:`sources.core.files.SourceFiles.session`: in live mode a :class:`~sources.core.http.LandingSession`, whose
transport retries with backoff and jitter and lands every answer (error pages included) before the package sees it;
in snapshot mode a session that answers with the snapshot file of the table. So one code path serves both modes,
and the strict parser (:mod:`sources.census_api.parse`) reads the landed bytes, never the package's parsed values.

What is not the package's:
- **Chunking.** ``census``'s ``get`` splits more than 49 fields into calls and adds ``GEO_ID`` to join them; the
  snapshot's wide tables were recorded joined and without ``GEO_ID`` (see the snapshot's PROVENANCE.md), so
  :func:`~sources.census_api.spec.plan_calls` makes calls of at most 49 fields and each is sent as one ``get``.
- **Variable types.** The package looks up each variable's type with one extra call to ``variables/<name>.json``
  (cached per client); its parsed values are not used here, so that lookup is switched off and every value stays the
  string the API sent.
- **Retries.** The package retries one error text three times without delay; the session's bounded retries with
  backoff and jitter replace it (``retries=1``).
"""

from __future__ import annotations

import re

import census

from sources.census_api.parse import FetchedResponse
from sources.census_api.spec import MAX_FIELDS_PER_CALL, CensusRequest
from sources.core.errors import FetchError
from sources.core.files import SourceFiles
from sources.core.http import RETRY_STATUSES, LandingSession
from sources.core.landing import LandedFile
from sources.core.redaction import redact

API_KEY = "CENSUS_API_KEY"
KEY_SIGNUP = "https://api.census.gov/data/key_signup.html"
PACKAGE_BASE_URL = "https://api.census.gov/data"  # the package's endpoints; a configured base URL rewrites it
SNAPSHOT_KEY = "snapshot-mode-sends-no-request"  # the package insists on a key; snapshot mode sends nothing


class CensusApiError(FetchError):
    """A request could not be answered: bad key, unknown variable, exhausted retries, unreadable body."""


class CensusFetcher:
    """Answers :class:`CensusRequest` objects with the bytes of the API's answer, in the run's mode."""

    def __init__(self, files: SourceFiles) -> None:
        self.files = files
        self.session = files.session(secret_params={"key": API_KEY})
        if isinstance(self.session, LandingSession) and not self.session.secrets.get("key"):
            raise CensusApiError(f"live mode needs a Census API key: set {API_KEY} ({KEY_SIGNUP})")
        key = files.credential(API_KEY) or SNAPSHOT_KEY
        client = census.Census(key, session=self.session)
        self.clients = {
            "acs/acs5": client.acs5,
            "acs/acs5/subject": client.acs5st,
            "dec/pl": client.pl,
            "dec/sf1": client.sf1,
        }
        for c in self.clients.values():
            c.retries = 1
            c._field_type = _as_string  # shadows the package's per-variable type lookup (see the module docstring)

    def fetch(self, request: CensusRequest) -> FetchedResponse:
        """One call: the package sends it through the session; the landed (or snapshot) answer is returned."""
        client = self.clients.get(request.dataset)
        if client is None:
            raise CensusApiError(f"{request.describe()}: the census package has no client for {request.dataset!r}")
        before = len(self.session.answers)
        try:
            with self.session.landing_as(request.landing_relpath, f"census_api/{request.snapshot_relpath}"):
                _send(client, ["NAME", *request.variables], request.geo(), int(request.vintage))
        except FetchError as exc:  # transport failures after the session's retries, or a missing snapshot file
            raise CensusApiError(
                f"{request.describe()}: request failed after retries: {exc}", transient=exc.transient
            ) from None
        except Exception:  # the package's CensusException / APIKeyError / JSON errors: read the landed answer
            answers = self.session.answers[before:]
            if not answers:
                raise
            raise CensusApiError(
                _error_message(request, answers[-1], len(answers)), transient=answers[-1].status in RETRY_STATUSES
            ) from None
        answers = self.session.answers[before:]
        landed = answers[-1]
        body = landed.path.read_bytes()
        if landed.status != 200 or not body.lstrip().startswith(b"["):  # an error page is not data
            raise CensusApiError(
                _error_message(request, landed, len(answers)), transient=landed.status in RETRY_STATUSES
            )
        return FetchedResponse(request, body, landed.path, landed.sha256, landed.url, landed.shown)


def _send(client: census.core.Client, fields: list[str], geo: dict[str, str], year: int) -> None:
    """One call through the package: its endpoint for the dataset and year, the key, its error answers.

    ``Client.get`` is ``_switch_endpoints`` + ``query`` per chunk of 49 fields + a merge of each row's dicts. Calls
    here have at most 49 fields (:func:`~sources.census_api.spec.plan_calls`), so there is nothing to chunk, and the
    merge only copies an answer this module never reads (it reads the landed bytes): on the snapshot that copy was
    about 40% of landing time. So the call is the package's own two steps, without the merge."""
    if len(fields) > MAX_FIELDS_PER_CALL:
        raise ValueError(f"{len(fields)} fields in one call; the API takes at most {MAX_FIELDS_PER_CALL}")
    client._switch_endpoints(year)
    client.query(fields, geo, year=year)


def _as_string(field: str, year: int) -> type[str]:
    return str


def _error_message(request: CensusRequest, landed: LandedFile, attempts: int = 1) -> str:
    text = redact(landed.path.read_bytes().decode("utf-8", errors="replace").strip())
    snippet = re.sub(r"<[^>]+>", " ", text)
    snippet = re.sub(r"\s+", " ", snippet)[:300]
    status = landed.status
    if "invalid key" in text.lower() or "key_signup" in text.lower():
        return f"{request.describe()}: the Census API rejected the key (HTTP {status}): {snippet}. Check {API_KEY}."
    unknown = re.search(r"unknown variable '([^']+)'", text)
    if unknown:
        return (
            f"{request.describe()}: the Census API does not know variable {unknown.group(1)!r} (HTTP {status}); "
            f"landed at {landed.path}"
        )
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return (
        f"{request.describe()}: the Census API answered HTTP {status}{tries} with: {snippet} (landed at {landed.path})"
    )
