"""Shared pieces of the routes."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Path, Query

from api.problems import Problem
from domain.errors import InvalidInput
from domain.times import time_of

ThingId = Annotated[str, Path(min_length=1, max_length=64, description="the thing's id (UUID)")]
MAX_POSITION = 2**63 - 1  # positions are SQLite/PostgreSQL 64-bit integers
Position = Annotated[int, Query(ge=0, le=MAX_POSITION, description="a position in the global log")]
MinPosition = Annotated[int | None, Query(ge=0, le=MAX_POSITION, description="wait until the read model has reached this position")]
T = TypeVar("T")


async def view(rt: Any, at: datetime | None, read: Callable[[int, Any, Any], T]) -> T:
    """Run `read(position, situation_map, ledger)` on the live read side, or as it stood at `at`."""
    if at is None:
        def live() -> T:
            with rt.projections.lock:  # the projection thread mutates these; read a consistent state
                return read(rt.projections.position, rt.projections.map, rt.projections.ledger)
        return await asyncio.to_thread(live)
    check_offset(at, "at")
    position, situation, ledger = await asyncio.to_thread(rt.projections.as_of, at)
    return read(position, situation, ledger)


def check_offset(moment: datetime | None, name: str) -> None:
    """Times in queries are compared with recorded times: they need their UTC offset, and they keep to the
    bounds of every time the server takes (domain.times)."""
    if moment is None:
        return
    if moment.tzinfo is None:
        raise Problem(422, "Invalid input", f"{name} needs a UTC offset, e.g. 2026-03-01T08:00:00+08:00")
    try:
        time_of(moment, name)
    except InvalidInput as error:
        raise Problem(422, "Invalid input", error.detail) from None
