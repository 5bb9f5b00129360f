"""A unit named where the API takes a unit's id: its id, or its exact registered name (县卫健局).

A name that fits one unit becomes that unit's id before the command reaches the domain (the domain knows ids
only); a name no unit has, or several have, is a 422 that says so and how to name the unit instead.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from uuid import UUID

from api.problems import Problem
from domain.command_catalogue import fields_of_type

if TYPE_CHECKING:
    from api.runtime import Runtime

# The commands' fields that name units (a list field names several).
UNIT_FIELDS: dict[str, tuple[str, ...]] = fields_of_type("unit", "units")


def is_id(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def units_now(rt: Runtime) -> dict[str, dict[str, Any]]:
    """Every registered unit, as the live read side has it (id → {id, name, kind, jurisdiction})."""
    with rt.projections.lock:
        return {uid: dict(unit) for uid, unit in rt.projections.map.state["units"].items()}


def match(units: dict[str, dict[str, Any]], value: str, field: str) -> str | None:
    """The id `value` names among `units`; None when no unit has that name; a 422 when several have."""
    if value in units or is_id(value):
        return value  # an id: the domain answers for one that names no unit
    name = value.strip()
    named = sorted(uid for uid, unit in units.items() if unit["name"] == name)
    if len(named) > 1:  # a retired unit's name may be taken again (county setup): the one in service is meant
        named = [uid for uid in named if not units[uid].get("retired_at")] or named
    if len(named) > 1:
        raise Problem(422, "Ambiguous unit name", f"{field}: {len(named)} units are named “{name}” "
                      f"({', '.join(named)}); give the id of the one you mean (GET /api/v1/units lists them)")
    return named[0] if named else None


async def resolve_unit(rt: Runtime, value: str, field: str) -> str:
    """The id of the unit `value` names (an id or an exact name); waits briefly for a unit registered just now."""
    if is_id(value):
        return value
    found = match(await asyncio.to_thread(units_now, rt), value, field)
    if found is None:  # registered a moment ago? let the read side reach the log's head, then look again
        head = await asyncio.to_thread(rt.app.recorder.max_notification_id) or 0
        if head > rt.projections.position:
            await asyncio.to_thread(rt.projections.wait_for, head, rt.settings.read_wait_seconds)
            found = match(await asyncio.to_thread(units_now, rt), value, field)
    if found is None:
        raise Problem(422, "Unknown unit", f"{field}: no unit is named “{value.strip()}”; give a unit's id or its exact "
                      "registered name (GET /api/v1/units lists them)")
    return found


async def named_units(rt: Runtime, command: str, args: dict[str, Any]) -> None:
    """Replace, in place, every unit the command's fields name by name with that unit's id."""
    for field in UNIT_FIELDS.get(command, ()):
        value = args.get(field)
        if isinstance(value, str):
            args[field] = await resolve_unit(rt, value, field)
        elif isinstance(value, list):
            args[field] = [await resolve_unit(rt, v, f"{field}[{i}]") if isinstance(v, str) else v for i, v in enumerate(value)]
