"""The live feed's fan-out: one pass per frame tick, the same bytes to every viewer in step.

The hub gathers the deltas that arrive between two ticks; at a tick it encodes them once as one frame
(the websocket frame itself, header and all: a server's frames are not masked, so every viewer's copy is
the same bytes) and writes it to each viewer in step. A viewer's state is its last position written and
a small backlog, used only while its connection does not take more (its kernel and transport buffers are
full); a viewer whose backlog passes `limit` deltas is closed with 4008 and the position to resume
`after=`, and is never waited for. There is no task, queue or sleep per viewer.

The frame interval starts at `live_frame_ms` and widens under load: after a tick whose fan-out took
longer than a share of the interval, the next comes later (at most `MAX_FRAME_SECONDS`), so viewers get
fewer, fuller frames and none later than that. Every `SWEEP_SECONDS` the hub checks each token still
open on the feed (revocation closes a feed within about that, plus the store read), sends heartbeats
to idle viewers and writes out backlogs that can go.

Writes go straight to the connection's transport when the server is uvicorn's websockets (sans-I/O)
protocol; elsewhere (another ASGI server) through the ASGI `send`, one message at a time per viewer.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from api.metrics import CLIENTS_DROPPED, DELTAS_SENT

log = logging.getLogger("lianfang.live")

SLOW_CLIENT = 4008
REVOKED = 4401
SWEEP_SECONDS = 0.5  # token checks, heartbeats, backlogs
MAX_FRAME_SECONDS = 0.25  # the widest the frame interval gets under load
WIDEN = 3.0  # the interval is at least this many times the last tick's fan-out
IDLE_SECONDS = 1.0  # a viewer idle this long gets its first heartbeat
HEARTBEAT_SECONDS = 15.0


class Wire:
    """One message, encoded once: its text (for the ASGI path) and its whole websocket frame (for the transport)."""

    __slots__ = ("payload", "_frame")

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self._frame: bytes | None = None

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = frame_header(len(self.payload)) + self.payload
        return self._frame


def frame_header(size: int) -> bytes:
    """A final, unmasked text frame's header for a payload of `size` bytes (RFC 6455, 5.2)."""
    if size < 126:
        return bytes((0x81, size))
    if size < 65536:
        return bytes((0x81, 126)) + size.to_bytes(2, "big")
    return bytes((0x81, 127)) + size.to_bytes(8, "big")


class TransportOutlet:
    """Writes to uvicorn's websockets protocol's transport, as its own `send` does after encoding a frame."""

    __slots__ = ("protocol", "transport")

    def __init__(self, protocol: Any) -> None:
        self.protocol, self.transport = protocol, protocol.transport

    def ready(self) -> bool:
        return self.protocol.writable.is_set() and not self.gone()

    def gone(self) -> bool:
        return self.protocol.close_sent or self.protocol.disconnected or self.transport.is_closing()

    def write(self, wire: Wire) -> None:
        self.transport.write(wire.frame)

    def write_message(self, head: bytes, body: bytes) -> None:
        """One message of a small head of its own and a large shared body (a snapshot), the body not copied:
        what the connection does not take at once stays in the transport's buffer as a view of it."""
        self.transport.write(frame_header(len(head) + len(body)) + head)
        self.transport.write(body)


class AsgiOutlet:
    """Through the ASGI `send` (any server): messages wait in order while one is being sent."""

    __slots__ = ("websocket", "waiting", "task", "failed")

    def __init__(self, websocket: Any) -> None:
        self.websocket, self.waiting, self.task, self.failed = websocket, [], None, False

    def ready(self) -> bool:
        return not self.waiting and not self.gone()

    def gone(self) -> bool:
        return self.failed

    def write(self, wire: Wire) -> None:
        self.waiting.append(wire)
        if self.task is None:
            self.task = asyncio.ensure_future(self._send())

    async def _send(self) -> None:
        try:
            while self.waiting:
                await self.websocket.send_text(self.waiting[0].payload.decode())
                del self.waiting[0]
        except Exception:  # noqa: BLE001 - the connection went: its handler notices the disconnect
            self.failed = True
        finally:
            self.task = None


