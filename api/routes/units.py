"""Responsible units (责任单位)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api import bodies as b
from api.deps import ActorDep, RuntimeDep, caught_up, submit
from api.routes.common import MinPosition, view
from domain.policy import check_allowed

router = APIRouter(prefix="/units", tags=["units"])


@router.post("", status_code=201, response_model=b.Created)
async def register_unit(body: b.RegisterUnit, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Register a responsible unit: a county department or a township (commander only)."""
    return await submit(request, rt, actor, "register_unit", body, created=True)


@router.get("")
async def list_units(rt: RuntimeDep, actor: ActorDep, min_position: MinPosition = None) -> dict[str, Any]:
    """Every registered unit."""
    check_allowed(actor, "read")
    await caught_up(rt, min_position)
    return await view(rt, None, lambda p, m, _: {"position": p, "units": [dict(u) for u in m.state["units"].values()]})
