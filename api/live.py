"""The live feed's websocket: a snapshot (or what was missed), then every delta; slow or revoked clients are closed.

A client's own side is short: sign-in, the snapshot (or the deltas after `after=N` from the ring; older than
the ring, or ahead of the log: `resync`), then it joins the hub's fan-out (`api/live_fanout.py`), which
writes every frame, heartbeat and close reason to it, and its handler only waits for the client to leave
or to be closed: too slow (4008, with its last delivered position as a resume hint) or its token revoked
(4401). No task, queue or sleep of its own. The hub that feeds the clients, and the snapshots they start
from, are in `api/live_hub.py`.
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Annotated

import orjson
from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from api.auth import Actor, authenticate, bearer
from api.live_fanout import REVOKED, SLOW_CLIENT, Client, TransportOutlet, outlet_for
from api.live_hub import LiveHub, log
from api.problems import PROBLEM, Problem, bounded, is_storage_failure
from domain.application.failures import FAILURES

if TYPE_CHECKING:
    from api.runtime import Runtime

__all__ = ["REVOKED", "SLOW_CLIENT", "LiveHub", "router"]

router = APIRouter(tags=["live"])

CLOSE_WAIT_SECONDS = 10.0  # a client that reads nothing cannot take its close frame; stop waiting then
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
    client = Client(outlet_for(websocket), secret, hub.queue_size, asyncio.current_task())
    hub.joining += 1  # (until it has joined the fan-out: `_serve`)
    try:
        code, reason = await _serve(websocket, hub, client, position, packed)
    finally:
        hub.leave(client)
        _release(hub, actor)
        _left(actor, client)
    if code is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(code=code, reason=reason), CLOSE_WAIT_SECONDS)


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


async def _serve(websocket: WebSocket, hub: LiveHub, client: Client, after: int | None, packed: bool) -> tuple[int | None, str]:
    """Its first messages, then the hub's ticks until it leaves or the hub closes it; the close code, if any."""
    try:
        await _start(websocket, hub, client, after, packed)
    except (WebSocketDisconnect, OSError):
        return None, ""
    except Exception as error:
        resume = f"reconnect with after={client.position}" if client.position else "reconnect"
        if is_storage_failure(error):  # one line per interval while the store is away
            FAILURES.failed("live feed", error, "viewers are closed with 1013 and come back with after=")
            return TRY_AGAIN_LATER, f"the store is unreachable for now; {resume}"
        log.error("live feed failed", exc_info=error)
        return INTERNAL_ERROR, f"server error; {resume}"
    finally:
        hub.joining -= 1
    try:
        await _drain_incoming(websocket)
    except asyncio.CancelledError:
        if client.closing is None:
            raise
        asyncio.current_task().uncancel()  # the hub woke it: close it, with the code it chose
    except (WebSocketDisconnect, OSError):
        pass
    return client.closing or (None, "")


async def _start(websocket: WebSocket, hub: LiveHub, client: Client, after: int | None, packed: bool) -> None:
    """The snapshot (or what was missed since `after`), then join the fan-out, with the ring's deltas since."""
    missed = hub.since(after) if after is not None else None
    if missed is None:
        snapshot, _ = await hub.snapshot(packed)
        current = snapshot.position >= hub.rt.projections.position and not hub.since(snapshot.position)
        kind, at = "snapshot" if after is None else "resync", hub.now() if current else None
        if isinstance(client.outlet, TransportOutlet):  # the shared bytes, not a copy of its own per client
            client.outlet.write_message(snapshot.head(kind, at), snapshot.body)
        else:
            await websocket.send_text(snapshot.message(kind, at))
        client.position = client.audit_ceiling = snapshot.position
        client.audit_floor = snapshot.audit_through
        FAILURES.recovered("live feed")
        if client.audit_floor < client.audit_ceiling:
            hub.late_entries(client, list(hub.ring))
    else:
        client.position = after or 0
    while (missed := hub.since(client.position)) is None:  # the ring overflowed while its snapshot was sent
        snapshot, _ = await hub.snapshot(packed)
        await websocket.send_text(snapshot.message("resync"))
        client.position = snapshot.position
    hub.join(client, missed)  # (no wait from `since` to here: nothing falls between them)


async def _drain_incoming(websocket: WebSocket) -> None:
    """Clients do not send commands here; reading notices their disconnect."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
