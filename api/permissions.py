"""Who may do what: one table, by role. Unit and ownership rules are the domain's; jurisdiction is here."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api.problems import Problem

if TYPE_CHECKING:
    from api.auth import Actor
    from api.runtime import Runtime

C, U, F, O = "commander", "unit", "field", "observer"
READ = frozenset({C, U, F, O})

MAY: dict[str, frozenset[str]] = {
    "register_unit": frozenset({C}),
    "report_incident": frozenset({C, U, F}),
    "file_report": frozenset({C, U, F}),
    "set_level": frozenset({C}),
    "close_incident": frozenset({C}),
    "declare_zone": frozenset({C}),
    "downgrade_zone": frozenset({C}),
    "lift_zone": frozenset({C}),
    "register_resource": frozenset({C, U}),
    "move_resource": frozenset({C, U, F}),
    "request_dispatch": frozenset({C, U}),
    "commit_dispatch": frozenset({C, U}),
    "depart": frozenset({C, U, F}),
    "arrive": frozenset({C, U, F}),
    "release": frozenset({C, U, F}),
    "cancel_dispatch": frozenset({C, U}),
    "assign_task": frozenset({C}),
    "claim_task": frozenset({U}),
    "report_progress": frozenset({U}),
    "complete_task": frozenset({U}),
    "refuse_task": frozenset({U}),
    "supervise_task": frozenset({C}),
    "answer_supervision": frozenset({U}),
    "issue_alert": frozenset({C}),
    "import_alert": frozenset({C}),
    "read": READ,
}

# Where a field team's command puts something on the map: it must be inside its unit's jurisdiction.
PLACES = {"report_incident": "location", "file_report": "position", "move_resource": "position"}


def check_allowed(actor: Actor, command: str) -> None:
    allowed = MAY[command]
    if actor.role not in allowed:
        raise Problem(403, "Forbidden", f"{command} is for {' or '.join(sorted(allowed))}; this token's role is {actor.role}")


def check_jurisdiction(rt: Runtime, actor: Actor, command: str, args: dict[str, Any], target: str | None) -> None:
    """A field team of one township cannot write into another's."""
    if actor.role != F or command not in PLACES:
        return
    code = rt.projections.map.state["units"].get(actor.unit or "", {}).get("jurisdiction")
    if not code:
        unit = rt.app.repository.get(actor.unit) if actor.unit else None
        code = getattr(unit, "jurisdiction", None)
    if not code or code not in rt.geography.by_code:
        raise Problem(403, "Forbidden", "this field team's unit has no known jurisdiction, so it cannot place reports")
    points = [args.get(PLACES[command])]
    if command == "file_report" and target:
        incident = rt.projections.map.state["incidents"].get(target)
        if incident:
            points.append(incident["location"])
    for point in points:
        if point is not None and not rt.geography.holds(code, list(point)):
            name = rt.geography.by_code[code].name
            raise Problem(403, "Forbidden", f"{point} is outside {name} ({code}); a field team reports only inside its own unit's jurisdiction")
