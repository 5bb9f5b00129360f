"""Joint-prevention tasks: assign, claim, progress, complete, refuse, supervise, answer."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api import bodies as b
from api.deps import ActorDep, RuntimeDep, submit
from api.routes.common import ThingId

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.post("", status_code=201, response_model=b.Created)
async def assign_task(body: b.AssignTask, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Assign a joint task (联防联控任务) to a lead unit, with cooperating units and a due time."""
    return await submit(request, rt, actor, "assign_task", body, created=True)


@router.post("/{task_id}/claim", response_model=b.Created)
async def claim_task(task_id: ThingId, request: Request, rt: RuntimeDep, actor: ActorDep, body: b.TaskStep | None = None) -> Any:
    """The lead unit claims the task (认领)."""
    return await submit(request, rt, actor, "claim_task", body, target=task_id, target_field="task")


@router.post("/{task_id}/progress", response_model=b.Created)
async def report_progress(task_id: ThingId, body: b.ReportProgress, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Report progress (percent never goes down)."""
    return await submit(request, rt, actor, "report_progress", body, target=task_id, target_field="task")


@router.post("/{task_id}/complete", response_model=b.Created)
async def complete_task(task_id: ThingId, request: Request, rt: RuntimeDep, actor: ActorDep, body: b.TaskStep | None = None) -> Any:
    """The lead unit marks the task done."""
    return await submit(request, rt, actor, "complete_task", body, target=task_id, target_field="task")


@router.post("/{task_id}/refuse", response_model=b.Created)
async def refuse_task(task_id: ThingId, body: b.RefuseTask, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """The lead unit refuses the task, with a reason."""
    return await submit(request, rt, actor, "refuse_task", body, target=task_id, target_field="task")


@router.post("/{task_id}/supervise", response_model=b.Created)
async def supervise_task(task_id: ThingId, body: b.SuperviseTask, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Issue a supervision notice (督办单) that the lead unit must answer by a deadline."""
    return await submit(request, rt, actor, "supervise_task", body, target=task_id, target_field="task")


@router.post("/{task_id}/answer", response_model=b.Created)
async def answer_supervision(task_id: ThingId, body: b.AnswerSupervision, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """The lead unit answers its oldest open supervision notice."""
    return await submit(request, rt, actor, "answer_supervision", body, target=task_id, target_field="task")
