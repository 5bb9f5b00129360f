"""The record itself: the audit trail, its verification, and the raw global log."""
from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ActorDep, RuntimeDep, caught_up
from api.routes.common import MAX_POSITION, MinPosition, Position, check_offset
from domain.policy import check_allowed
from projections.audit import verify
from projections.events import data_of, decode

router = APIRouter(tags=["record"])


@router.get("/audit")
async def audit_trail(
    rt: RuntimeDep, actor: ActorDep,
    thing: Annotated[str | None, Query(max_length=64)] = None,
    by: Annotated[str | None, Query(max_length=64, description="actor id")] = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None, until: datetime | None = None,
    after: Position = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    newest_first: bool = False, min_position: MinPosition = None,
) -> dict[str, Any]:
    """The audit trail: each entry's position, time, actor, what and why; filter by thing, actor, unit, time."""
    check_allowed(actor, "read")
    check_offset(since, "since")
    check_offset(until, "until")
    await caught_up(rt, min_position, audit=True)
    entries = await asyncio.to_thread(
        rt.projections.audit.query, thing=thing, actor=by, unit=unit, since=since, until=until,
        after=after, limit=limit, newest_first=newest_first,
    )
    return {"position": rt.projections.audit.position, "entries": entries}


@router.get("/audit/verify")
async def audit_verify(rt: RuntimeDep, actor: ActorDep) -> dict[str, Any]:
    """Check the tamper-evidence chain over the whole log; say where it breaks, if it does."""
    check_allowed(actor, "read")
    verdict = await asyncio.to_thread(verify, rt.app, rt.projections.audit)
    return verdict.as_dict()


@router.get("/events")
async def raw_events(
    rt: RuntimeDep, actor: ActorDep,
    after: Position = 0, limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    """The raw global log after a position, for integrators and for catching up."""
    check_allowed(actor, "read")

    def read() -> dict[str, Any]:
        if after >= MAX_POSITION:  # nothing can come after the largest position (and after + 1 fits no store)
            return {"events": [], "last": after}
        facts = decode(rt.app, list(rt.app.recorder.select_notifications(after + 1, limit)))
        events = [{"position": f.position, "type": f.type, "thing": f.thing, "thing_kind": f.thing_kind,
                   "version": f.version, "recorded_at": f.at.isoformat(), "meta": f.meta, "data": _public(data_of(f.event))}
                  for f in facts]
        return {"events": events, "last": events[-1]["position"] if events else after}

    return await asyncio.to_thread(read)


def _public(data: dict[str, Any]) -> dict[str, Any]:
    """A token's or an enrolment code's hash is a credential's fingerprint: integrators see that one was issued,
    not its hash."""
    return {**data, **{k: "redacted" for k in ("secret_hash", "code_hash") if k in data}}
