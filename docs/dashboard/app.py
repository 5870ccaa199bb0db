"""SDOH equity dashboard: one page per ACH region of the latest published release (Streamlit).

Run from docs/dashboard/ (`make dashboard` does): ``streamlit run app.py``. Reads the published DuckDB file named by
SDOH_PUBLISHED_DB (default data/published/sdoh_published.duckdb of this checkout) read-only; see README.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import queries
import streamlit as st

st.set_page_config(page_title="SDOH equity by ACH region", layout="wide", initial_sidebar_state="expanded")

RELIABILITY = {
    "high": "high",
    "medium": "medium",
    "low": "low (use with care)",
    "unknown": "unknown",
}


@st.cache_data(show_spinner=False)
def _load(name: str, db: str, mtime: float, *args: str) -> pd.DataFrame | dict:
    """Query results, cached per published file version (its path and modification time)."""
    return getattr(queries, name)(*args, db=Path(db))


def load(name: str, *args: str) -> pd.DataFrame | dict:
    db = queries.published_db()
    return _load(name, str(db), db.stat().st_mtime, *args)


def index_page() -> None:
    release = load("release")
    regions = load("ach_regions")
    st.title("Equity indicators by ACH region")
    st.markdown(
        "Social drivers of health for each Accountable Community of Health (ACH), from the published release "
        f"**{release['release_id']}** of the SDOH equity pipeline. Open a region for its key indicators by race and "
        "ethnicity (estimate, margin of error, reliability) and its counties."
    )
    lines = [
        "| ACH region | Counties | Population (2020 Census) | |",
        "|---|---|--:|---|",
    ]
    for row in regions.itertuples():
        counties = row.counties if isinstance(row.counties, str) else "neighborhoods, no whole county"
        example = "example region" if row.example else ""
        lines.append(
            f"| [{row.name}]({row.ach_id}) | {counties} | {queries.fmt_value(row.population, 'people')} | {example} |"
        )
    st.markdown("\n".join(lines))


def ach_page(ach_id: str) -> None:
    regions = load("ach_regions")
    region = regions[regions["ach_id"] == ach_id].iloc[0]
    release = load("release")
    values = load("ach_key_values", ach_id)
    counties = load("ach_counties", ach_id)

    st.title(region["name"])
    if region["example"]:
        st.warning("Example region, made up to show the mechanics: not a real ACH.")
    st.markdown(
        f"Release **{release['release_id']}** · {queries.fmt_value(region['population'], 'people')} people "
        f"(2020 Census) · {len(counties)} {'county' if len(counties) == 1 else 'counties'}. "
        "Reliability from the coefficient of variation: high under 12%, medium 12-40%, low over 40%."
    )

    totals = values[values["group_id"] == "total"]
    if len(totals):
        st.subheader("Key indicators, all people")
        st.table(
            pd.DataFrame(
                {
                    "Indicator": totals["indicator_label"],
                    "Period": totals["vintage"],
                    "Estimate": [queries.fmt_value(r.estimate, r.unit) for r in totals.itertuples()],
                    "MOE": [queries.fmt_value(r.moe, r.unit, moe=True) for r in totals.itertuples()],
                    "Reliability": [RELIABILITY.get(r, r) for r in totals["reliability"]],
                }
            ).set_index("Indicator")
        )

    for indicator_id, rows in values.groupby("indicator_id", sort=False):
        first = rows.iloc[0]
        level = rows["ci_level"].dropna()
        level_text = f"{level.max():.0%}" if len(level) else "90%"
        st.subheader(first["indicator_label"])
        st.caption(f"{first['vintage']} · {first['unit']} · `{indicator_id}` · margin of error at {level_text}")
        table = pd.DataFrame(
            {
                "Race/ethnicity group": rows["group_label"],
                "Estimate": [queries.fmt_value(v, first["unit"]) for v in rows["estimate"]],
                f"MOE ({level_text})": [queries.fmt_value(v, first["unit"], moe=True) for v in rows["moe"]],
                "Reliability": [RELIABILITY.get(r, r) for r in rows["reliability"]],
                "Note": rows["note"].fillna(""),
            }
        ).set_index("Race/ethnicity group")
        st.table(table if table["Note"].str.len().any() else table.drop(columns="Note"))

    st.subheader("Counties")
    if len(counties):
        st.table(
            pd.DataFrame(
                {
                    "County": counties["county"],
                    "GEOID": counties["geoid"],
                    "Population (2020 Census)": [queries.fmt_value(p, "people") for p in counties["population"]],
                    "Land area (km²)": [queries.fmt_value(a, "people") for a in counties["land_area_km2"]],
                }
            ).set_index("County")
        )
    else:
        st.write("No whole counties: this region is made of neighborhoods.")


def page_for(ach_id: str) -> Callable[[], None]:
    def page() -> None:
        ach_page(ach_id)

    page.__name__ = f"ach_{ach_id.replace('-', '_')}"
    return page


if not queries.published_db().is_file():
    st.error(f"No published file at {queries.published_db()}: run `make run`, or set SDOH_PUBLISHED_DB.")
    st.stop()

PAGES = {
    row.ach_id: st.Page(page_for(row.ach_id), title=row.name, url_path=row.ach_id)
    for row in load("ach_regions").itertuples()
}
home = st.Page(index_page, title="All ACH regions", url_path="index", default=True)
st.navigation({"Overview": [home], "ACH regions": list(PAGES.values())}).run()
