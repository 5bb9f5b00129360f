"""Who the caller is: the page shapes itself by the token's role (the server still checks every request)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ActorDep

router = APIRouter(tags=["views"])


@router.get("/me")
async def me(actor: ActorDep) -> dict[str, Any]:
    """This token's role, unit and name (what each role may send is in GET /api/v1/config)."""
    return {"id": actor.id, "role": actor.role, "unit": actor.unit, "name": actor.name}
