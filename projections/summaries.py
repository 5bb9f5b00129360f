"""One line per event for the audit trail and the activity stream, in Chinese and English."""
from __future__ import annotations

from typing import Any

from domain.command_catalogue import summaries
from domain.terms import ZONE_KINDS, chinese

# type → (Chinese, English) templates over the event's own fields (the command catalogue's).
TEMPLATES: dict[str, tuple[str, str]] = summaries()
ZONE_NAMES = chinese(ZONE_KINDS)
ROLE_NAMES = {"commander": "指挥员", "unit": "责任单位", "field": "现场工作组", "observer": "观察员"}
REASON_FIELDS = ("reason", "refusal", "note", "notice", "answer")


def summarize(event_type: str, data: dict[str, Any]) -> tuple[str, str, str | None]:
    zh, en = TEMPLATES.get(event_type, (event_type, event_type))
    values = {**{k: ("" if v is None else v) for k, v in data.items()}}
    if "new" in values and isinstance(values["new"], dict):
        values["new"] = {k: values["new"].get(k, 0) for k in ("confirmed", "suspected", "asymptomatic", "close_contacts")}
    if event_type == "ZoneDeclared":
        values["named"] = f"「{data['name']}」" if data.get("name") else ""
        values["named_en"] = f" “{data['name']}”" if data.get("name") else ""
    zh_values = dict(values)
    if zh_values.get("role") in ROLE_NAMES:
        zh_values["role"] = ROLE_NAMES[zh_values["role"]]
    for key in ("kind", "previous"):
        if key in zh_values and zh_values[key] in ZONE_NAMES:
            zh_values[key] = ZONE_NAMES[zh_values[key]]
    try:
        zh, en = zh.format(**zh_values), en.format(**values)
    except (KeyError, IndexError, TypeError, ValueError):
        pass
    reason = next((str(data[k]) for k in REASON_FIELDS if data.get(k)), None)
    return zh, en, reason
