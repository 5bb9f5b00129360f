"""The live feed's websocket: a snapshot, then every delta; one bounded queue per client.

A client's sender task coalesces what is waiting into one frame, and sends at most one frame per
`live_frame_ms` (20 ms): at a few hundred deltas a second a wall screen gets fifty frames, not
hundreds, for a 20 ms wait at most (its queue still takes `live_queue` deltas meanwhile). A guard
task per client closes it when its queue overflows (code 4008, with its last delivered position as
a resume hint) or its token is revoked (4401), even while the sender is stuck writing to a client
that stopped reading. Older than the ring, or ahead of the log: `resync`. The hub that feeds the
clients, and the snapshots they start from, are in `api/live_hub.py`.
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Annotated

import orjson
from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from api.auth import Actor, authenticate, bearer
from api.live_hub import TOKEN_CHECK_SECONDS, Client, Delta, LiveHub, frame, log
from api.metrics import DELTAS_SENT
from api.problems import PROBLEM, Problem, bounded, is_storage_failure
from domain.application.failures import FAILURES

if TYPE_CHECKING:
    from api.runtime import Runtime

__all__ = ["LiveHub", "router"]

router = APIRouter(tags=["live"])

HEARTBEAT_SECONDS = 15.0
IDLE_SECONDS = 1.0  # a client idle this long gets its first heartbeat
CLOSE_WAIT_SECONDS = 10.0  # a client that reads nothing cannot take its close frame; stop waiting then
SLOW_CLIENT = 4008
REVOKED = 4401
INTERNAL_ERROR = 1011  # RFC 6455: the server met a condition it did not expect
TRY_AGAIN_LATER = 1013  # the store is unreachable for now
MAX_POSITION = 2**63 - 1
TOKEN_PROTOCOL = "lianfang.bearer"  # offered with the token as the next subprotocol: the token stays out of the URL


def _offered_token(websocket: WebSocket) -> str | None:
    """A browser cannot set a header on a websocket; it offers `[TOKEN_PROTOCOL, token]` as subprotocols instead."""
    offered = list(websocket.scope.get("subprotocols") or [])
    if TOKEN_PROTOCOL in offered and offered.index(TOKEN_PROTOCOL) + 1 < len(offered):
        return offered[offered.index(TOKEN_PROTOCOL) + 1]
    return None


@router.websocket("/live")
async def live(
    websocket: WebSocket,
    after: Annotated[str | None, Query(description="resume after this position of the global log (a whole number)")] = None,
    access_token: Annotated[str | None, Query(description="the token, for clients that can neither set a header nor "
                                              "offer subprotocols; browsers offer [\"lianfang.bearer\", token]")] = None,
    packed: bool = False,
) -> None:
    """Snapshot (or the deltas after N), then every delta; heartbeats; slow or revoked clients are closed.

    `packed=true`: the snapshot's map comes with its features as rows (see the module's docstring)."""
    rt: Runtime = websocket.app.state.runtime
    hub: LiveHub = websocket.app.state.hub
    offered = _offered_token(websocket)
    secret = offered or access_token or bearer(websocket.headers.get("authorization"))
    try:
        actor = await asyncio.to_thread(authenticate, rt.app, secret, rt.tokens)
    except Problem as problem:
        await _refuse(websocket, problem)
        return
    except Exception as error:
        if not is_storage_failure(error):
            raise
        FAILURES.failed("live feed sign-in", error, "new viewers are refused with 503 and Retry-After")
        await _refuse(websocket, Problem(503, "Store unavailable", "the token cannot be checked while the store is "
                                         "unreachable; reconnect shortly", headers={"Retry-After": "2"}))
        return
    try:
        position = _position(after)
    except Problem as problem:
        await _refuse(websocket, problem)
        return
    held = hub.per_token.get(actor.id, 0)
    if held >= rt.settings.live_per_token:
        await _refuse(websocket, Problem(429, "Too many live connections", f"this token already holds {held} live "
                                         f"connections, the most one token may (LIANFANG_LIVE_PER_TOKEN); close one, "
                                         f"or give each screen a token of its own"))
        return
    hub.per_token[actor.id] = held + 1
    try:
        await websocket.accept(subprotocol=TOKEN_PROTOCOL if offered else None)  # never the token itself
    except BaseException:
        _release(hub, actor)
        raise
    client = Client(asyncio.Queue(), hub.queue_size)
    hub.clients.add(client)  # before the first message, so nothing falls between them
    try:
        code, reason = await _serve(websocket, hub, client, position, secret, packed)
        hub.clients.discard(client)
        if code is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(websocket.close(code=code, reason=reason), CLOSE_WAIT_SECONDS)
    finally:
        hub.clients.discard(client)
        _release(hub, actor)
        _left(actor, client)


def _position(after: str | None) -> int | None:
    """`after=N` as a position; anything else a 422, so that it never reads like a refused token."""
    if after is None:
        return None
    if not (after.isascii() and after.isdigit()) or len(after) > 19 or int(after) > MAX_POSITION:
        raise Problem(422, "Invalid input", f"after must be a position of the global log, a whole number from 0 to "
                      f"{MAX_POSITION}, not {after[:40]!r}; leave it out to start from a snapshot")
    return int(after)


def _release(hub: LiveHub, actor: Actor) -> None:
    left = hub.per_token.get(actor.id, 1) - 1
    if left > 0:
        hub.per_token[actor.id] = left
    else:
        hub.per_token.pop(actor.id, None)


def _left(actor: Actor, client: Client) -> None:
    log.info("live client %s left at position %d", actor.name or actor.id, client.position)


async def _refuse(websocket: WebSocket, problem: Problem) -> None:
    """No valid token: an HTTP 401 problem instead of the upgrade, like every other endpoint."""
    body = orjson.dumps({"type": "about:blank", "title": problem.title, "status": problem.status, "detail": bounded(problem.detail)})
    try:
        await websocket.send_denial_response(Response(body, problem.status, problem.headers, PROBLEM))
    except RuntimeError:  # a server without the websocket denial-response extension
        await websocket.close(code=REVOKED, reason=problem.detail[:120])


async def _serve(
    websocket: WebSocket, hub: LiveHub, client: Client, after: int | None, secret: str | None, packed: bool = False,
) -> tuple[int | None, str]:
    """Run the sender, the reader and the guard until one ends; the close code the guard asks for, if any."""
    sender = asyncio.create_task(_send(websocket, hub, client, after, packed))
    reader = asyncio.create_task(_drain_incoming(websocket))
    guard = asyncio.create_task(_guard(hub, client, secret))
    tasks = (sender, reader, guard)
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if guard in done and not guard.cancelled() and guard.exception() is None:
        return guard.result()
    for task in (sender, guard):  # the token check reads the store too
        error = task.exception() if task in done and not task.cancelled() else None
        if error is not None and not isinstance(error, (WebSocketDisconnect, OSError)):
            resume = f"reconnect with after={client.position}" if client.started else "reconnect"
            if is_storage_failure(error):  # one line per interval while the store is away
                FAILURES.failed("live feed", error, "viewers are closed with 1013 and come back with after=")
                return TRY_AGAIN_LATER, f"the store is unreachable for now; {resume}"
            log.error("live feed failed", exc_info=error)
            return INTERNAL_ERROR, f"server error; {resume}"
    return None, ""


async def _send(websocket: WebSocket, hub: LiveHub, client: Client, after: int | None, packed: bool = False) -> None:
    """The snapshot (or what was missed), then every delta, coalescing what waits; heartbeats when idle."""
    missed = hub.since(after) if after is not None else None
    if missed is None:
        snapshot, missed = await hub.snapshot(packed)
        current = snapshot.position >= hub.rt.projections.position and not missed
        await websocket.send_text(snapshot.message("snapshot" if after is None else "resync", hub.now() if current else None))
        client.position = client.audit_ceiling = snapshot.position
        client.audit_floor = snapshot.audit_through
        FAILURES.recovered("live feed")
        await _send_late_entries(websocket, client, list(hub.ring))
    else:
        client.position = after or 0
    if missed:
        await websocket.send_text(hub.frame(missed))
        client.position = max(client.position, missed[-1].position)
    client.started = True
    loop = asyncio.get_running_loop()
    while True:
        try:
            async with asyncio.timeout(IDLE_SECONDS):  # (no task per wait, unlike wait_for)
                first = await client.queue.get()
        except TimeoutError:
            if loop.time() - client.last_beat >= HEARTBEAT_SECONDS:
                client.last_beat = loop.time()
                await websocket.send_text(orjson.dumps({"type": "heartbeat", "position": client.position}).decode())
            continue
        waiting = [first]
        while not client.queue.empty():
            waiting.append(client.queue.get_nowait())
        await _send_late_entries(websocket, client, waiting)
        fresh = [d for d in waiting if d.position > client.position or d.cause == "time"]
        if fresh:
            await websocket.send_text(hub.frame(fresh))
            DELTAS_SENT.inc()
            client.position = max(client.position, fresh[-1].position)
            if hub.frame_seconds:
                await asyncio.sleep(hub.frame_seconds)  # what arrives meanwhile goes in the next frame


async def _send_late_entries(websocket: WebSocket, client: Client, deltas: list[Delta]) -> None:
    """The audit entries of positions the client's snapshot covered but whose entries it lacked, once each, in
    the order of the log, as one frame at the client's own position (its map is already past them)."""
    if client.audit_floor >= client.audit_ceiling:
        return
    late = [d for d in deltas if d.audit and client.audit_floor < d.position <= client.audit_ceiling]
    if late:
        carrier = [Delta(client.position, late[-1].at, "event", d.audit) for d in late]
        await websocket.send_text(frame(carrier).decode())
        client.audit_floor = late[-1].position


async def _guard(hub: LiveHub, client: Client, secret: str | None) -> tuple[int, str]:
    """Ends with a close code when the client must go: its queue overflowed, or its token was revoked."""
    while True:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(client.trouble.wait(), TOKEN_CHECK_SECONDS)
        if client.overflowed:
            return SLOW_CLIENT, f"too slow; resume with after={client.position}"
        if not await hub.still_valid(secret):
            return REVOKED, "token revoked"


async def _drain_incoming(websocket: WebSocket) -> None:
    """Clients do not send commands here; reading notices their disconnect."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
