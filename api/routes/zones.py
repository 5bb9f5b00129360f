"""Control zones: declare, downgrade one step, lift."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api import bodies as b
from api.deps import ActorDep, RuntimeDep, submit
from api.routes.common import ThingId

router = APIRouter(prefix="/zones", tags=["zones"])


@router.post("", status_code=201, response_model=b.Created)
async def declare_zone(body: b.DeclareZone, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Declare a control zone (封控区 sealed / 管控区 controlled / 防范区 prevention) for an open incident."""
    return await submit(request, rt, actor, "declare_zone", body, created=True)


@router.post("/{zone_id}/downgrade", response_model=b.Created)
async def downgrade_zone(zone_id: ThingId, request: Request, rt: RuntimeDep, actor: ActorDep, body: b.MaybeReason | None = None) -> Any:
    """Downgrade a zone one step: sealed → controlled → prevention."""
    return await submit(request, rt, actor, "downgrade_zone", body, target=zone_id, target_field="zone")


@router.post("/{zone_id}/lift", response_model=b.Created)
async def lift_zone(zone_id: ThingId, request: Request, rt: RuntimeDep, actor: ActorDep, body: b.MaybeReason | None = None) -> Any:
    """Lift a zone."""
    return await submit(request, rt, actor, "lift_zone", body, target=zone_id, target_field="zone")
