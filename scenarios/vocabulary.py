"""What a scenario file may say: its verbs, its schema, and its `+HH:MM` offsets (read by the loader and its checks)."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from domain.command_catalogue import COMMANDS

HERE = Path(__file__).resolve().parent
OFFSET = re.compile(r"^\+(\d{1,4}):([0-5]\d)$")
# The verbs' times given as offsets from `start` (placed on the drill's clock when sent).
TIME_FIELDS = tuple(dict.fromkeys(f.name for c in COMMANDS if c.verb for f in c.fields if f.type == "moment" and f.in_scenario))


@cache
def verbs() -> dict[str, dict[str, Any]]:
    return json.loads((HERE / "verbs.json").read_text(encoding="utf-8"))["verbs"]


@cache
def schema() -> dict[str, Any]:
    return json.loads((HERE / "scenario.schema.json").read_text(encoding="utf-8"))


def offset_of(value: Any) -> timedelta | None:
    """`+HH:MM` (hours may pass 24) as a timedelta; None if it is not one."""
    match = OFFSET.match(value) if isinstance(value, str) else None
    return timedelta(hours=int(match[1]), minutes=int(match[2])) if match else None


def format_offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"+{minutes // 60:02d}:{minutes % 60:02d}"
