"""Render ACH equity profiles: one self-contained HTML page per region (inline CSS and SVG, no script, no network),
a PDF of each printed by headless Chromium, an index page and ``profiles.csv`` listing what was written.

Where they go: ``<data_dir>/published/profiles/<release_id>/`` (the asset, ``sdoh refresh``), or any folder
(``sdoh report --out``). Not inside the release folder: a release is immutable and its files are checksummed in its
manifest once it is promoted, and a profile is a rendering of a release, not part of it.

Why Jinja2: HTML templates with autoescaping (names from config and the release are escaped; only our own SVG is
inserted raw), kept in ``assets/reports/templates/`` where a partner-facing wording change needs no Python.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assets.reports import profile_captions as words
from assets.reports.profile_charts import Chart, compare_chart, compare_panel, group_chart, interval, trend_chart
from assets.reports.profile_data import ProfileConfig, RegionData, ReleaseReader, load_profile_config
from assets.settings import PROJECT_ROOT

TEMPLATES = Path(__file__).parent / "templates"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless Chromium on these machines: root (no sandbox), no GPU, and no calls home (the network is closed; without
# these flags Chromium retries refused connections at every start). The browser tests start it the same way.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PROFILES_TABLE = "profiles.csv"
PROFILE_COLUMNS = (
    "ach_id",
    "name",
    "release_id",
    "html",
    "pdf",
    "pdf_pages",
    "pdf_bytes",
    "charts",
    "maps",
    "indicators_shown",
    "indicators_without_values",
    "rendered_at",
)
SOURCE_NAMES = {
    "acs": "American Community Survey 5-year (Census Bureau)",
    "cdc_places": "CDC PLACES (BRFSS model years)",
    "cdc_svi": "CDC/ATSDR Social Vulnerability Index (ACS periods)",
    "decennial_census": "Decennial Census",
    "hud_chas": "HUD CHAS",
    "wa_doh": "WA DOH life expectancy",
}
LEVEL_WORDS = {"county": "counties", "tract": "census tracts", "neighborhood": "neighborhoods"}


@dataclass
class Figure:
    """A chart on the page, with the rows behind it shown as a table."""

    id: str
    chart: Chart
    caption: str
    table_head: list[str]
    table_rows: list[list[str]]
    title: str = ""  # a heading above the chart, when the chart itself has none


@dataclass
class MapFigure:
    id: str
    title: str
    svg: str
    caption: str
    table_rows: list[list[str]]
    level: str


@dataclass(frozen=True)
class Caption:
    """A sentence about one disparity row (or several groups that cannot be compared for one reason), with the ids
    it is about, so the page can be checked against the release."""

    text: str
    groups: str  # group ids, space-separated
    reference: str
    significant: bool | None


@dataclass
class GroupSection:
    indicator_id: str
    title: str
    about: str
    vintage: str | None
    findings: list[Caption] = field(default_factory=list)  # captions of significant differences
    captions: list[Caption] = field(default_factory=list)  # one per compared group (or groups sharing a reason)
    summaries: list[str] = field(default_factory=list)
    chart: Figure | None = None
    trend: Figure | None = None
    disparity_head: list[str] = field(default_factory=list)
    disparity_rows: list[list[str]] = field(default_factory=list)
    missing: str | None = None


@dataclass
class RenderedProfile:
    ach_id: str
    name: str
    html: Path
    pdf: Path | None
    pdf_pages: int | None
    pdf_bytes: int | None
    charts: int
    maps: int
    indicators_shown: list[str]
    indicators_without_values: list[str]


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["emphasize"] = _emphasize
    return env


def _emphasize(text: str) -> Any:
    """A caption, escaped, with its "N times as likely" / "not statistically different" in bold."""
    import markupsafe

    escaped = str(markupsafe.escape(text))
    pattern = r"(\d[\d.,]* times as likely|\d[\d.,]* times that of|not statistically different)"
    marked = re.sub(pattern, r'<strong class="ratio">\1</strong>', escaped)
    return markupsafe.Markup(marked.replace('class="ratio">not statistically', 'class="same">not statistically'))


def _latest(rows: Iterable[dict[str, Any]]) -> str | None:
    """The latest period among ``rows`` (by the period's last year, then its label)."""
    found = sorted({(r.get("period_end_year") or 0, r["vintage"]) for r in rows})
    return found[-1][1] if found else None


def _labeler(data: RegionData) -> Callable[[str], str]:
    labels = {v["group_id"]: v["group_label"] for v in data.values}
    labels.update({d["group_id"]: d["group_label"] for d in data.disparities})

    def label(group_id: str) -> str:
        if group_id in data.short_labels:
            return data.short_labels[group_id]
        return labels.get(group_id, group_id)

    return label


def _value_row(r: dict[str, Any], unit: str | None, label: Callable[[str], str]) -> list[str]:
    lo, hi = interval(r)
    note = r.get("suppression_reason") or r.get("estimate_note") or ""
    return [
        label(r["group_id"]),
        r.get("group_label") or "",
        words.fmt_value(r.get("estimate"), unit) if r.get("estimate") is not None else "—",
        words.fmt_moe(r.get("moe"), unit) if r.get("estimate") is not None else "—",
        f"{words.fmt_value(lo, unit)} to {words.fmt_value(hi, unit)}" if lo is not None else "—",
        words.status_text(r),
        note,
    ]


VALUE_HEAD = ["Group", "Census Bureau wording", "Value", "90% MOE", "90% interval", "Reliability", "Note"]


def group_section(data: RegionData, spec: Any, n: int) -> GroupSection:
    """One indicator by race/ethnicity for the region: chart of the latest period with group values, its disparities
    against each group set's reference group in words and as a table, and the change across periods."""
    cat = data.catalog[spec.indicator_id]
    unit, label = cat["unit"], _labeler(data)
    rows = data.region_values(spec.indicator_id)
    about = f"{str(cat['description']).rstrip('.')}. Who is counted: {cat['universe']}. Source: {cat['source']}."
    section = GroupSection(spec.indicator_id, cat["label"], about, None)
    with_groups = [r for r in rows if r["group_id"] != "total"]
    periods = {}
    for r in with_groups:
        if r.get("estimate") is not None:
            periods.setdefault(r["vintage"], []).append(r)
    usable = [r for v, rs in periods.items() if len(rs) >= 2 for r in rs]
    vintage = _latest(usable)
    section.vintage = vintage
    if vintage:
        shown = [r for r in with_groups if r["vintage"] == vintage]
        title = f"{cat['label']}, {vintage}"
        chart = group_chart(shown, unit, title, {g: label(g) for g in {r["group_id"] for r in shown}})
        total = next((r for r in rows if r["vintage"] == vintage and r["group_id"] == "total"), None)
        total_text = (
            f" All people in the region: {words.fmt_value(total['estimate'], unit)} "
            f"({words.fmt_moe(total.get('moe'), unit)})."
            if total and total.get("estimate") is not None
            else ""
        )
        section.chart = Figure(
            f"chart-{n}-groups",
            chart,
            f"{cat['label']} by race and ethnicity, {data.region['name']}, {vintage}. Bars show the published value, "
            f"black lines its 90% margin of error.{total_text}",
            VALUE_HEAD,
            [_value_row(r, unit, label) for r in [*([total] if total else []), *shown]],
        )
        disparities = [
            d for d in data.disparities if d["indicator_id"] == spec.indicator_id and d["vintage"] == vintage
        ]
        region_name = words.short_name(data.region["name"])
        uncompared: dict[tuple[str, str], list[str]] = {}
        for d in disparities:
            if d["row_type"] == "summary":
                sets = "Non-Hispanic race groups and Hispanic" if d["group_set"] == "race_ethnicity" else "Race groups"
                section.summaries.append(f"{sets}: " + words.summary_caption(d, label))
                continue
            if d["group_id"] == d["reference_group"]:
                continue
            note = _named(d.get("comparison_note") or "", label)
            if d.get("rate_ratio") is None:
                reason = note.removeprefix("no comparison: ").split("; ")[-1] or "a value is missing"
                uncompared.setdefault((d["reference_group"], reason), []).append(d["group_id"])
            else:
                caption = words.disparity_caption(
                    d, region_name, unit, spec.likely, spec.people, label(d["group_id"]), label(d["reference_group"])
                )
                entry = Caption(caption, d["group_id"], d["reference_group"], d.get("significant"))
                section.captions.append(entry)
                if d.get("significant") is True:
                    section.findings.append(entry)
            section.disparity_rows.append(
                [
                    label(d["group_id"]),
                    label(d["reference_group"]),
                    words.fmt_value(d.get("estimate"), unit),
                    words.fmt_value(d.get("reference_estimate"), unit),
                    _with_moe(words.fmt_ratio(d.get("rate_ratio")), d.get("rate_ratio_moe"), words.fmt_ratio),
                    _with_moe(
                        words.fmt_value(d.get("rate_difference"), unit).replace("%", " points"),
                        d.get("rate_difference_moe"),
                        lambda m: f"{m:,.1f}",
                    ),
                    _significance(d.get("significant")),
                    note.removeprefix("no comparison: "),
                ]
            )
        for (reference, reason), groups in uncompared.items():
            text = words.no_comparison_caption([label(g) for g in groups], label(reference), spec.people, reason)
            section.captions.append(Caption(text, " ".join(groups), reference, None))
        section.disparity_head = [
            "Group",
            "Compared with",
            "Group's value",
            "Reference value",
            "Rate ratio (90% MOE)",
            "Difference (90% MOE)",
            "Statistically different?",
            "Note",
        ]
    by_period = {r["vintage"] for r in rows if r.get("estimate") is not None}
    if len(by_period) >= 2:
        trend_rows = [r for r in rows if r.get("estimate") is not None]
        counts: dict[str, int] = {}
        for r in trend_rows:
            counts[r["group_id"]] = counts.get(r["group_id"], 0) + 1
        keep = [g for g, c in counts.items() if c >= 2]
        keep = sorted(keep, key=lambda g: next(r["group_order"] for r in trend_rows if r["group_id"] == g))[:8]
        trend_rows = [r for r in trend_rows if r["group_id"] in keep]
        if trend_rows:
            title = f"{cat['label']} across periods"
            chart = trend_chart(trend_rows, unit, title, {g: label(g) for g in keep})
            section.trend = Figure(
                f"chart-{n}-trend",
                chart,
                f"{cat['label']} in {data.region['name']} in each period the release has (groups with values in at "
                "least two periods). Compare periods of equal length; overlapping 5-year periods share years.",
                ["Period", *VALUE_HEAD],
                [[r["vintage"], *_value_row(r, unit, label)] for r in sorted(trend_rows, key=_period_key)],
            )
    if not vintage and not section.trend:
        section.missing = (
            f"The release has no values of {cat['label'].lower()} by race and ethnicity for this region"
            + (" (medians and published percentages are not combined across counties)" if rows else "")
            + "."
        )
    return section


def _named(text: str, label: Callable[[str], str]) -> str:
    """Group ids inside a published note (e.g. "reference white_nh has no value") replaced by their display names."""
    return re.sub(r"\b[a-z]+(?:_[a-z]+)*\b", lambda m: label(m.group(0)), text)


def _period_key(r: dict[str, Any]) -> tuple:
    return (r.get("group_order", 999), r.get("period_end_year") or 0)


def _with_moe(text: str, moe: float | None, fmt: Callable[[float], str]) -> str:
    return text if moe is None or text == "no value" else f"{text} (±{fmt(moe)})"


def _significance(flag: bool | None) -> str:
    return {True: "Yes", False: "No"}.get(flag, "Not tested")


def map_figures(reader: ReleaseReader, data: RegionData, config: ProfileConfig) -> list[MapFigure]:
    """Choropleths of the region's parts for the configured indicators: the first geography level in each map's
    ``levels`` with values for at least two parts, latest period there; at most ``max_maps``."""
    from assets.reports.profile_maps import choropleth_svg

    figures: list[MapFigure] = []
    members = {(m["geo_type"], m["geo_vintage"], m["geoid"]): m for m in data.members}
    for spec in config.maps:
        if len(figures) >= config.max_maps:
            break
        cat = data.catalog[spec.indicator_id]
        rows = [
            v
            for v in data.values
            if v["indicator_id"] == spec.indicator_id and not v["is_region"] and v["group_id"] == "total"
        ]
        for level in spec.levels:
            at_level = [r for r in rows if r["geo_type"] == level]
            vintage = _latest([r for r in at_level if r.get("estimate") is not None])
            if vintage is None:
                continue
            shown = [r for r in at_level if r["vintage"] == vintage]
            if sum(r.get("estimate") is not None for r in shown) < 2:
                continue
            geo_vintages = {r["geo_vintage"] for r in shown}
            frame = reader.map_frame(data.region["geoid"], level)
            if frame is None:
                break
            frame = frame[frame["geo_vintage"].isin(geo_vintages)]
            parts = [k for k in members if k[0] == level and k[1] in geo_vintages]
            frame = frame[frame["geoid"].isin({k[2] for k in parts})]
            if len(frame) < 2:
                continue
            values = {r["geoid"]: r for r in shown}
            svg = choropleth_svg(frame, values, cat["unit"], cat["direction"], tag=f"map-{len(figures) + 1}")
            n_missing = sum(1 for g in frame["geoid"] if (values.get(g) or {}).get("estimate") is None)
            shaky = sum(
                1 for r in shown if r.get("estimate") is not None and r.get("reliability") in ("low", "unknown")
            )
            darker = "lower" if cat["direction"] == "higher_is_better" else "higher"
            caption = (
                f"{cat['label']}, {vintage}, by {LEVEL_WORDS.get(level, level)} (all people). Darker areas have "
                f"{darker} values"
                + (" (worse off)." if cat["direction"] in ("higher_is_better", "lower_is_better") else ".")
                + (f" {n_missing} grey area(s): no value or suppressed." if n_missing else "")
                + (f" {shaky} hatched area(s): low reliability (large margin of error)." if shaky else "")
            )
            table = [
                [
                    r["geo_name"],
                    words.fmt_value(r.get("estimate"), cat["unit"]),
                    words.fmt_moe(r.get("moe"), cat["unit"]) if r.get("estimate") is not None else "—",
                    words.status_text(r),
                ]
                for r in sorted(shown, key=lambda r: (r.get("estimate") is None, -(r.get("estimate") or 0)))
            ]
            figures.append(
                MapFigure(f"map-{len(figures) + 1}", f"{cat['label']}, {vintage}", svg, caption, table, level)
            )
            break
    return figures


def compare_figures(data: RegionData, config: ProfileConfig) -> list[Figure]:
    """The region beside every ACH region of its state, one small chart per configured indicator with a value for
    the region (latest period there), each with the table of the values it shows."""
    figures = []
    for n, indicator in enumerate(config.compare_indicators):
        cat = data.catalog[indicator]
        rows = [r for r in data.state_regions if r["indicator_id"] == indicator]
        mine = [r for r in rows if r["geoid"] == data.region["geoid"] and r.get("estimate") is not None]
        vintage = _latest(mine)
        if vintage is None:
            continue
        shown = [{**r, "geo_name": words.short_name(r["geo_name"])} for r in rows if r["vintage"] == vintage]
        if sum(r.get("estimate") is not None for r in shown) < 2:
            continue
        title = f"{_pretty(cat['label'])}, {vintage}"
        chart = compare_chart([compare_panel(shown, cat["unit"], title, data.region["geoid"])], title)
        figures.append(
            Figure(
                f"chart-compare-{n}",
                chart,
                f"{title}: each ACH region of the state with a value (all people); this region in orange. Lines show "
                "the 90% margin of error.",
                ["Region", "Value", "90% MOE", "Reliability"],
                [
                    [
                        r["geo_name"],
                        words.fmt_value(r.get("estimate"), cat["unit"]),
                        words.fmt_moe(r.get("moe"), cat["unit"]),
                        words.status_text(r),
                    ]
                    for r in sorted(shown, key=lambda r: -(r.get("estimate") or 0))
                ],
                title=title,
            )
        )
    return figures


def _pretty(label: str) -> str:
    """A catalog label for a heading: ">=" as "≥" (CDC's wording keeps the ASCII form)."""
    return label.replace(">=", "≥").replace("<=", "≤")


def svi_table(data: RegionData, config: ProfileConfig) -> tuple[str | None, list[str], list[list[dict[str, Any]]]]:
    """SVI percentile ranks (within the state) of the region's counties, latest SVI period: (period, header, rows of
    cells with text and a background shade). Empty when the release has none for the region."""
    rows = [
        v
        for v in data.values
        if v["indicator_id"] in config.svi_indicators and v["geo_type"] == "county" and v["group_id"] == "total"
    ]
    vintage = _latest([r for r in rows if r.get("estimate") is not None])
    if not vintage:
        return None, [], []
    head = ["County", *[_svi_name(data.catalog[i]["label"]) for i in config.svi_indicators]]
    by_county: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["vintage"] == vintage:
            by_county.setdefault(r["geo_name"], {})[r["indicator_id"]] = r
    table = []
    for county, cells in sorted(by_county.items()):
        line = [{"text": county, "shade": None}]
        for i in config.svi_indicators:
            value = (cells.get(i) or {}).get("estimate")
            line.append({"text": "—" if value is None else f"{value:.2f}", "shade": _shade(value)})
        table.append(line)
    return vintage, head, table


def _svi_name(label: str) -> str:
    text = label.replace("Social Vulnerability Index, ", "").replace(" percentile rank (within state)", "")
    return text[:1].upper() + text[1:]


def _shade(value: float | None) -> str | None:
    """A viridis colour for a rank in 0-1 (darker = more vulnerable), with readable text."""
    if value is None:
        return None
    stops = [
        "#fde725",
        "#b5de2b",
        "#6ece58",
        "#35b779",
        "#1f9e89",
        "#26828e",
        "#31688e",
        "#3e4989",
        "#482878",
        "#440154",
    ]
    return stops[min(9, max(0, int(value * 10)))]


def _vintages(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for key, name in SOURCE_NAMES.items():
        periods = manifest.get("vintages", {}).get(key)
        if periods:
            found.append((name, ", ".join(periods) if isinstance(periods, list) else str(periods)))
    return found


def _tribal_note(manifest: dict[str, Any]) -> str:
    policy = manifest.get("tribal_data_policy") or {}
    approved = policy.get("approved_areas") or []
    text = (
        "Tribal nations govern data about their people. Values for American Indian, Alaska Native and Native "
        "Hawaiian areas are published only where the tribal government has approved it (config/tribal_data_policy.yaml)"
    )
    if approved:
        names = ", ".join(f"{a['name']} (approved by {a['approved_by']})" for a in approved)
        return (
            f"{text}; this release publishes: {names}. This profile shows regions, counties, tracts and neighborhoods."
        )
    return (
        f"{text}; this release publishes none ({policy.get('areas_withheld', 0)} areas withheld), so this profile "
        "shows no tribal-area values. Counts by race include American Indian and Alaska Native people wherever they live."
    )


def _relative_link(out_dir: Path, target: Path) -> str:
    try:
        return Path(os.path.relpath(target, out_dir.resolve())).as_posix()
    except ValueError:  # another drive
        return target.as_uri()


def render_region(
    reader: ReleaseReader, ach_id: str, config: ProfileConfig, out_dir: Path, env: Any
) -> RenderedProfile:
    data = reader.region_data(ach_id, config)
    sections = [group_section(data, spec, n) for n, spec in enumerate(config.group_indicators)]
    maps = map_figures(reader, data, config)
    compare = compare_figures(data, config)
    svi_vintage, svi_head, svi_rows = svi_table(data, config)
    parts = data.parts
    kind = parts[0]["geo_type"] if parts else "county"
    part_names = ", ".join(p["name"] for p in parts)
    headline = []
    for indicator in config.compare_indicators:
        mine = [r for r in data.region_values(indicator) if r["group_id"] == "total" and r.get("estimate") is not None]
        vintage = _latest(mine)
        if vintage:
            r = next(r for r in mine if r["vintage"] == vintage)
            unit = data.catalog[indicator]["unit"]
            headline.append(
                {
                    "value": words.fmt_value(r["estimate"], unit),
                    "moe": words.fmt_moe(r.get("moe"), unit),
                    "label": data.catalog[indicator]["label"],
                    "vintage": vintage,
                    "reliability": words.status_text(r),
                }
            )
    html = env.get_template("profile.html.j2").render(
        region=data.region,
        population=data.region.get("population"),
        parts_label=LEVEL_WORDS.get(kind, kind),
        part_names=part_names,
        release_id=data.release_id,
        created_at=str(data.manifest.get("created_at", ""))[:10],
        vintages=_vintages(data.manifest),
        methods_link=_relative_link(out_dir, PROJECT_ROOT / "docs" / "methods.md"),
        index_link="index.html",
        headline=headline,
        findings=[(s.title, s.vintage, s.findings) for s in sections if s.findings],
        sections=sections,
        missing=[s.title for s in sections if s.missing],
        maps=maps,
        compare=compare,
        state_name={"53": "Washington", "06": "California"}.get(data.region.get("state_fips") or "", "the state"),
        svi_vintage=svi_vintage,
        svi_head=svi_head,
        svi_rows=svi_rows,
        tribal_note=_tribal_note(data.manifest),
        pdf_name=f"{ach_id}.pdf",
    )
    target = out_dir / f"{ach_id}.html"
    target.write_text(html, encoding="utf-8")
    charts = sum(bool(s.chart) + bool(s.trend) for s in sections) + len(compare)  # the state comparison: one chart
    return RenderedProfile(
        ach_id,
        data.region["name"],
        target,
        None,
        None,
        None,
        charts,
        len(maps),
        [s.indicator_id for s in sections if not s.missing],
        [s.indicator_id for s in sections if s.missing],
    )


def print_pdf(html: Path, pdf: Path, timeout: float = 120) -> None:
    """Print ``html`` to ``pdf`` with headless Chromium (its own throwaway profile; no network needed: the page has
    no external resource)."""
    if not Path(CHROMIUM).is_file():
        raise FileNotFoundError(f"chromium is missing at {CHROMIUM} (apt-get install chromium): cannot print PDFs")
    with tempfile.TemporaryDirectory(prefix="sdoh-chromium-") as profile:
        command = [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0 or not pdf.is_file():
        raise RuntimeError(f"chromium could not print {html} (exit {done.returncode}): {done.stderr[-2000:]}")


def pdf_page_count(pdf: Path) -> int:
    """Pages of a PDF Chromium wrote (its page objects are plain ``/Type /Page`` dictionaries)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))


def render_profiles(
    release_dir: Path,
    out_dir: Path,
    config_dir: Path,
    ach_ids: list[str] | None = None,
    pdf: bool = True,
    log: Callable[[str], None] = lambda _: None,
    pdf_only_for: set[str] | None = None,
) -> list[RenderedProfile]:
    """Render the profiles of ``ach_ids`` (default: every region of the release) from the release in
    ``release_dir`` into ``out_dir`` (created; files of the same names replaced), with the index and profiles.csv.
    ``pdf_only_for`` limits the PDFs to those regions (the tests print three, not twelve)."""
    config = load_profile_config(config_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = _environment()
    rendered: list[RenderedProfile] = []
    with ReleaseReader(release_dir) as reader:
        regions = reader.regions()
        wanted = ach_ids or [r["geoid"] for r in regions]
        for ach_id in wanted:
            rendered.append(render_region(reader, ach_id, config, out_dir, env))
            log(f"rendered {ach_id}.html")
        release_id, manifest = reader.release_id, reader.manifest
        all_regions = regions
    if pdf:
        printed = [p for p in rendered if pdf_only_for is None or p.ach_id in pdf_only_for]
        with ThreadPoolExecutor(max_workers=2) as pool:  # two Chromiums at a time: the project's machines have 2 cores
            list(pool.map(lambda p: print_pdf(p.html, p.html.with_suffix(".pdf")), printed))
        for p in printed:
            p.pdf = p.html.with_suffix(".pdf")
            p.pdf_bytes = p.pdf.stat().st_size
            p.pdf_pages = pdf_page_count(p.pdf)
            log(f"printed {p.pdf.name}: {p.pdf_pages} pages, {p.pdf_bytes:,} bytes")
    on_disk = {p.stem for p in out_dir.glob("*.html") if p.name != "index.html"}
    listed = [r for r in all_regions if r["geoid"] in on_disk]
    index = env.get_template("index.html.j2").render(
        release_id=release_id,
        created_at=str(manifest.get("created_at", ""))[:10],
        regions=listed,
        has_pdf={r["geoid"]: (out_dir / f"{r['geoid']}.pdf").is_file() for r in listed},
    )
    (out_dir / "index.html").write_text(index, encoding="utf-8")
    _write_table(out_dir / PROFILES_TABLE, rendered, release_id)
    return rendered


def _write_table(path: Path, rendered: list[RenderedProfile], release_id: str) -> None:
    """profiles.csv: one row per region rendered (merged with rows already there for regions not rendered now)."""
    rows: dict[str, dict[str, Any]] = {}
    if path.is_file():
        with path.open(newline="") as f:
            rows = {r["ach_id"]: r for r in csv.DictReader(f) if r.get("release_id") == release_id}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for p in rendered:
        rows[p.ach_id] = {
            "ach_id": p.ach_id,
            "name": p.name,
            "release_id": release_id,
            "html": p.html.name,
            "pdf": p.pdf.name if p.pdf else "",
            "pdf_pages": p.pdf_pages if p.pdf_pages is not None else "",
            "pdf_bytes": p.pdf_bytes if p.pdf_bytes is not None else "",
            "charts": p.charts,
            "maps": p.maps,
            "indicators_shown": " ".join(p.indicators_shown),
            "indicators_without_values": " ".join(p.indicators_without_values),
            "rendered_at": now,
        }
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=PROFILE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows[k] for k in sorted(rows))


PROFILES_FOLDER = "profiles"
VERSION_MARKER = ".code_version"


def profiles_dir(published_dir: Path, release_id: str) -> Path:
    """Where a release's profiles live: ``<data>/published/profiles/<release_id>/``, beside (never inside) the
    immutable release folder."""
    return published_dir / PROFILES_FOLDER / release_id


def already_rendered(out_dir: Path, code_version: str | None, region_ids: Iterable[str]) -> bool:
    """Whether ``out_dir`` already holds every region's page and PDF rendered by this code version (a run that
    published nothing new then renders nothing either)."""
    marker = out_dir / VERSION_MARKER
    if code_version is None or not marker.is_file() or marker.read_text().strip() != code_version:
        return False
    return all((out_dir / f"{r}.html").is_file() and (out_dir / f"{r}.pdf").is_file() for r in region_ids)


def render_into_place(
    release_dir: Path,
    out_dir: Path,
    config_dir: Path,
    code_version: str | None,
    pdf: bool = True,
    log: Callable[[str], None] = lambda _: None,
) -> list[RenderedProfile]:
    """Every region's profile rendered into a staging folder beside ``out_dir``, then swapped into place, so a reader
    never sees half a set of profiles and a failed render leaves the previous set as it was."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".incomplete-{out_dir.name}-", dir=out_dir.parent))
    try:
        rendered = render_profiles(release_dir, staging, config_dir, pdf=pdf, log=log)
        if code_version:
            (staging / VERSION_MARKER).write_text(code_version + "\n")
        old = out_dir.with_name(f".old-{out_dir.name}-{os.getpid()}")
        if out_dir.exists():
            out_dir.rename(old)
        staging.rename(out_dir)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for p in rendered:  # the files' final place
        p.html = out_dir / p.html.name
        p.pdf = out_dir / p.pdf.name if p.pdf else None
    return rendered


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file()
