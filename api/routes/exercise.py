"""The demo's exercise (`serve --demo`): a one-time link into the drill store that plays beside the live one."""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from api.deps import ActorDep, RuntimeDep
from api.problems import Problem

router = APIRouter(prefix="/exercise", tags=["views"])


@router.post("/sign-in", status_code=201, responses={404: {"description": "this server plays no exercise"}})
async def sign_in_to_exercise(actor: ActorDep, rt: RuntimeDep) -> dict[str, Any]:
    """A one-time sign-in link (observer) to the exercise's own map: its store, its tokens, marked as an exercise."""
    if rt.exercise is None or rt.exercise.runtime is None:
        raise Problem(404, "No exercise", "this server plays no exercise: `lianfang serve --demo` plays the bundled drill")
    made = await asyncio.to_thread(rt.exercise.sign_in, f"演练观摩（{actor.name or actor.role}）")
    return {**rt.exercise.public(), "link": made.link(rt.exercise.url, phone=False), "expires_at": made.expires_at.isoformat()}
