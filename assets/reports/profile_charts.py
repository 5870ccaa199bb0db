"""Charts of a profile as static SVG: altair builds a Vega-Lite spec, vl-convert renders it without a browser.

Why this route: the page must open with no network and no JavaScript (a laptop at a community meeting, a PDF), so the
charts are SVG drawn at render time. altair (already installed with Dagster's stack) writes Vega-Lite specs in
Python; vl-convert-python renders Vega-Lite to SVG in-process (its own embedded JS engine, no Node, no Chromium).
The spec is kept beside each SVG (a JSON block the page never executes) so a test can read the numbers a chart plots.

Every plotted number is a published one (estimate, and its 90% interval: the release's ci_low/ci_high where they are
at 90%, else estimate ± moe, which is the same interval before clipping). altair and vl_convert are imported inside
the functions: the code location imports this package's asset module and must stay light.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from assets.reports.profile_captions import RELIABILITY_WORDS, fmt_moe, fmt_value, is_percent

# vl-convert measures text with ONE family (a fallback list costs it ~20% more per chart); the SVG then names the
# fallbacks for browsers that lack it
FONT = "DejaVu Sans"
FONT_STACK = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
# One hue, lightness by reliability: readable for every kind of colour vision and in greyscale print.
RELIABILITY_COLOURS = {
    "high": "#1b3a6b",
    "medium": "#4f7cb3",
    "low": "#a9c1e0",
    "unknown": "#c8c8c8",
}
RELIABILITY_LEGEND = {
    "high": "reliable",
    "medium": "use with caution",
    "low": "large margin of error",
    "unknown": "no margin of error",
}
# Okabe-Ito: distinguishable with every common colour-vision deficiency.
# Black first: the all-people line when it is there.
CATEGORICAL = ["#000000", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]


@dataclass(frozen=True)
class Chart:
    """A rendered chart: its SVG, the Vega-Lite spec it came from (with the plotted data inline), and alt text."""

    svg: str
    spec: dict[str, Any]
    alt: str

    @property
    def spec_json(self) -> str:
        # "</" cannot close the <script type="application/json"> block that carries it
        return json.dumps(self.spec, default=str).replace("</", "<\\/")


def interval(row: dict[str, Any]) -> tuple[float | None, float | None]:
    """The 90% interval of a published row: its own ci_low/ci_high when they are at 90%, else estimate ± moe."""
    est, moe = row.get("estimate"), row.get("moe")
    if est is None or moe is None:
        return None, None
    if row.get("ci_level") is not None and abs(float(row["ci_level"]) - 0.90) < 1e-9:
        return row.get("ci_low"), row.get("ci_high")
    return est - moe, est + moe


def _axis_format(unit: str | None) -> dict[str, Any]:
    unit = (unit or "").lower()
    if is_percent(unit):
        return {"labelExpr": "datum.value + '%'", "tickCount": 8}
    if unit == "dollars":
        return {"format": "$,.0f", "tickCount": 6}
    return {"format": ",.4~g", "tickCount": 6}


def _unit_title(unit: str | None) -> str:
    unit = (unit or "").lower()
    return {"dollars": "Dollars", "years": "Years"}.get(unit, "Percent" if is_percent(unit) else unit)


def _render(chart: Any, datasets: dict[str, list[dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
    """SVG of ``chart``, whose layers name their rows (``alt.Data(name=...)``); the rows are added to the spec only
    here, because altair deep-copies inline rows at every step that derives a chart (seconds per page)."""
    import vl_convert as vlc

    spec = chart.to_dict(validate=False)  # altair's JSON-schema validation costs more than rendering; vl-convert checks
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    svg = vlc.vegalite_to_svg(spec).replace(f'font-family="{FONT}"', f'font-family="{FONT_STACK}"')
    return svg, spec


def _config(chart: Any) -> Any:
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=14, titleFontSize=14, labelLimit=330, titleFontWeight="normal")
        .configure_legend(labelFontSize=13, titleFontSize=13, orient="bottom", labelLimit=300)
        .configure_view(stroke=None)
    )


def group_chart(rows: list[dict[str, Any]], unit: str | None, title: str, label_of: dict[str, str]) -> Chart:
    """Bars by group (one period, one geography) with 90% MOE error bars; bar colour by reliability; a text label
    with the value and its MOE, or why there is none (suppressed, no value)."""
    import altair as alt

    data = []
    for r in rows:
        lo, hi = interval(r)
        reliability = r.get("reliability") or "unknown"
        if r.get("suppressed"):
            text = "suppressed"
        elif r.get("estimate") is None:
            text = "no value"
        else:
            text = fmt_value(r["estimate"], unit) + (f" {fmt_moe(r['moe'], unit)}" if r.get("moe") is not None else "")
            if reliability in ("low", "unknown"):
                text += f" ({RELIABILITY_LEGEND[reliability]})"
        data.append(
            {
                "indicator_id": r.get("indicator_id"),
                "vintage": r.get("vintage"),
                "geoid": r.get("geoid"),
                "group_id": r["group_id"],
                "group": label_of.get(r["group_id"], r["group_id"]),
                "order": r.get("group_order", 999),
                "estimate": r.get("estimate"),
                "moe": r.get("moe"),
                "low": lo,
                "high": hi,
                "reliability": reliability,
                "reliability_text": RELIABILITY_LEGEND.get(reliability, reliability),
                "label": text,
                "label_x": max(v for v in (hi, r.get("estimate"), 0) if v is not None),
            }
        )
    top = max([d["high"] or d["estimate"] or 0 for d in data] or [1]) or 1
    # the rows once, at the layer (altair deep-copies a chart's data every time a layer is derived from it)
    base = alt.Chart().encode(
        y=alt.Y("group:N", sort=alt.EncodingSortField("order"), title=None, axis=alt.Axis(labelFontSize=14))
    )
    x = alt.X(
        "estimate:Q",
        title=_unit_title(unit),
        scale=alt.Scale(domain=[0, top * 1.45], nice=False),
        axis=_axis_format(unit),
    )
    bars = base.mark_bar(height=22).encode(
        x=x,
        color=alt.Color(
            "reliability_text:N",
            title="Reliability",
            scale=alt.Scale(
                domain=[RELIABILITY_LEGEND[k] for k in RELIABILITY_COLOURS],
                range=list(RELIABILITY_COLOURS.values()),
            ),
        ),
    )
    errors = base.mark_rule(color="#111111", strokeWidth=2).encode(x="low:Q", x2="high:Q")
    caps_low = base.mark_tick(color="#111111", thickness=2, size=14).encode(x="low:Q")
    caps_high = base.mark_tick(color="#111111", thickness=2, size=14).encode(x="high:Q")
    labels = base.mark_text(align="left", dx=6, fontSize=13, color="#111111").encode(
        x=alt.X("label_x:Q"), text="label:N"
    )
    chart = alt.layer(bars, errors, caps_low, caps_high, labels, data=alt.Data(name="rows")).properties(
        width=620, height=alt.Step(34), title=alt.Title(title, fontSize=16, anchor="start")
    )
    svg, spec = _render(_config(chart), {"rows": data})
    shown = [f"{d['group']}: {d['label']}" for d in data]
    alt_text = f"Bar chart: {title}. " + "; ".join(shown) + ". Error bars show the 90% margin of error."
    return Chart(svg, spec, alt_text)


def trend_chart(rows: list[dict[str, Any]], unit: str | None, title: str, label_of: dict[str, str]) -> Chart:
    """Values across periods, one line per group (points with 90% MOE bars where the release has an MOE)."""
    import altair as alt

    groups = list(dict.fromkeys(r["group_id"] for r in sorted(rows, key=lambda r: r.get("group_order", 999))))
    data = []
    for r in rows:
        if r.get("estimate") is None:
            continue
        lo, hi = interval(r)
        data.append(
            {
                "group_id": r["group_id"],
                "group": label_of.get(r["group_id"], r["group_id"]),
                "period": r["vintage"],
                "end_year": r.get("period_end_year"),
                "estimate": r["estimate"],
                "moe": r.get("moe"),
                "low": lo,
                "high": hi,
                "reliability": r.get("reliability") or "unknown",
            }
        )
    names = [label_of.get(g, g) for g in groups]
    colour = alt.Color(
        "group:N", title=None, scale=alt.Scale(domain=names, range=CATEGORICAL[: len(names)] or CATEGORICAL)
    )
    periods = sorted({(d["end_year"] or 0, d["period"]) for d in data})
    x = alt.X("period:O", title="Period", sort=[p for _, p in periods], axis=alt.Axis(labelAngle=0))
    base = alt.Chart().encode(x=x, color=colour)
    y = alt.Y("estimate:Q", title=_unit_title(unit), axis=_axis_format(unit), scale=alt.Scale(zero=False))
    lines = base.mark_line(strokeWidth=2.5).encode(y=y)
    points = base.mark_point(filled=True, size=80).encode(y=y, shape=alt.Shape("group:N", legend=None))
    errors = base.mark_rule(strokeWidth=1.5).encode(y="low:Q", y2="high:Q")
    chart = alt.layer(lines, errors, points, data=alt.Data(name="rows")).properties(
        width=max(520, 110 * len(periods)), height=260, title=alt.Title(title, fontSize=16, anchor="start")
    )
    svg, spec = _render(_config(chart), {"rows": data})
    by_group = {}
    for d in data:
        by_group.setdefault(d["group"], []).append(f"{d['period']} {fmt_value(d['estimate'], unit)}")
    alt_text = f"Line chart: {title}. " + "; ".join(f"{g}: {', '.join(v)}" for g, v in by_group.items()) + "."
    return Chart(svg, spec, alt_text)


def compare_panel(
    rows: list[dict[str, Any]], unit: str | None, title: str, region_id: str
) -> tuple[Any, str, dict[str, list[dict[str, Any]]]]:
    """The region beside the other ACH regions of its state for one indicator: one dot per region with its 90% MOE,
    the region in orange. Returns the (unrendered) altair layer, its alt text and its named rows."""
    import altair as alt

    name = f"rows_{rows[0]['indicator_id']}" if rows else "rows"
    data = []
    for r in rows:
        if r.get("estimate") is None:
            continue
        lo, hi = interval(r)
        data.append(
            {
                "indicator_id": r.get("indicator_id"),
                "vintage": r.get("vintage"),
                "geoid": r["geoid"],
                "region": r["geo_name"],
                "estimate": r["estimate"],
                "moe": r.get("moe"),
                "low": lo,
                "high": hi,
                "this_region": "this region" if r["geoid"] == region_id else "other regions",
                "label": fmt_value(r["estimate"], unit),
            }
        )
    base = alt.Chart().encode(
        y=alt.Y("region:N", sort=alt.EncodingSortField("estimate", order="descending"), title=None)
    )
    colour = alt.Color(
        "this_region:N",
        title=None,
        scale=alt.Scale(domain=["this region", "other regions"], range=["#D55E00", "#7a7a7a"]),
    )
    axis = {**_axis_format(unit), "tickCount": 5}  # a narrow panel
    x = alt.X("estimate:Q", title=_unit_title(unit), axis=axis, scale=alt.Scale(zero=False))
    errors = base.mark_rule(strokeWidth=2).encode(x="low:Q", x2="high:Q", color=colour)
    dots = base.mark_point(filled=True, size=110).encode(x=x, color=colour)
    labels = base.mark_text(align="left", dx=9, dy=-9, fontSize=12).encode(x=x, text="label:N", color=colour)
    # the title is the figure's HTML heading: in the SVG a long one widens the chart, which is then drawn smaller
    panel = alt.layer(errors, dots, labels, data=alt.Data(name=name)).properties(width=300, height=alt.Step(28))
    shown = "; ".join(f"{d['region']}: {d['label']}" for d in sorted(data, key=lambda d: -d["estimate"]))
    return panel, f"{title}: {shown}.", {name: data}


def compare_chart(panels: list[tuple[Any, str, dict[str, list[dict[str, Any]]]]], title: str) -> Chart:
    """One or several :func:`compare_panel` (stacked) in one chart."""
    import altair as alt

    chart = (
        panels[0][0]
        if len(panels) == 1
        else alt.vconcat(*[p for p, _, _ in panels], spacing=36).resolve_scale(x="independent", color="shared")
    )
    datasets = {k: v for _, _, d in panels for k, v in d.items()}
    svg, spec = _render(_config(chart), datasets)
    return Chart(svg, spec, f"Dot charts: {title}. " + " ".join(a for _, a, _ in panels))


def reliability_words(reliability: str | None) -> str:
    return RELIABILITY_WORDS.get(reliability or "unknown", reliability or "")