def outlet_for(websocket: Any) -> TransportOutlet | AsgiOutlet:
    """The transport of uvicorn's protocol behind `websocket`'s ASGI send (through middleware wrappers), if it is one."""
    protocol = _protocol(websocket._send, 8)  # noqa: SLF001
    return TransportOutlet(protocol) if protocol is not None else AsgiOutlet(websocket)


def _protocol(send: Any, depth: int) -> Any:
    owner = getattr(send, "__self__", None)
    if owner is not None and all(hasattr(owner, a) for a in ("transport", "writable", "close_sent", "disconnected", "conn")):
        return owner
    if depth == 0:
        return None
    for cell in getattr(send, "__closure__", None) or ():
        with contextlib.suppress(ValueError):  # an empty cell
            if callable(cell.cell_contents) and (found := _protocol(cell.cell_contents, depth - 1)) is not None:
                return found
    return None


@dataclass(eq=False, slots=True)
class Client:
    outlet: TransportOutlet | AsgiOutlet
    secret: str | None
    limit: int  # deltas it may fall behind
    task: asyncio.Task | None = None  # its handler, woken (cancelled) when the hub closes it
    position: int = 0  # the last position written to it
    backlog: list = field(default_factory=list)  # (Wire, deltas, position) it could not take yet
    behind: int = 0  # deltas in the backlog
    last_sent: float = 0.0
    last_beat: float = 0.0
    closing: tuple[int, str] | None = None
    overflowed: bool = False  # too slow: closed at the next frame (set by the hub, or by a test)
    # Positions whose audit entries its snapshot lacked (the worker's trail was behind): (floor, ceiling].
    audit_floor: int = 0
    audit_ceiling: int = 0


