"""The county's base layers (roads, rivers …): GeoJSON files named by the setting `base_layers`, drawn under
everything on the map so that a command center without a tile server still has a readable base."""
from __future__ import annotations

import asyncio
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter

from api.deps import ActorDep, RuntimeDep
from api.problems import Problem

router = APIRouter(prefix="/base-layers", tags=["views"])


@lru_cache(maxsize=16)
def _read(path: Path, mtime: float) -> dict[str, Any]:
    collection = json.loads(path.read_text(encoding="utf-8"))
    if collection.get("type") != "FeatureCollection":
        raise ValueError(f"{path} is not a GeoJSON FeatureCollection")
    return {"name": collection.get("name") or path.stem, "type": "FeatureCollection", "features": collection["features"]}


@router.get("/{number}", responses={404: {"description": "no base layer of that number"},
                                    503: {"description": "the base layer's file cannot be read"}})
async def base_layer(number: int, actor: ActorDep, rt: RuntimeDep) -> dict[str, Any]:
    """Base layer `number` (0, 1 …, as many as GET /api/v1/config's `base_layers` says), as a FeatureCollection."""
    files = rt.settings.base_layers
    if not 0 <= number < len(files):
        raise Problem(404, "No such base layer", f"this server has {len(files)} base layers (setting base_layers)")
    path = Path(files[number])
    try:
        return await asyncio.to_thread(_read, path, path.stat().st_mtime)
    except (OSError, ValueError, KeyError) as error:
        raise Problem(503, "Base layer unreadable", f"base layer {number} cannot be read ({type(error).__name__}): see the server log") from None
