"""The review's pictures as base64 PNG: the map at a moment, cases over time, tasks by colour over time."""
from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import dates as mdates  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from shapely.geometry import shape  # noqa: E402

if TYPE_CHECKING:
    from projections.geography import Geography
    from scenarios.review import Sample, Snapshot

CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
ZONE_COLOURS = {"sealed": "#d7191c", "controlled": "#fdae61", "prevention": "#ffd92f"}
ZONE_NAMES = {"sealed": "封控区", "controlled": "管控区", "prevention": "防范区"}
LEVEL_COLOURS = {"I": "#c00000", "II": "#ff7f00", "III": "#e6c200", "IV": "#1f78b4", None: "#666666"}
TASK_COLOURS = {"green": "#2ca25f", "yellow": "#fec44f", "red": "#de2d26"}
CASE_NAMES = {"confirmed": "确诊", "suspected": "疑似", "asymptomatic": "无症状", "close_contacts": "密接"}


def use_cjk_font() -> None:
    """Point matplotlib at a CJK font if one is installed; otherwise fall back silently."""
    for path in CJK_FONTS:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
            matplotlib.rcParams["font.family"] = font_manager.FontProperties(fname=path).get_name()
            matplotlib.rcParams["axes.unicode_minus"] = False
            return


use_cjk_font()


def png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _outline(ax: Any, geometry: dict[str, Any], **style: Any) -> None:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for polygon in polygons:
        ring = polygon[0]
        ax.plot([p[0] for p in ring], [p[1] for p in ring], **style)


def _fill(ax: Any, geometry: dict[str, Any], **style: Any) -> None:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for polygon in polygons:
        ring = polygon[0]
        ax.fill([p[0] for p in ring], [p[1] for p in ring], **style)


def situation_png(geography: Geography, snapshot: Snapshot, title: str) -> str:
    """Jurisdiction outlines, active zones, incidents (by level) and resources, as the map stood then."""
    figure, ax = plt.subplots(figsize=(7.5, 6.5))
    for j in geography:
        if j.level in ("county", "township", "street"):
            _outline(ax, j.geometry, color="#333333", linewidth=1.6 if j.level == "county" else 0.9)
            point = j.shape.representative_point()
            if j.level != "county":
                ax.annotate(j.name, (point.x, point.y), ha="center", fontsize=8, color="#555555")
        else:
            _outline(ax, j.geometry, color="#bbbbbb", linewidth=0.3)
    state = snapshot.state
    for z in state["zones"].values():
        if not z["lifted"]:
            _fill(ax, z["area"], color=ZONE_COLOURS.get(z["kind"], "#999999"), alpha=0.55, linewidth=0)
    for r in state["resources"].values():
        ax.plot(*r["position"], marker="^", color="#444444", markersize=5, linestyle="none")
    for i in state["incidents"].values():
        closed = i["status"] != "open"
        ax.plot(*i["location"], marker="o", markersize=11, linestyle="none",
                markerfacecolor="none" if closed else LEVEL_COLOURS.get(i["level"], "#666666"),
                markeredgecolor=LEVEL_COLOURS.get(i["level"], "#666666"), markeredgewidth=2)
    handles = [plt.Line2D([], [], marker="s", linestyle="none", color=c, alpha=0.6, label=ZONE_NAMES[k]) for k, c in ZONE_COLOURS.items()]
    handles += [plt.Line2D([], [], marker="o", linestyle="none", color=c, label=f"{k or '未定'}级") for k, c in LEVEL_COLOURS.items()]
    handles.append(plt.Line2D([], [], marker="^", linestyle="none", color="#444444", label="应急资源"))
    ax.legend(handles=handles, loc="lower left", fontsize=7, ncol=3, framealpha=0.85)
    ax.set_title(title, fontsize=11)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    root = geography.root()
    if root is not None:
        minx, miny, maxx, maxy = shape(root.geometry).bounds
        ax.set_xlim(minx - 0.005, maxx + 0.005)
        ax.set_ylim(miny - 0.005, maxy + 0.005)
    return png(figure)


def cases_png(samples: list[Sample]) -> str:
    """Cases over time, summed over every incident (a closed incident's cases still happened)."""
    figure, ax = plt.subplots(figsize=(8, 3.4))
    times = [s.at for s in samples]
    for key, name in CASE_NAMES.items():
        values = [s.cumulative.get(key, 0) for s in samples]
        if any(values):
            ax.step(times, values, where="post", label=name, linewidth=1.8)
    ax.set_title("累计病例与密接 cumulative cases and close contacts", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _local_time_axis(ax, samples)
    return png(figure)


def tasks_png(samples: list[Sample]) -> str:
    """Joint tasks by colour (三色清单) over time, stacked."""
    figure, ax = plt.subplots(figsize=(8, 3.0))
    times = [s.at for s in samples]
    series = [[s.colours.get(c, 0) for s in samples] for c in TASK_COLOURS]
    ax.stackplot(times, *series, colors=list(TASK_COLOURS.values()), labels=["绿 green", "黄 yellow", "红 red"], step="post")
    ax.set_title("任务三色清单 tasks by colour", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    _local_time_axis(ax, samples)
    return png(figure)


def _local_time_axis(ax: Any, samples: list[Sample]) -> None:
    """Times on the axis in the record's own offset (Beijing time), not UTC."""
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M", tz=samples[0].at.tzinfo))
    ax.figure.autofmt_xdate()
