"""Who the caller is: the page shapes itself by the token's role (the server still checks every request)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ActorDep
from api.permissions import MAY

router = APIRouter(tags=["views"])


@router.get("/me")
async def me(actor: ActorDep) -> dict[str, Any]:
    """This token's role, unit and name, and the commands its role may send."""
    return {"id": actor.id, "role": actor.role, "unit": actor.unit, "name": actor.name,
            "may": sorted(command for command, roles in MAY.items() if actor.role in roles)}
