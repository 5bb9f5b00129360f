"""Resources: register, position updates."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api import bodies as b
from api.deps import ActorDep, RuntimeDep, submit
from api.routes.common import ThingId

router = APIRouter(prefix="/resources", tags=["resources"])


@router.post("", status_code=201, response_model=b.Created)
async def register_resource(body: b.RegisterResource, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Register a resource (team, vehicle, site, supplies) owned by a unit."""
    return await submit(request, rt, actor, "register_resource", body, created=True)


@router.post("/{resource_id}/position", response_model=b.Created)
async def move_resource(resource_id: ThingId, body: b.MoveResource, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """A field team's or vehicle's position update."""
    return await submit(request, rt, actor, "move_resource", body, target=resource_id, target_field="resource")
