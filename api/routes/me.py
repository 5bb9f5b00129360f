"""Who the caller is: the page shapes itself by the token's role (the server still checks every request)."""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from api.deps import ActorDep, RuntimeDep
from api.unit_names import units_now

router = APIRouter(tags=["views"])


@router.get("/me")
async def me(actor: ActorDep, rt: RuntimeDep) -> dict[str, Any]:
    """This token's role, unit (its id and name) and name (what each role may send is in GET /api/v1/config)."""
    unit_name = None
    if actor.unit is not None:
        unit_name = (await asyncio.to_thread(units_now, rt)).get(actor.unit, {}).get("name")
    return {"id": actor.id, "role": actor.role, "unit": actor.unit, "unit_name": unit_name, "name": actor.name}
