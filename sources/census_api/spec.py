"""What a Census Data API request is: a table's variables for every geography of a level, at most 49 fields a call.

The API answers a GET such as ``/data/2018/acs/acs5?get=NAME,B19013_001E,B19013_001M&for=county:*`` with a JSON
array of arrays: a header row, then one row per geography, every value a string. The offline snapshot keeps each
table's answer at ``census_api/<vintage>/<dataset>/<geography>/[<state>/[<county>/]]<table>.json`` (one file per
table, joined from the several calls a wide table takes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The census package sends a call's fields as given when there are at most 49 (more, and it splits them and adds
# GEO_ID to sort on); NAME is one of them, so a call carries NAME and at most 48 variables.
MAX_FIELDS_PER_CALL = 49
DATASETS = ("acs/acs5", "acs/acs5/subject", "dec/pl", "dec/sf1")

GEOGRAPHY_COLUMNS: dict[str, tuple[str, ...]] = {
    "state": ("state",),
    "county": ("state", "county"),
    "tract": ("state", "county", "tract"),
}


@dataclass(frozen=True)
class CensusRequest:
    """One API call: a table's variables for every geography of a level, optionally within a state/county."""

    vintage: str
    dataset: str
    geography: str
    table: str
    variables: tuple[str, ...]
    state: str | None = None
    county: str | None = None
    chunk: int = 0

    def __post_init__(self) -> None:
        if self.geography not in GEOGRAPHY_COLUMNS:
            raise ValueError(f"unsupported geography {self.geography!r}; expected one of {list(GEOGRAPHY_COLUMNS)}")
        if self.geography == "tract" and not self.state:
            raise ValueError(f"{self.describe()}: the Census API answers tract requests only within a state")
        if self.county and not self.state:
            raise ValueError(f"{self.describe()}: a county filter needs a state")
        if not self.variables:
            raise ValueError(f"{self.describe()}: no variables requested")
        if len(self.variables) + 1 > MAX_FIELDS_PER_CALL:
            raise ValueError(
                f"{self.describe()}: {len(self.variables)} variables + NAME exceed {MAX_FIELDS_PER_CALL} fields "
                "per call; split it with plan_calls()"
            )

    def describe(self) -> str:
        where = f" in state {self.state}" if self.state else ""
        where += f" county {self.county}" if self.county else ""
        return f"{self.vintage} {self.dataset} {self.table} by {self.geography}{where}"

    @property
    def snapshot_relpath(self) -> str:
        """Where the snapshot keeps this table's response (all chunks of a table share one file)."""
        parts = [self.vintage, self.dataset, self.geography]
        if self.state:
            parts.append(self.state)
        if self.county:
            parts.append(self.county)
        return "/".join([*parts, f"{self.table}.json"])

    @property
    def landing_relpath(self) -> str:
        """Where a live answer lands (the landing rule adds the content hash): one file per call."""
        return f"census_api/{self.snapshot_relpath.removesuffix('.json')}.part{self.chunk}.json"

    def geo(self) -> dict[str, str]:
        """The ``for``/``in`` clauses, as the census package takes them."""
        clauses = {"for": f"{self.geography}:*"}
        if self.geography != "state" and self.state:
            within = [f"state:{self.state}"]
            if self.county and self.geography == "tract":
                within.append(f"county:{self.county}")
            clauses["in"] = " ".join(within)
            if self.geography == "county" and self.county:
                clauses["for"] = f"county:{self.county}"
        return clauses

    def query_params(self) -> dict[str, str]:
        return {"get": ",".join(("NAME", *self.variables)), **self.geo()}


def plan_calls(
    vintage: str,
    dataset: str,
    geography: str,
    table: str,
    variables: Iterable[str],
    state: str | None = None,
    county: str | None = None,
) -> list[CensusRequest]:
    """Split one table's variables into calls of NAME plus at most 48 variables, in a stable order."""
    unique = list(dict.fromkeys(variables))
    size = MAX_FIELDS_PER_CALL - 1
    return [
        CensusRequest(vintage, dataset, geography, table, tuple(unique[i : i + size]), state, county, chunk=n)
        for n, i in enumerate(range(0, len(unique), size))
    ]
