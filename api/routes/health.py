"""Liveness and Prometheus metrics."""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ActorDep, RuntimeDep
from api.permissions import check_allowed
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
    return {"ok": True, "store_head": head, "projection_position": position, "projection_lag_events": head - position,
            "drill": rt.drill is not None}


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(rt: RuntimeDep, actor: ActorDep) -> Response:
    """Prometheus metrics: requests, latencies, projection lag, live clients, deltas sent (with any valid token)."""
    check_allowed(actor, "read")
    head = await asyncio.to_thread(rt.app.recorder.max_notification_id) or 0
    STORE_HEAD.set(head)
    PROJECTION_POSITION.set(rt.projections.position)
    PROJECTION_LAG.set(head - rt.projections.position)
    LIVE_CLIENTS.set(len(rt_hub(rt)))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def rt_hub(rt: Any) -> Any:
    return getattr(rt, "hub", None) or ()
