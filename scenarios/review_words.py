"""The review's words in Chinese: state names, roles and kinds from the domain's terms (and the store's own
catalogue), durations as 1天3小时52分, and a dash, never "None", for what is not there."""
from __future__ import annotations

import re
from typing import Any

from domain.terms import COUNTS, TERMS, ZONE_KINDS

DASH = "—"
INDICATOR_HEADERS = {
    "tasks_assigned": "牵头任务", "tasks_claimed": "已认领", "completed_on_time": "按时办结", "completed_late": "逾期办结",
    "refused": "拒绝", "overdue_open": "逾期未办结", "median_minutes_to_claim": "认领用时（中位）",
    "median_minutes_to_first_progress": "首次报告进度用时（中位）", "median_minutes_to_complete": "办结用时（中位）",
    "dispatches": "调度次数", "median_minutes_request_to_commit": "申请至落实（中位）",
    "median_minutes_request_to_arrival": "申请至到达（中位）",
}
THING_NAMES = {"Incident": "事件", "Zone": "区域", "Resource": "资源", "Dispatch": "调度", "Task": "任务", "Alert": "预警",
               "Unit": "单位", "Token": "令牌", "Enrolment": "登录码", "Catalogue": "类别目录", "IdempotencyRecord": "幂等记录", "EventSkip": "跳过事件"}
SOURCE_NAMES = {"api": "平台录入", "cli": "命令行", "drill": "演练脚本", "import": "导入", "system": "系统", "setup": "县情配置"}
HOLDS_NAMES = {"open_incidents": "处置中事件", "zones": "区域", "dispatches": "调度", "tasks": "任务三色", "cases": "病例"}
GROUPS = {"zones": ZONE_KINDS, "dispatches": TERMS["dispatch"], "tasks": TERMS["colour"], "cases": COUNTS}


def duration(minutes: Any) -> str:
    """Minutes as 1天3小时52分 (a dash when there is no value)."""
    if minutes is None:
        return DASH
    total = round(float(minutes))
    days, rest = divmod(abs(total), 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{mins}分" if mins or not (days or hours) else ""]
    return ("-" if total < 0 else "") + "".join(parts)


def word(group: str, value: Any) -> str:
    """A value's Chinese name in a group of the domain's terms (taskState, colour, role, unitKind …)."""
    if value is None or value == "":
        return DASH
    names = TERMS.get(group, {})
    return names[value][0] if value in names else str(value)


def who(entry: dict[str, Any]) -> str:
    """An audit entry's actor by name; a device signing in by its own id."""
    actor = entry["actor"] or ""
    return entry["actor_name"] or (f"设备 {actor.removeprefix('enrolment:')}" if actor.startswith("enrolment:") else actor)


def counted(group: str, value: dict[str, Any]) -> str:
    """{"sealed": 1} as 封控区 1; an empty mapping as 无."""
    names = GROUPS.get(group, {})
    shown = [f"{names[k][0] if k in names else k} {v}" for k, v in value.items() if v]
    return "、".join(shown) if shown else "无"


class KindNames:
    """The kinds' Chinese names: the defaults, and the store's own catalogue (the situation map's `kinds`)."""

    def __init__(self, declared: dict[str, dict[str, Any]] | None = None) -> None:
        self.names = {**{c: zh for c, (zh, _) in TERMS["resourceKind"].items()},
                      **{c: zh for c, (zh, _) in TERMS["incidentKind"].items()}}
        self.names |= {k["code"]: k["zh"] for k in (declared or {}).values()}

    def __call__(self, code: Any) -> str:
        return self.names.get(code, DASH if code is None else str(code))

    def in_summary(self, text: str) -> str:
        """An audit line such as 请求调度 transport ×1 with the kind's name: 请求调度 转运组 ×1."""
        return re.sub(r"^(请求调度 )([a-z0-9_]+)( ×)", lambda m: m[1] + self(m[2]) + m[3], text or "")
