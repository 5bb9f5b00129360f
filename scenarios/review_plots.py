"""The review's pictures as inline SVG: the map at a moment, cases over time, tasks by colour over time.

Their words stay text, set in the report's embedded font (scenarios/review_font.py), so they read on a machine
with no CJK font; the maps' shapes are one raster image per panel, so a county of thousands of villages stays small."""
from __future__ import annotations

import hashlib
import io
import re
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import dates as mdates  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from shapely.geometry import shape  # noqa: E402

from projections.geography import in_force  # noqa: E402
from scenarios.review_font import FAMILY, FONT_FILE, family_name  # noqa: E402
from scenarios.review_words import word  # noqa: E402

if TYPE_CHECKING:
    from projections.geography import Geography
    from scenarios.review import Sample, Snapshot

ZONE_COLOURS = {"sealed": "#d7191c", "controlled": "#fdae61", "prevention": "#ffd92f"}
ZONE_NAMES = {"sealed": "封控区", "controlled": "管控区", "prevention": "防范区"}
LEVEL_COLOURS = {"I": "#c00000", "II": "#ff7f00", "III": "#e6c200", "IV": "#1f78b4", None: "#666666"}
OUTLINES = ((("village", "community", "grid"), {"colors": "#bbbbbb", "linewidths": 0.3}),
            (("township", "street"), {"colors": "#333333", "linewidths": 0.9}),
            (("county",), {"colors": "#333333", "linewidths": 1.6}))
TASK_COLOURS = {"green": "#2ca25f", "yellow": "#fec44f", "red": "#de2d26"}
CASE_NAMES = {"confirmed": "确诊", "suspected": "疑似", "asymptomatic": "无症状", "close_contacts": "密接"}


def use_report_font() -> None:
    """Measure and name the plots' words in the packaged font, never in whatever the machine has."""
    font_manager.fontManager.addfont(str(FONT_FILE))
    matplotlib.rcParams.update({"font.family": [family_name()], "axes.unicode_minus": False, "svg.fonttype": "none",
                                "svg.hashsalt": "lianfang", "text.parse_math": False})  # a name with two $ is a name


use_report_font()
SHAPES_BELOW = 2.5  # artists under this zorder (outlines, fills, markers) are rasterised; text (3) and legends stay text


