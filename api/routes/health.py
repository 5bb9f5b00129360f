"""Liveness, what is wrong if anything, and Prometheus metrics.

/healthz answers within a second whatever happens: each check runs with a deadline of its own, the
database is probed on a connection of its own with a short timeout (never through the library's retry).
Each check adds its findings to `problems` (one short reason each) and its figures to the answer.
"""
from __future__ import annotations

import asyncio
import errno
import shutil
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ActorDep, RuntimeDep
from api.metrics import LIVE_CLIENTS, PROJECTION_LAG, PROJECTION_POSITION, REGISTRY, STORE_HEAD
from domain.application.failures import FAILURES
from domain.policy import check_allowed
from projections.postgres import LOCK_KEY, REBUILT, TRACKING

router = APIRouter(tags=["health"])
PROBE_SECONDS = 0.8
BEHIND_EVENTS = 1000  # the stored read models this far behind the log head: ok is false
DISK_FREE_BYTES = 4 * 1024 * 1024

Check = Callable[[Any, dict[str, Any], list[str]], Awaitable[None]]


def _probe_postgres(dsn: str, table: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True, connect_timeout=1) as db:
        db.execute("SET statement_timeout = 700")
        head = db.execute(f"SELECT coalesce(max(notification_id), 0) FROM {table}").fetchone()[0]  # noqa: S608
        if db.execute("SELECT to_regclass(%s) IS NULL", (TRACKING,)).fetchone()[0]:
            return {"head": head, "stored": 0, "worker": False}
        tracked = db.execute(f"SELECT min(notification_id) FROM {TRACKING} WHERE application_name <> '__migration__' "  # noqa: S608
                             f"AND application_name NOT LIKE %s", ("%" + REBUILT,)).fetchone()[0]
        worker = db.execute("SELECT count(*) FROM pg_locks WHERE locktype='advisory' AND granted AND classid=0 "
                            "AND objid=%s AND objsubid=1", (LOCK_KEY,)).fetchone()[0]
    return {"head": head, "stored": tracked or 0, "worker": worker > 0}


async def store_check(rt: Any, answer: dict[str, Any], problems: list[str]) -> None:
    """The store answers; in scale-out also the stored read models' position and whether a worker holds the lock."""
    try:
        if rt.settings.database_url and not rt.projections.writes:
            found = await asyncio.wait_for(asyncio.to_thread(_probe_postgres, rt.settings.database_url, rt.app.recorder.events_table_name), PROBE_SECONDS)
            head, stored = found["head"], found["stored"]
            answer["worker_running"] = found["worker"]
            if not found["worker"]:
                problems.append("projection worker not running")
        else:
            head = await asyncio.wait_for(asyncio.to_thread(rt.app.recorder.max_notification_id), PROBE_SECONDS) or 0
            stored = rt.projections.position
    except Exception as error:  # noqa: BLE001  (timeouts included)
        answer["store"] = "unreachable"
        problems.append(f"database unreachable ({type(error).__name__})")
        return
    answer.update(store="ok", store_head=head, projection_position=rt.projections.position,
                  projection_lag_events=head - rt.projections.position,
                  read_models={"position": stored, "lag_events": head - stored})
    if head - stored >= BEHIND_EVENTS:
        problems.append(f"read models behind by {head - stored} events")


async def writes_check(rt: Any, answer: dict[str, Any], problems: list[str]) -> None:
    """Writes failing now (from the writer's own record), and the data directory's free space."""
    failing = FAILURES.active().get("commit")
    if failing is not None:
        full = "No space left" in failing.last_error or "disk is full" in failing.last_error
        problems.append(("disk full: " if full else "writes failing: ") + failing.last_error)
        answer["writes_failing_since"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(failing.since))
    try:
        free = shutil.disk_usage(rt.settings.data_dir).free
    except OSError as error:
        if error.errno != errno.ENOENT:
            problems.append(f"data directory unreadable ({error.strerror})")
        return
    answer["data_dir_free_bytes"] = free
    if free < DISK_FREE_BYTES and not any(p.startswith("disk full") for p in problems):
        problems.append(f"disk full: {free} bytes free in the data directory")


async def halted_check(rt: Any, answer: dict[str, Any], problems: list[str]) -> None:
    """Read models stopped before an event they cannot take (a poisoned event): an operator must decide."""
    try:
        halted = await asyncio.wait_for(asyncio.to_thread(halted_models, rt), PROBE_SECONDS)
    except TimeoutError:
        halted = [{"model": "worker", "error": "halts not readable in time"}]
    answer["halted"] = halted
    problems += [f"read model {h['model']} halted" for h in halted]


CHECKS: list[Check] = [store_check, writes_check, halted_check]


@router.get("/healthz", responses={503: {"description": "the store is unreachable or cannot be written"}})
async def healthz(rt: RuntimeDep) -> Any:
    """ok, or what is wrong: database unreachable, disk full, read models behind or no worker running."""
    answer: dict[str, Any] = {"ok": True, "drill": rt.drill is not None}
    problems: list[str] = []
    for check in CHECKS:
        await check(rt, answer, problems)
    answer["ok"] = not problems
    answer["problems"] = problems
    cannot_write = answer.get("store") != "ok" or "writes_failing_since" in answer or any(p.startswith("disk full") for p in problems)
    return JSONResponse(answer, status_code=503 if cannot_write else 200)


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
