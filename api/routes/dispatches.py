"""Dispatches: request, then commit → depart → arrive → release, or cancel."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api import bodies as b
from api.deps import ActorDep, RuntimeDep, submit
from api.routes.common import ThingId

router = APIRouter(prefix="/dispatches", tags=["dispatches"])


@router.post("", status_code=201, response_model=b.Created)
async def request_dispatch(body: b.RequestDispatch, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Request a resource of a kind for an incident."""
    return await submit(request, rt, actor, "request_dispatch", body, created=True)


@router.post("/{dispatch_id}/commit", response_model=b.Created)
async def commit_dispatch(dispatch_id: ThingId, body: b.CommitDispatch, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Commit a named resource of the requested kind."""
    return await submit(request, rt, actor, "commit_dispatch", body, target=dispatch_id, target_field="dispatch")


def _step(name: str, summary: str) -> Any:
    async def step(dispatch_id: ThingId, request: Request, rt: RuntimeDep, actor: ActorDep, body: b.DispatchStep | None = None) -> Any:
        return await submit(request, rt, actor, name, body, target=dispatch_id, target_field="dispatch")

    step.__doc__ = summary
    step.__name__ = name
    return step


for path, command, summary in (
    ("depart", "depart", "The committed resource has set off."),
    ("arrive", "arrive", "The resource is on scene."),
    ("release", "release", "The resource is released and free again."),
    ("cancel", "cancel_dispatch", "Cancel a requested or committed dispatch."),
):
    router.add_api_route(f"/{{dispatch_id}}/{path}", _step(command, summary), methods=["POST"], response_model=b.Created)
