"""Who may do what: the role table, and where a unit or its field team may act, as pure functions.

`check` is called once per command, inside the writer's unit of work, over the things that unit of work
has loaded and the jurisdictions in force (`Places`). The API, the drill runner and the CLI all go
through it. What a thing's own state allows (a task's lead, a resource's owner, who requested a
dispatch) the aggregates guard themselves.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from domain.dispatch import Dispatch
from domain.errors import Forbidden, InvalidInput
from domain.incident import Incident
from domain.permissions import MAY
from domain.unit import Unit
from domain.values import point_of


class Actor(Protocol):
    """Who sends the command: a token's actor in the API, an inject's in a drill (both carry these on Meta)."""

    @property
    def role(self) -> str: ...

    @property
    def unit(self) -> str | None: ...


class Named(Protocol):
    name: str


class Places(Protocol):
    """The jurisdictions in force, as the policy reads them (the read side's Geography is one)."""

    by_code: Mapping[str, Named]

    def holds(self, code: str, point: list[float]) -> bool: ...
    def chain(self, code: str | None) -> list[str]: ...
    def locate(self, point: list[float]) -> str | None: ...
    def root(self) -> Any: ...


# The thing with that id, if it is one of that kind, as the unit of work sees it; None otherwise (the domain
# then answers for a bad id).
Load = Callable[[Any, type], Any]

BOUND = ("field", "unit")  # roles bound to their unit's jurisdiction for acts tied to a place
# Where a command puts something on the map: for a bound role, inside its unit's jurisdiction.
PLACES = {"report_incident": "location", "file_report": "position", "move_resource": "position",
          "register_resource": "position", "request_dispatch": "destination"}
# A bound role steps only dispatches bound for a place inside its unit's jurisdiction.
DISPATCH_STEPS = frozenset({"depart", "arrive", "release"})
# Commands that name a jurisdiction by its code.
CODES = {"register_unit": "jurisdiction", "report_incident": "jurisdiction"}
NO_HOME = {"field": "this field team's unit has no known jurisdiction, so it cannot place reports",
           "unit": "this unit has no known jurisdiction, so it cannot act on a place"}
WHO = {"field": ("a field team", "its own unit's jurisdiction"), "unit": ("a unit", "its own jurisdiction")}


def check(actor: Actor, command: str, args: dict[str, Any], target: str | None, load: Load,
          places: Places | None) -> None:
    """Refuse (Forbidden, or InvalidInput for an unknown code) what this actor may not do; else return."""
    check_allowed(actor, command)
    if places is None:  # a process without a geography (the CLI, setup, domain tests): no place to check against
        return
    check_codes(places, command, args)
    if actor.role in BOUND and (command in PLACES or command in DISPATCH_STEPS):
        check_place(actor, command, args, target, load, places)


def check_allowed(actor: Actor, command: str) -> None:
    allowed = MAY.get(command)
    if allowed is not None and actor.role not in allowed:
        raise Forbidden(f"{command} is for {' or '.join(sorted(allowed))}; this token's role is {actor.role}")


def check_codes(places: Places, command: str, args: dict[str, Any]) -> None:
    """A jurisdiction named by code must be one of the geography in force (an unknown id is 422)."""
    code = args.get(CODES.get(command, ""))
    if code is not None and code not in places.by_code:
        root = places.root()
        raise InvalidInput(f"jurisdiction: {code!r} is not a jurisdiction code of "
                           f"{root.name if root else 'this geography'}; use a code from the map's jurisdictions layer")


def home_of(actor: Actor, load: Load, places: Places) -> str | None:
    """The jurisdiction the actor's unit answers for: its own, or the county's for a county department."""
    unit = load(actor.unit, Unit)
    if unit is None:
        return None
    code = unit.jurisdiction
    if code is None and unit.kind == "department" and (root := places.root()) is not None:
        code = root.code
    return code if code in places.by_code else None


def check_place(actor: Actor, command: str, args: dict[str, Any], target: str | None, load: Load,
                places: Places) -> None:
    """A bound actor (a unit, a field team) acts on places inside its unit's jurisdiction only."""
    who, own = WHO[actor.role]
    code = home_of(actor, load, places)
    if code is None:
        raise Forbidden(NO_HOME[actor.role])
    home = f"{places.by_code[code].name} ({code})"
    verb = "reports" if actor.role == "field" else "acts"
    point = _point(args.get(PLACES.get(command, "")), PLACES.get(command, ""))
    if point is not None and not places.holds(code, point):
        raise Forbidden(f"{point} is outside {home}; {who} {verb} only inside {own}")
    named = args.get("jurisdiction") if command == "report_incident" else None
    if named and code not in places.chain(named):
        raise Forbidden(f"jurisdiction {named} is not within {home}; {who} {verb} only inside {own}")
    if command == "file_report" and (incident := load(target, Incident)) is not None:
        where = incident.jurisdiction or places.locate(incident.location)
        if code not in places.chain(where):
            raise Forbidden(f"incident “{incident.title}” is outside {home}; {who} reports only on incidents in {own}")
    if command == "request_dispatch" and point is None and (incident := load(args.get("incident"), Incident)) is not None:
        if not places.holds(code, list(incident.location)):
            raise Forbidden(f"incident “{incident.title}” is outside {home}; {who} requests dispatches only to places in {own}")
    if command in DISPATCH_STEPS and (dispatch := load(target, Dispatch)) is not None:
        if not places.holds(code, list(dispatch.destination)):
            raise Forbidden(f"this dispatch is bound for {dispatch.destination}, outside {home}; "
                            "its steps are for the command center or the owning unit")


def _point(value: Any, field: str) -> list[float] | None:
    """The place as sent (so the refusal shows what was sent); an invalid one is the domain's to refuse (422)."""
    if value is None:
        return None
    point_of(value, field)
    return list(value.get("coordinates") if isinstance(value, dict) else value)