def svg(figure: Any) -> str:
    """The figure as inline <svg> markup: its ids made unique in the page, its text in the embedded font."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", dpi=110, bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    markup = buffer.getvalue()
    markup = markup[markup.index("<svg"):]
    markup = re.sub(r"<metadata>.*?</metadata>", "", markup, flags=re.S)
    prefix = f"f{hashlib.sha1(markup.encode()).hexdigest()[:10]}-"  # one set of ids per figure
    markup = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', markup)
    markup = re.sub(r'(url\(#|href="#)([^)"]+)', rf"\g<1>{prefix}\2", markup)
    return markup.replace(f"font-family: '{family_name()}'", f"font-family: '{FAMILY}', sans-serif")


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [polygon[0] for polygon in polygons]


def _fill(ax: Any, geometry: dict[str, Any], **style: Any) -> None:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for polygon in polygons:
        ring = polygon[0]
        ax.fill([p[0] for p in ring], [p[1] for p in ring], **style)


def situation_svg(geography: Geography, snapshot: Snapshot, title: str) -> str:
    """The county as it stood then (left), and a close-up of the zones and incidents (right)."""
    geography = in_force(geography, snapshot.state.get("drawn") or {})  # the jurisdictions in force then
    figure, (whole, close) = plt.subplots(1, 2, figsize=(12, 5.6), gridspec_kw={"width_ratios": [1, 1]})
    for ax in (whole, close):
        _draw(ax, geography, snapshot.state)
    root = geography.root()
    if root is not None:
        minx, miny, maxx, maxy = shape(root.geometry).bounds
        whole.set_xlim(minx - 0.005, maxx + 0.005)
        whole.set_ylim(miny - 0.005, maxy + 0.005)
    _close_up(close, snapshot.state)
    whole.set_title(title, fontsize=11)
    close.set_title("局部放大", fontsize=10)
    handles = [plt.Line2D([], [], marker="s", linestyle="none", color=c, alpha=0.6, label=ZONE_NAMES[k]) for k, c in ZONE_COLOURS.items()]
    handles += [plt.Line2D([], [], marker="o", linestyle="none", color=c, label=f"{k or '未定'}级") for k, c in LEVEL_COLOURS.items()]
    handles.append(plt.Line2D([], [], marker="^", linestyle="none", color="#444444", label="应急资源"))
    whole.legend(handles=handles, loc="lower left", fontsize=7, ncol=3, framealpha=0.85)
    return svg(figure)


def _draw(ax: Any, geography: Geography, state: dict[str, Any]) -> None:
    """Jurisdiction outlines, active zones, resources and incidents (filled by level; hollow once closed)."""
    for levels, style in OUTLINES:
        rings = [ring for j in geography if j.level in levels for ring in _rings(j.geometry)]
        ax.add_collection(LineCollection(rings, **style))
    for j in geography:
        if j.level in ("township", "street"):
            point = j.shape.representative_point()
            ax.annotate(j.name, (point.x, point.y), ha="center", fontsize=8, color="#555555", annotation_clip=True)
    for z in state["zones"].values():
        if not z["lifted"]:
            _fill(ax, z["area"], color=ZONE_COLOURS.get(z["kind"], "#999999"), alpha=0.55, linewidth=0)
    for r in state["resources"].values():
        if r.get("retired_at"):
            continue
        ax.plot(*r["position"], marker="^", color="#444444", markersize=5, linestyle="none")
    for i in state["incidents"].values():
        colour = LEVEL_COLOURS.get(i["level"], "#666666")
        ax.plot(*i["location"], marker="o", markersize=9, linestyle="none", markeredgecolor=colour, markeredgewidth=2,
                markerfacecolor="none" if i["status"] != "open" else colour, alpha=0.9)
    ax.set_aspect("equal")
    ax.set_rasterization_zorder(SHAPES_BELOW)
    ax.set_xticks([])
    ax.set_yticks([])


def _close_up(ax: Any, state: dict[str, Any]) -> None:
    points = [i["location"] for i in state["incidents"].values()]
    for z in state["zones"].values():
        if not z["lifted"]:
            minx, miny, maxx, maxy = shape(z["area"]).bounds
            points += [[minx, miny], [maxx, maxy]]
    if not points:
        ax.set_visible(False)
        return
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    half = max(max(xs) - min(xs), max(ys) - min(ys), 0.02) / 2 + 0.004
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half, cy + half)


def cases_svg(samples: list[Sample]) -> str:
    """Cases over time, summed over every incident (a closed incident's cases still happened)."""
    figure, ax = plt.subplots(figsize=(8, 3.4))
    times = [s.at for s in samples]
    for key, name in CASE_NAMES.items():
        values = [s.cumulative.get(key, 0) for s in samples]
        if any(values):
            ax.step(times, values, where="post", label=name, linewidth=1.8)
    ax.set_title("累计病例与密接", fontsize=10)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    _local_time_axis(ax, samples)
    return svg(figure)


def tasks_svg(samples: list[Sample]) -> str:
    """Joint tasks by colour (三色清单) over time, stacked."""
    figure, ax = plt.subplots(figsize=(8, 3.0))
    times = [s.at for s in samples]
    series = [[s.colours.get(c, 0) for s in samples] for c in TASK_COLOURS]
    ax.stackplot(times, *series, colors=list(TASK_COLOURS.values()), labels=[word("colour", c) for c in TASK_COLOURS], step="post")
    ax.set_title("任务三色清单", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    _local_time_axis(ax, samples)
    return svg(figure)


def _local_time_axis(ax: Any, samples: list[Sample]) -> None:
    """Times on the axis in the record's own offset (Beijing time), not UTC."""
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M", tz=samples[0].at.tzinfo))
    ax.figure.autofmt_xdate()
