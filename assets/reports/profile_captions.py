"""Plain-language wording of published numbers, for partners reading a profile at a community meeting.

Every sentence is built from one published row and says only what that row supports: a difference is claimed only
where the release's ``significant`` flag is true ("N times as likely"); where it is false the sentence says "not
statistically different"; where the release could not test (no MOE) or compare (a missing or suppressed value) it
says so in words. Formatting (rounding, %, $) is the only arithmetic here; no statistic is computed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

RELIABILITY_WORDS = {
    "high": "reliable",
    "medium": "use with some caution",
    "low": "use with great caution (large margin of error)",
    "unknown": "reliability unknown (no margin of error published)",
}
RELIABILITY_MARKS = {"high": "", "medium": "*", "low": "**", "unknown": "?"}


def is_percent(unit: str | None) -> bool:
    """A percentage 0-100 (not a percentile rank, whose unit also starts with "percent")."""
    return (unit or "").lower() == "percent"


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def fmt_value(value: float | None, unit: str | None) -> str:
    """A value in its unit: 12.3%, $54,321, 78.4 years, 12,345 people, 0.62 for a percentile rank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no value"
    unit = (unit or "").lower()
    if is_percent(unit):
        return f"{_number(value, 1)}%"
    if unit == "dollars":
        return f"${_number(value, 0)}"
    if unit == "years":
        return f"{_number(value, 1)} years"
    if unit == "people":
        return _number(value, 0)
    return _number(value, 2)  # percentile ranks (0-1) and anything else


def fmt_moe(moe: float | None, unit: str | None) -> str:
    """The 90% margin of error as '±1.2 points' / '±$3,400' / '±0.4 years'; 'no MOE' when unknown."""
    if moe is None or (isinstance(moe, float) and math.isnan(moe)):
        return "no MOE"
    unit = (unit or "").lower()
    if is_percent(unit):
        return f"±{_number(moe, 1)} points"
    if unit == "dollars":
        return f"±${_number(moe, 0)}"
    if unit == "years":
        return f"±{_number(moe, 1)} years"
    return f"±{_number(moe, 2)}"


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return "no value"
    return _number(ratio, 2) if ratio < 10 else _number(ratio, 1)


def status_text(row: dict[str, Any]) -> str:
    """What a chart or table shows in place of a number: suppressed, no value, or the value's reliability."""
    if row.get("suppressed"):
        return "suppressed (too few people counted to publish)"
    if row.get("estimate") is None:
        return "no value"
    return RELIABILITY_WORDS.get(row.get("reliability") or "unknown", row.get("reliability") or "")


def disparity_caption(
    row: dict[str, Any], region_name: str, unit: str | None, likely: str, people: str, group: str, reference: str
) -> str:
    """One sentence for a group row of the disparities table (reference_type = group).

    ``group`` and ``reference`` are the display names of the group and of its reference group; ``likely`` finishes
    "as likely as ..." (config/profiles.yaml), ``people`` says who is counted.
    """
    est, ref = row.get("estimate"), row.get("reference_estimate")
    values = f"{fmt_value(est, unit)} vs {fmt_value(ref, unit)}"
    if row.get("group_id") == row.get("reference_group"):
        return f"{group} {people} are the reference group for this comparison ({fmt_value(est, unit)})."
    if row.get("rate_ratio") is None:
        note = (row.get("comparison_note") or "a value is missing").removeprefix("no comparison: ")
        return f"{group} {people} of {region_name} cannot be compared with {reference} {people} ({note})."
    significant = row.get("significant")
    if significant is None:
        return (
            f"{group} and {reference} {people} of {region_name}: {values}. Whether they differ could not be "
            "tested (no margin of error published for one of them)."
        )
    if not significant:
        return (
            f"{group} {people} of {region_name} are not statistically different from {reference} {people} ({values})."
        )
    ratio = fmt_ratio(row["rate_ratio"])
    ratio_moe = row.get("rate_ratio_moe")
    moe_text = f"; ratio's 90% MOE ±{fmt_ratio(ratio_moe)}" if ratio_moe is not None else ""
    if is_percent(unit):
        return (
            f"{group} {people} of {region_name} are {ratio} times as likely as {reference} {people} {likely} "
            f"({values}{moe_text})."
        )
    return (
        f"For {group} {people} of {region_name} the value is {ratio} times that of {reference} {people} "
        f"({values}{moe_text}; a statistically significant difference)."
    )


def no_comparison_caption(groups: list[str], reference: str, people: str, note: str) -> str:
    """Several groups that cannot be compared with one reference for the same reason, in one sentence."""
    who = groups[0] if len(groups) == 1 else ", ".join(groups[:-1]) + " and " + groups[-1]
    return f"{who} {people} cannot be compared with {reference} {people}: {note}."


def short_name(name: str) -> str:
    """A region's name without its parenthetical, for sentences: "Greater Health Now (formerly ...)" -> "Greater
    Health Now"."""
    return re.sub(r"\s*\([^)]*\)", "", name).strip() or name


def summary_caption(row: dict[str, Any], label: Callable[[str], str]) -> str:
    """The summary row of a group set in words: how far apart the groups are, and how many were compared.
    ``label`` turns a group id into its display name (excluded_groups names groups by id)."""
    parts = []
    if row.get("max_min_ratio") is not None:
        parts.append(f"the highest group's value is {fmt_ratio(row['max_min_ratio'])} times the lowest group's")
    if row.get("index_of_disparity") is not None:
        parts.append(
            f"on average, a group's value differs from the all-people value by {_number(row['index_of_disparity'], 0)}%"
            " of it (index of disparity)"
        )
    text = "; ".join(parts) if parts else "no summary measure (too few groups with values reliable enough)"
    excluded = ""
    if row.get("excluded_groups"):
        named = re.sub(r"\b[a-z]+(?:_[a-z]+)*\b", lambda m: label(m.group(0)), str(row["excluded_groups"]))
        excluded = f" (left out: {named})"
    groups = row.get("n_groups_in_summary")
    if groups:
        return f"Across {groups} group{'s' if groups != 1 else ''}: {text}{excluded}."
    return f"{text[0].upper()}{text[1:]}{excluded}."
