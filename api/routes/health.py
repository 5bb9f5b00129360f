"""Liveness and Prometheus metrics."""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import RuntimeDep
from api.metrics import LIVE_CLIENTS, PROJECTION_LAG, PROJECTION_POSITION, REGISTRY, STORE_HEAD

router = APIRouter(tags=["health"])


@router.get("/healthz", responses={503: {"description": "the store is unreachable"}})
async def healthz(rt: RuntimeDep) -> Any:
    """Is the store reachable, and how far behind are the projections?"""
    try:
        head = await asyncio.to_thread(rt.app.recorder.max_notification_id) or 0
    except Exception as error:  # noqa: BLE001
        return JSONResponse({"ok": False, "store": f"unreachable: {type(error).__name__}"}, status_code=503)
    position = rt.projections.position
    halted = await asyncio.to_thread(halted_models, rt)
    # Still 200: the process is alive and restarting it would not help; an operator must decide (see `halted`).
    return {"ok": not halted, "store_head": head, "projection_position": position, "projection_lag_events": head - position,
            "drill": rt.drill is not None, "halted": halted}


def halted_models(rt: Any) -> list[dict[str, Any]]:
    """Read models stopped before an event they cannot take: this process's, and the projection worker's."""
    from projections.poison import published

    halted = {h.model: h.as_dict() for h in rt.projections.halts.values()}
    if rt.settings.database_url and not rt.projections.writes:
        try:
            halted |= {h["model"]: h for h in published(rt.settings.database_url)}
        except Exception as error:  # noqa: BLE001
            halted["worker"] = {"model": "worker", "error": f"halts not readable: {type(error).__name__}"}
    return sorted(halted.values(), key=lambda h: h["model"])


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(rt: RuntimeDep) -> Response:
    """Prometheus metrics: requests, latencies, projection lag, live clients, deltas sent."""
    head = await asyncio.to_thread(rt.app.recorder.max_notification_id) or 0
    STORE_HEAD.set(head)
    PROJECTION_POSITION.set(rt.projections.position)
    PROJECTION_LAG.set(head - rt.projections.position)
    LIVE_CLIENTS.set(len(rt_hub(rt)))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def rt_hub(rt: Any) -> Any:
    return getattr(rt, "hub", None) or ()
