"""The live feed: a snapshot, then every delta; one bounded queue per client.

The projection thread publishes each delta once; the hub keeps a ring of recent deltas (to
serve `after=N`) and offers each to every client's queue. A client's sender task coalesces
what is waiting into one frame. A client whose queue overflows is closed with code 4008
and its last delivered position, and resumes with `after=`. Older than the ring: `resync`.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from api.auth import authenticate, bearer
from api.metrics import CLIENTS_DROPPED, DELTAS_SENT
from api.problems import Problem

if TYPE_CHECKING:
    from api.runtime import Runtime

log = logging.getLogger("lianfang.live")
router = APIRouter(tags=["live"])
HEARTBEAT_SECONDS = 15.0
SLOW_CLIENT = 4008
REVOKED = 4401


@dataclass(frozen=True)
class Delta:
    position: int
    at: str
    cause: str
    changes: bytes  # the serialised changes array, shared by every client


@dataclass(eq=False)
class Client:
    queue: asyncio.Queue[Delta]
    position: int = 0
    overflowed: bool = field(default=False)
    last_beat: float = 0.0


class LiveHub:
    def __init__(self, runtime: Runtime, loop: asyncio.AbstractEventLoop, queue_size: int, ring_size: int = 20_000) -> None:
        self.rt = runtime
        self.loop = loop
        self.queue_size = queue_size
        self.ring: deque[Delta] = deque(maxlen=ring_size)
        self.clients: set[Client] = set()
        for position, payload in runtime.broker.recent(ring_size):
            self.ring.append(_parse(payload))
        runtime.broker.subscribe(self._from_broker)

    def __len__(self) -> int:
        return len(self.clients)

    def close(self) -> None:
        self.rt.broker.unsubscribe(self._from_broker)

    def _from_broker(self, position: int, payload: bytes) -> None:
        self.loop.call_soon_threadsafe(self._fan_out, _parse(payload))

    def _fan_out(self, delta: Delta) -> None:
        self.ring.append(delta)
        for client in list(self.clients):
            if client.overflowed:
                continue
            try:
                client.queue.put_nowait(delta)
            except asyncio.QueueFull:
                client.overflowed = True
                CLIENTS_DROPPED.inc()

    def since(self, after: int) -> list[Delta] | None:
        """Deltas after `after` from the ring, or None if the ring no longer reaches back that far."""
        if after >= self.rt.projections.position and not any(d.position >= after for d in self.ring):
            return []
        if self.ring and self.ring[0].position > after + 1 and self.ring[0].cause == "event":
            return None
        if not self.ring and after < self.rt.projections.position:
            return None
        # Time-driven deltas at exactly `after` are resent: they are idempotent upserts.
        return [d for d in self.ring if d.position > after or (d.position == after and d.cause == "time")]

    def snapshot(self, kind: str = "snapshot") -> tuple[int, bytes]:
        projections = self.rt.projections
        with projections.lock:
            position = projections.position
            situation, book = projections.map, projections.ledger
            message = {
                "type": kind, "position": position, "at": situation.now().isoformat(), "drill": self.rt.drill,
                "map": situation.feature_collection(), "counts": situation.counts(), "ledger": book.rows(),
            }
        message["activity"] = projections.audit.query(limit=50, newest_first=True)
        return position, orjson.dumps(message)


def _parse(payload: bytes) -> Delta:
    message = orjson.loads(payload)  # once per delta, not per client
    return Delta(message["position"], message["at"], message.get("cause", "event"), orjson.dumps(message["changes"]))


def frame(deltas: list[Delta]) -> bytes:
    last = deltas[-1]
    if len(deltas) == 1:
        changes = last.changes
    else:
        parts = [d.changes[1:-1] for d in deltas if len(d.changes) > 2]
        changes = b"[" + b",".join(parts) + b"]"
    return (b'{"type":"delta","position":%d,"at":"%s","coalesced":%d,"changes":' % (last.position, last.at.encode(), len(deltas))
            + changes + b"}")


@router.websocket("/live")
async def live(websocket: WebSocket, after: int | None = Query(None, ge=0), access_token: str | None = None) -> None:
    """Snapshot (or the deltas after N), then every delta; heartbeats; slow clients are closed with a resume hint."""
    rt: Runtime = websocket.app.state.runtime
    hub: LiveHub = websocket.app.state.hub
    secret = access_token or bearer(websocket.headers.get("authorization"))
    try:
        actor = await asyncio.to_thread(authenticate, rt.app, secret)
    except Problem as problem:
        await websocket.close(code=4401, reason=problem.detail[:120])
        return
    await websocket.accept()
    client = Client(asyncio.Queue(maxsize=hub.queue_size))
    hub.clients.add(client)  # before the snapshot, so nothing falls between them
    try:
        if after is None:
            client.position, payload = await asyncio.to_thread(hub.snapshot)
            await websocket.send_text(payload.decode())
        else:
            missed = hub.since(after)
            if missed is None:
                client.position, payload = await asyncio.to_thread(hub.snapshot, "resync")
                await websocket.send_text(payload.decode())
            else:
                client.position = after
                if missed:
                    await websocket.send_text(frame(missed).decode())
                    client.position = missed[-1].position
        await _relay(websocket, rt, hub, client, secret)
    except WebSocketDisconnect:
        pass
    finally:
        hub.clients.discard(client)
        log.info("live client %s left at position %d", actor.name or actor.id, client.position)


async def _relay(websocket: WebSocket, rt: Runtime, hub: LiveHub, client: Client, secret: str | None) -> None:
    receiver = asyncio.create_task(_drain_incoming(websocket))
    try:
        while True:
            try:
                first = await asyncio.wait_for(client.queue.get(), timeout=1.0)
            except asyncio.TimeoutError:
                first = None
            if client.overflowed:
                await websocket.close(code=SLOW_CLIENT, reason=f"too slow; resume with after={client.position}")
                return
            if receiver.done():
                return
            if first is None:
                if not await _still_valid(rt, secret):
                    await websocket.close(code=REVOKED, reason="token revoked")
                    return
                now = asyncio.get_running_loop().time()
                if now - client.last_beat >= HEARTBEAT_SECONDS:
                    client.last_beat = now
                    await websocket.send_text(orjson.dumps({"type": "heartbeat", "position": client.position}).decode())
                continue
            waiting = [first]
            while not client.queue.empty():
                waiting.append(client.queue.get_nowait())
            fresh = [d for d in waiting if d.position > client.position or d.cause == "time"]
            if fresh:
                await websocket.send_text(frame(fresh).decode())
                DELTAS_SENT.inc()
                client.position = max(client.position, fresh[-1].position)
    finally:
        receiver.cancel()
        with contextlib.suppress(BaseException):
            await receiver


async def _drain_incoming(websocket: WebSocket) -> None:
    """Clients do not send commands here; reading notices their disconnect."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def _still_valid(rt: Runtime, secret: str | None) -> bool:
    try:
        await asyncio.to_thread(authenticate, rt.app, secret)
    except Problem:
        return False
    return True
