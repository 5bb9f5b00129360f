"""What people look at: the situation map, the ledger, the indicators (each says its position)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ActorDep, RuntimeDep, caught_up
from api.page_config import public_drill
from api.routes.common import MinPosition, view
from domain.policy import check_allowed
from projections.indicators import indicators

router = APIRouter(tags=["views"])
At = Annotated[datetime | None, Query(description="ISO-8601 with offset: as it stood then")]


@router.get("/map")
async def situation_map(rt: RuntimeDep, actor: ActorDep, at: At = None, min_position: MinPosition = None) -> dict[str, Any]:
    """The situation map (一张图): one GeoJSON FeatureCollection, with the position it is current to."""
    check_allowed(actor, "read")
    await caught_up(rt, min_position)

    def read(position: int, situation: Any, _: Any) -> dict[str, Any]:
        collection = situation.feature_collection()
        return {**collection, "position": position, "at": (at or situation.now()).isoformat(),
                "counts": situation.counts(), "drill": public_drill(rt.drill)}

    return await view(rt, at, read)


@router.get("/ledger")
async def ledger(rt: RuntimeDep, actor: ActorDep, at: At = None, min_position: MinPosition = None) -> dict[str, Any]:
    """The joint-task ledger (重点工作台账) with each task's colour (三色清单) and why."""
    check_allowed(actor, "read")
    await caught_up(rt, min_position)

    def read(position: int, _: Any, book: Any) -> dict[str, Any]:
        rows = book.rows()
        colours = {"green": 0, "yellow": 0, "red": 0}
        for row in rows:
            colours[row["colour"]] += 1
        return {"position": position, "at": book.now().isoformat(), "colours": colours, "tasks": rows}

    return await view(rt, at, read)


@router.get("/indicators")
async def unit_indicators(rt: RuntimeDep, actor: ActorDep, at: At = None, min_position: MinPosition = None) -> dict[str, Any]:
    """Per-unit indicators (考评指标): tasks on time, median times to claim, progress, close; dispatch times."""
    check_allowed(actor, "read")
    await caught_up(rt, min_position)

    def read(position: int, situation: Any, book: Any) -> dict[str, Any]:
        units = {uid: u["name"] for uid, u in situation.state["units"].items()}
        rows = indicators(book.rows(), list(situation.state["dispatches"].values()), units)
        return {"position": position, "units": rows}

    return await view(rt, at, read)
