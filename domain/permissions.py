"""Who may do what: one table, by role. Unit and ownership rules are the domain's; jurisdiction is here.

The API and the drill runner both check these before a command goes to the writer."""
from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.command_catalogue import COMMANDS, C, F, O, U
from domain.dispatch import Dispatch
from domain.errors import Forbidden, InvalidInput
from domain.incident import Incident
from domain.unit import Unit


class Actor(Protocol):
    """Who sends the command: a token's actor in the API, an inject's in a drill."""

    @property
    def role(self) -> str: ...

    @property
    def unit(self) -> str | None: ...


class Runtime(Protocol):
    """What the jurisdiction rule reads: the store (`app`) and the jurisdictions (`geography`)."""

    app: Any
    geography: Any

READ = frozenset({C, U, F, O})

# Who may send each command (the catalogue's roles), and who may read.
MAY: dict[str, frozenset[str]] = {**{c.name: c.roles for c in COMMANDS if c.roles}, "read": READ}

# Where a field team's command puts something on the map: it must be inside its unit's jurisdiction.
PLACES = {"report_incident": "location", "file_report": "position", "move_resource": "position"}
# A field team steps only dispatches bound for a place inside its unit's jurisdiction.
DISPATCH_STEPS = frozenset({"depart", "arrive", "release"})
# Commands that name a jurisdiction by its code.
CODES = {"register_unit": "jurisdiction", "report_incident": "jurisdiction"}


def check_allowed(actor: Actor, command: str) -> None:
    allowed = MAY[command]
    if actor.role not in allowed:
        raise Forbidden(f"{command} is for {' or '.join(sorted(allowed))}; this token's role is {actor.role}")


def check_codes(rt: Runtime, command: str, args: dict[str, Any]) -> None:
    """A jurisdiction named by code must be one of this server's geography (an unknown id is 422)."""
    code = args.get(CODES.get(command, ""))
    if code is not None and code not in rt.geography.by_code:
        root = rt.geography.root()
        raise InvalidInput(f"jurisdiction: {code!r} is not a jurisdiction code of "
                      f"{root.name if root else 'this geography'}; use a code from the map's jurisdictions layer")


def check_jurisdiction(rt: Runtime, actor: Actor, command: str, args: dict[str, Any], target: str | None) -> None:
    """A field team of one township cannot write into another's. Reads the store: call it off the event loop."""
    if actor.role != F or (command not in PLACES and command not in DISPATCH_STEPS):
        return
    code = _settled(rt, "unit", actor.unit, lambda: getattr(_thing(rt, actor.unit, Unit), "jurisdiction", None))
    if not code or code not in rt.geography.by_code:
        raise Forbidden("this field team's unit has no known jurisdiction, so it cannot place reports")
    home = f"{rt.geography.by_code[code].name} ({code})"
    point = args.get(PLACES.get(command, ""))
    if point is not None and not rt.geography.holds(code, list(point)):
        raise Forbidden(f"{list(point)} is outside {home}; a field team reports only inside its own unit's jurisdiction")
    named = args.get("jurisdiction") if command == "report_incident" else None
    if named and code not in rt.geography.chain(named):
        raise Forbidden(f"jurisdiction {named} is not within {home}; a field team reports only inside its own unit's jurisdiction")
    if command == "file_report" and (place := _settled(rt, "incident", target, lambda: _incident_place(rt, target))):
        where, title = place
        if code not in rt.geography.chain(where):
            raise Forbidden(f"incident “{title}” is outside {home}; a field team reports only on incidents in its own unit's jurisdiction")
    if command in DISPATCH_STEPS and (dispatch := _thing(rt, target, Dispatch)) is not None:
        if not rt.geography.holds(code, list(dispatch.destination)):
            raise Forbidden(f"this dispatch is bound for {dispatch.destination}, outside {home}; "
                          "its steps are for the command center or the owning unit")


def _settled(rt: Runtime, kind: str, thing_id: str | None, read: Any) -> Any:
    """Facts that never change once recorded (a unit's jurisdiction, an incident's place), read from the store once."""
    known: dict[tuple[str, str | None], Any] = rt.__dict__.setdefault("_settled_facts", {})
    if (kind, thing_id) not in known:
        value = read()
        if value is None:
            return None  # not (yet) there: ask the store again next time
        if len(known) > 100_000:
            known.clear()
        known[(kind, thing_id)] = value
    return known[(kind, thing_id)]


def _incident_place(rt: Runtime, incident_id: str | None) -> tuple[str | None, str] | None:
    incident = _thing(rt, incident_id, Incident)
    if incident is None:
        return None
    return incident.jurisdiction or rt.geography.locate(incident.location), incident.title


def _thing(rt: Runtime, thing_id: str | None, kind: type) -> Any:
    """The thing as the store has it now (not as a read model may lag behind), or None; the domain answers for a bad id."""
    try:
        found = rt.app.repository.get(UUID(str(thing_id)))
    except (ValueError, AggregateNotFoundError):
        return None
    return found if isinstance(found, kind) else None
