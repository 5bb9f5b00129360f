"""Public alerts (预警)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api import bodies as b
from api.deps import ActorDep, RuntimeDep, submit

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.post("", status_code=201, response_model=b.Created)
async def issue_alert(body: b.IssueAlert, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Issue a public alert (CAP 1.2 fields); `GET /alerts/{id}.cap.xml` gives it as CAP 1.2."""
    return await submit(request, rt, actor, "issue_alert", body, created=True)
