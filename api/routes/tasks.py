"""Joint-prevention tasks: assign, claim, progress, complete, refuse, supervise, answer."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api import bodies as b
from api.deps import ActorDep, RuntimeDep, caught_up, submit
from api.problems import Problem
from api.routes.common import MinPosition, ThingId, view
from api.unit_names import resolve_unit
from domain.policy import check_allowed

router = APIRouter(prefix="/tasks", tags=["tasks"])
UnitQuery = Annotated[str, Query(min_length=1, max_length=100, description="`me` (the token's own unit), or a unit's id or exact name")]


@router.get("")
async def unit_tasks(rt: RuntimeDep, actor: ActorDep, unit: UnitQuery, min_position: MinPosition = None) -> dict[str, Any]:
    """A unit's task desk (我的任务): the tasks it leads or cooperates on, with colour, due time, progress and
    its open supervision notices (督办单), the ones needing action first."""
    check_allowed(actor, "read")
    if unit == "me":
        if actor.unit is None:
            raise Problem(422, "Invalid input", f"unit=me needs a token of a unit; this {actor.role} token has none: "
                          "name the unit by its id or its exact name instead")
        unit_id = actor.unit
    else:
        unit_id = await resolve_unit(rt, unit, "unit")
    await caught_up(rt, min_position)

    def read(position: int, situation: Any, book: Any) -> dict[str, Any]:
        known = situation.state["units"].get(unit_id)
        if known is None:
            raise Problem(404, "Not found", f"no unit with id {unit_id}; GET /api/v1/units lists them")
        rows = [desk_row(row, unit_id) for row in book.rows() if unit_id == row["lead"] or unit_id in row["cooperating"]]
        rows.sort(key=lambda r: (not r["open"], COLOUR_RANK[r["colour"]], r["due"], r["id"]))
        colours = {"green": 0, "yellow": 0, "red": 0}
        for row in rows:
            colours[row["colour"]] += 1
        return {"position": position, "at": book.now().isoformat(), "unit": dict(known), "colours": colours, "tasks": rows}

    return await view(rt, None, read)


COLOUR_RANK = {"red": 0, "yellow": 1, "green": 2}


def desk_row(row: dict[str, Any], unit_id: str) -> dict[str, Any]:
    """A ledger row as the unit's desk shows it: its part in the task and its unanswered notices."""
    return {**row, "role": "lead" if row["lead"] == unit_id else "cooperating",
            "open": row["state"] in ("assigned", "claimed"),
            "open_supervision": [n for n in row["supervision"] if n["answered_at"] is None]}


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