class Fanout:
    """The viewers in step, and the ticks that write to them (mixed into `api.live_hub.LiveHub`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue_size: int, frame_seconds: float) -> None:
        self.loop = loop
        self.queue_size = queue_size
        self.frame_seconds = frame_seconds
        self.interval = frame_seconds
        self.clients: set[Client] = set()  # in step: every tick writes to them
        self.joining = 0  # connected, still getting their snapshot
        self.pending: list[Any] = []  # deltas since the last tick
        self.ticked = 0  # the hub's count of deltas written out by ticks
        self.counted = 0  # the hub's count of deltas received
        self._wake = asyncio.Event()
        self._next = 0.0
        self.last_tick_seconds = 0.0
        self._tasks = [loop.create_task(self._ticks()), loop.create_task(self._sweeps())]

    def stop_fanout(self) -> None:
        for task in self._tasks:
            task.cancel()

    def __len__(self) -> int:
        return len(self.clients) + self.joining

    def frame(self, deltas: list[Any]) -> str:  # (LiveHub's: the encoded frame for these deltas)
        raise NotImplementedError

    def wire(self, deltas: list[Any]) -> Wire:
        raise NotImplementedError

    async def still_valid_all(self, secrets: set[str | None]) -> set[str | None]:  # (LiveHub's)
        raise NotImplementedError

    # -- ticks ------------------------------------------------------------------------------------

    def arrived(self, delta: Any) -> None:
        self.pending.append(delta)
        self._wake.set()

    async def _ticks(self) -> None:
        loop = self.loop
        while True:
            await self._wake.wait()
            delay = self._next - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # what arrives meanwhile goes in this frame
            self._wake.clear()
            started = loop.time()
            try:
                self.tick()
            except Exception:  # one bad tick must not end the feed for everyone
                log.exception("a live fan-out tick failed")
            spent = self.last_tick_seconds = loop.time() - started
            self.interval = min(MAX_FRAME_SECONDS, max(self.frame_seconds, WIDEN * spent))
            self._next = started + self.interval

    def tick(self) -> None:
        """Write what arrived since the last tick to every viewer in step: one encoding, the same bytes."""
        deltas, self.pending = self.pending, []
        if not deltas:
            return
        self.ticked = deltas[-1].seq
        shared = self.wire(deltas)
        first, last = deltas[0].position, deltas[-1].position
        now = self.loop.time()
        sent = 0
        for client in list(self.clients):
            if client.audit_floor < client.audit_ceiling:
                self.late_entries(client, deltas)
            if client.position < first:
                self._send(client, shared, len(deltas), last, now)
            else:  # its snapshot was built past some of them: only what it lacks (time deltas are idempotent)
                fresh = [d for d in deltas if d.position > client.position or d.cause == "time"]
                if fresh:
                    self._send(client, self.wire(fresh), len(fresh), last, now)
            sent += 1
        DELTAS_SENT.inc(sent)

    def _send(self, client: Client, wire: Wire, count: int, position: int, now: float) -> None:
        outlet = client.outlet
        if client.backlog or client.overflowed or not outlet.ready():
            if outlet.gone():
                self.leave(client)
                return
            client.backlog.append((wire, count, position))
            client.behind += count
            if client.behind > client.limit or client.overflowed:
                client.overflowed = True
                self.drop(client, SLOW_CLIENT, f"too slow; resume with after={client.position}")
                CLIENTS_DROPPED.inc()
            else:
                self._flush(client, now)
            return
        outlet.write(wire)
        client.position = max(client.position, position)
        client.last_sent = now

    def _flush(self, client: Client, now: float) -> None:
        """Write out its backlog, if its connection takes more now."""
        outlet = client.outlet
        while client.backlog and outlet.ready():
            wire, count, position = client.backlog.pop(0)
            outlet.write(wire)
            client.behind -= count
            client.position = max(client.position, position)
            client.last_sent = now

    def late_entries(self, client: Client, deltas: list[Any]) -> None:  # (LiveHub's)
        raise NotImplementedError

    # -- joining and leaving ----------------------------------------------------------------------

    def join(self, client: Client, deltas: list[Any]) -> None:
        """Start ticking to `client`: `deltas` (from the ring, after its position) are written now, those of the
        ring that ticks have written out, at once and whatever its backlog; the rest come with the next tick."""
        done = [d for d in deltas if d.seq <= self.ticked]
        if done:
            client.outlet.write(self.wire(done))
            client.position = max(client.position, done[-1].position)
        client.last_sent = self.loop.time()
        self.clients.add(client)

    def leave(self, client: Client) -> None:
        self.clients.discard(client)

    def drop(self, client: Client, code: int, reason: str) -> None:
        """Stop writing to it; its handler sends the close (after what was written) and ends."""
        self.clients.discard(client)
        if client.closing is None:
            client.closing = (code, reason)
            if client.task is not None:
                client.task.cancel()

    # -- sweeps: tokens, heartbeats, backlogs -----------------------------------------------------

    async def _sweeps(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self.sweep()
            except Exception:
                log.exception("a live feed sweep failed")

    async def sweep(self) -> None:
        clients = list(self.clients)
        valid = await self.still_valid_all({c.secret for c in clients})
        now = self.loop.time()
        beats: dict[int, Wire] = {}
        for client in clients:
            if client.secret not in valid:
                self.drop(client, REVOKED, "token revoked")
            elif client.outlet.gone():
                self.leave(client)
            elif client.backlog:
                self._flush(client, now)
            elif not client.outlet.ready():
                continue
            elif now - client.last_sent >= IDLE_SECONDS and now - client.last_beat >= HEARTBEAT_SECONDS:
                beat = beats.get(client.position)
                if beat is None:
                    beat = beats[client.position] = Wire(b'{"type":"heartbeat","position":%d}' % client.position)
                client.outlet.write(beat)
                client.last_beat = now
