"""Incidents: report, field reports, response level, close; the incident board and one incident's history."""
from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api import bodies as b
from api.deps import ActorDep, RuntimeDep, caught_up, submit
from api.problems import Problem
from api.routes.common import MinPosition, ThingId, view
from domain.policy import check_allowed

router = APIRouter(prefix="/incidents", tags=["incidents"])


@router.post("", status_code=201, response_model=b.Created)
async def report_incident(body: b.ReportIncident, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Report a public-health incident (突发公共卫生事件)."""
    return await submit(request, rt, actor, "report_incident", body, created=True)


@router.post("/{incident_id}/reports", response_model=b.Created)
async def file_report(incident_id: ThingId, body: b.FileReport, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """A field report: counts newly found since the reporter's last report (never totals), a note, a position."""
    return await submit(request, rt, actor, "file_report", body, target=incident_id, target_field="incident")


@router.post("/{incident_id}/level", response_model=b.Created)
async def set_level(incident_id: ThingId, body: b.SetLevel, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Set the response level (I–IV) with a reason."""
    return await submit(request, rt, actor, "set_level", body, target=incident_id, target_field="incident")


@router.post("/{incident_id}/close", response_model=b.Created)
async def close_incident(incident_id: ThingId, body: b.WithReason, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Close an incident with a reason."""
    return await submit(request, rt, actor, "close_incident", body, target=incident_id, target_field="incident")


@router.get("")
async def incident_board(
    rt: RuntimeDep, actor: ActorDep, at: Annotated[datetime | None, Query(description="ISO-8601: the board as it stood then")] = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """The incident board: every incident with its level, counts and state."""
    check_allowed(actor, "read")
    await caught_up(rt, min_position)

    def board(position: int, situation: Any, _: Any) -> dict[str, Any]:
        incidents = sorted(situation.state["incidents"].values(), key=lambda i: i["reported_at"], reverse=True)
        return {"position": position, "at": at.isoformat() if at else None, "incidents": [dict(i) for i in incidents]}

    return await view(rt, at, board)


@router.get("/{incident_id}")
async def incident_history(
    incident_id: ThingId, rt: RuntimeDep, actor: ActorDep,
    at: Annotated[datetime | None, Query()] = None, min_position: MinPosition = None,
) -> dict[str, Any]:
    """One incident, with its history (every event, who, when, why)."""
    check_allowed(actor, "read")
    await caught_up(rt, min_position, audit=True)  # the history is the audit trail's
    position, incident = await view(rt, at, lambda p, m, _: (p, dict(m.state["incidents"].get(incident_id) or {}) or None))
    if incident is None:
        raise Problem(404, "Not found", f"no incident {incident_id}" + (f" as of {at.isoformat()}" if at else ""))
    history = await asyncio.to_thread(rt.projections.audit.query, thing=incident_id, limit=10_000, until=at, through=position)
    return {"position": position, "incident": incident, "history": history}
