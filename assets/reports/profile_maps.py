"""Choropleth maps of a region's parts (counties, tracts or neighborhoods) as inline SVG, drawn with matplotlib from
the release's GeoParquet map export.

Why matplotlib + geopandas: the geometry is already a GeoDataFrame (geopandas is a project dependency), and
matplotlib writes a static SVG with no browser and no tiles, so the page works offline and prints. Colour: viridis
(perceptually uniform, colour-blind safe, readable in greyscale), reversed where higher is better so that darker
always means worse off; suppressed or missing areas are light grey; areas whose value is of low or unknown
reliability are hatched. The values are the release's rows (the caller passes them); nothing is computed here.

matplotlib is imported inside the function (the code location must not import it).
"""

from __future__ import annotations

import io
import re
from typing import Any

from assets.reports.profile_captions import fmt_value

NO_DATA_GREY = "#d9d9d9"
DENSE_AREAS = 250
HATCHED = ("low",)  # not "unknown": computed ranks (SVI) have no MOE by nature, and would all be hatched


def choropleth_svg(
    frame: Any, values: dict[str, dict[str, Any]], unit: str | None, direction: str | None, tag: str = "map"
) -> str:
    """An SVG map of ``frame``'s polygons (GeoDataFrame with ``geoid``) coloured by ``values`` (geoid -> published
    row with estimate, reliability, suppressed). Returns the SVG markup (no XML prolog, ready to inline); its element
    ids are prefixed with ``tag`` (unique per page)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.patches import Patch

    frame = frame.copy()
    # drawn about 600 px wide: detail finer than ~1/1500 of the map's extent cannot show, and only makes the SVG (and
    # the page, and its PDF) heavy; topology kept so neighbours still meet
    minx, miny, maxx, maxy = frame.total_bounds
    frame["geometry"] = frame.geometry.simplify(max(maxx - minx, maxy - miny) / 1500, preserve_topology=True)
    frame["estimate"] = [(values.get(g) or {}).get("estimate") for g in frame["geoid"]]
    frame["reliability"] = [(values.get(g) or {}).get("reliability") for g in frame["geoid"]]
    frame["suppressed"] = [bool((values.get(g) or {}).get("suppressed")) for g in frame["geoid"]]
    known = frame[frame["estimate"].notna()]
    # viridis_r: high values dark; for higher-is-better indicators plain viridis, so dark is always "worse off"
    cmap = colormaps["viridis" if direction == "higher_is_better" else "viridis_r"]
    lo, hi = (float(known["estimate"].min()), float(known["estimate"].max())) if len(known) else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1
    norm = Normalize(vmin=lo, vmax=hi)

    plt.rcParams["svg.fonttype"] = "none"  # text stays text (selectable, scales with the page's font)
    plt.rcParams["font.family"] = "DejaVu Sans"
    # hundreds of tracts: drawn as one embedded PNG (still inline, still offline) instead of thousands of SVG paths,
    # which made a page megabytes heavy and slow to draw and print; legends and labels stay vector text
    dense = len(frame) > DENSE_AREAS
    edge = 0.1 if dense else 0.4  # thin borders where areas are small, or the borders are all one sees
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.set_axis_off()
    missing = frame[frame["estimate"].isna()]
    if len(missing):
        missing.plot(ax=ax, color=NO_DATA_GREY, edgecolor="white", linewidth=edge, rasterized=dense)
    if len(known):
        known.plot(ax=ax, column="estimate", cmap=cmap, norm=norm, edgecolor="white", linewidth=edge, rasterized=dense)
        shaky = known[known["reliability"].isin(HATCHED)]
        if len(shaky):
            shaky.plot(ax=ax, facecolor="none", edgecolor="#ffffff", hatch="///", linewidth=0, rasterized=dense)
    ax.set_aspect("equal") if frame.crs is None else ax.set_aspect(1 / max(0.2, _cos_mid_latitude(frame)))
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    handles = []
    if len(missing):
        n_sup = int(missing["suppressed"].sum())
        text = "no value" + (" or suppressed" if n_sup else "")
        handles.append(Patch(facecolor=NO_DATA_GREY, edgecolor="#999999", label=text))
    if len(known) and known["reliability"].isin(HATCHED).any():
        handles.append(Patch(facecolor="#9bb", edgecolor="white", hatch="///", label="low reliability"))
    if handles:  # below the map, above the colour bar: never over an area
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, fontsize=10, frameon=False)
    pad = 0.1 if handles else 0.02
    bar = fig.colorbar(sm, ax=ax, orientation="horizontal", fraction=0.05, pad=pad, aspect=40)
    ticks = [lo, (lo + hi) / 2, hi]
    bar.set_ticks(ticks)
    bar.set_ticklabels([fmt_value(t, unit) for t in ticks])
    bar.ax.tick_params(labelsize=11)
    fig.tight_layout(pad=0.2)
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight", dpi=200)
    plt.close(fig)
    svg = out.getvalue()
    svg = svg[svg.index("<svg") :].replace("'DejaVu Sans'", "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif")
    # unique ids per map: several maps share one HTML page, and matplotlib numbers its clip paths from 1 every time
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{tag}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{tag}-{m.group(1)})", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{tag}-{m.group(1)}"', svg)
    return svg


def _cos_mid_latitude(frame: Any) -> float:
    """Longitude/latitude drawn with x scaled by cos(latitude), so shapes are not stretched east-west."""
    import math

    _, miny, _, maxy = frame.total_bounds
    return math.cos(math.radians((miny + maxy) / 2))
