"""The live hub: one per process, fed by the broker; keeps the ring of recent deltas and the shared snapshots.

The projection thread publishes each delta once; the hub keeps a ring of recent deltas (to
serve `after=N`) and writes them to the clients in step at each frame tick, encoded once for all of them
(`api/live_fanout.py`; `api/live.py` is a client's own side: its snapshot and catch-up).

A snapshot is built once per read-model position and its encoded text is shared by every client
that connects at that position. While snapshots are expensive (a county's map takes a second),
one is rebuilt at most once per few of its own build times: a client arriving in between gets the
latest one and, right after it, the deltas since (from the ring), which is the same stream.

`?packed=true` asks for the snapshot's map in the compact form of `api/packing.py` (the map page
uses it; without it the snapshot is exactly as before). Deltas are not affected.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import orjson

from api.auth import authenticate
from api.live_fanout import Client, Fanout, Wire
from api.packing import no_collector, pack
from api.page_config import public_drill
from api.problems import Problem, is_storage_failure
from api.wire import delta_frame, object_tail, snapshot_message
from domain.application.failures import FAILURES

if TYPE_CHECKING:
    from api.runtime import Runtime

log = logging.getLogger("lianfang.live")

REBUILD_EVERY = 4  # an out-of-date snapshot is reused until it is this many of its build times old
ACTIVITY_WAIT_SECONDS = 2.0  # how long a snapshot waits for the audit trail to reach its position (scale-out)



@dataclass(frozen=True)
class Delta:
    position: int
    at: str
    cause: str
    changes: bytes  # the serialised changes array, shared by every client
    audit: bytes = b""  # only its audit-trail entries, serialised the same way (b"" if it has none)
    seq: int = 0  # this hub's count of deltas, up to this one (positions repeat: time deltas)


@dataclass(frozen=True)
class Snapshot:
    """One encoded snapshot, shared by every client that receives it."""

    position: int
    at: str
    rest: str  # the message after its type, position and time: `"drill":…}`
    built_at: float  # loop time
    build_seconds: float
    audit_through: int = 0  # its activity holds the audit trail up to here (behind `position` if the trail was)
    body: bytes = b""  # `rest`, encoded once for every client (the largest part of the feed's memory otherwise)

    def message(self, kind: str, at: str | None = None) -> str:
        """The whole message; `at` restamps a snapshot still at the head with the time it is sent."""
        return snapshot_message(kind, self.position, at or self.at, self.rest)

    def head(self, kind: str, at: str | None = None) -> bytes:
        """The message up to `body`: its type, position and time."""
        return snapshot_message(kind, self.position, at or self.at, "").encode()


class LiveHub(Fanout):
    def __init__(self, runtime: Runtime, loop: asyncio.AbstractEventLoop, queue_size: int, ring_size: int = 20_000,
                 frame_seconds: float = 0.0) -> None:
        super().__init__(loop, queue_size, frame_seconds)
        self.rt = runtime
        self._frames: dict[tuple[int, ...], tuple[list[Delta], Wire]] = {}  # recent frames, by what they hold
        self.ring: deque[Delta] = deque(maxlen=ring_size)
        self.per_token: dict[str, int] = {}  # live connections each token holds (bounded: live_per_token)
        self._snapshots: dict[bool, Snapshot] = {}  # by packed, the latest built
        self._building: dict[bool, asyncio.Future[Snapshot]] = {}
        self.closed = False
        runtime.broker.subscribe(self._from_broker)
        # Subscribed first, then read: every event after `covered` reaches the ring.
        self.covered = runtime.projections.position

    async def warm(self) -> None:
        """Build the map page's snapshot now, so that the first wall screen to connect need not wait."""
        try:
            await self._build_soon(packed=True)
        except Exception:  # the feed still works: a client then waits for a build of its own
            log.exception("could not build the first snapshot")

    def close(self) -> None:
        self.closed = True
        self.stop_fanout()
        self.rt.broker.unsubscribe(self._from_broker)

    def _from_broker(self, position: int, payload: bytes) -> None:
        message = orjson.loads(payload)  # once per delta, not per client
        changes = message["changes"]
        audit = [c for c in changes if c.get("layer") == "audit"]
        delta = Delta(message["position"], message["at"], message.get("cause", "event"), orjson.dumps(changes),
                      orjson.dumps(audit) if audit else b"")
        self.loop.call_soon_threadsafe(self._fan_out, delta)

    def _fan_out(self, delta: Delta) -> None:
        if len(self.ring) == self.ring.maxlen:
            evicted = self.ring[0]
            # After an evicted event delta the ring is complete; after an evicted time delta, only beyond it.
            self.covered = max(self.covered, evicted.position + (evicted.cause == "time"))
        self.counted += 1
        delta = replace(delta, seq=self.counted)
        self.ring.append(delta)
        self.arrived(delta)

    def wire(self, deltas: list[Delta]) -> Wire:
        """The frame for these deltas, encoded once for every client in step. Keyed by the identity of each
        delta; the entry keeps them alive, so no identity can be reused while it is cached. Long frames (a
        resume, a busy tick) are not kept."""
        if len(deltas) > 64:
            return Wire(frame(deltas))
        key = tuple(map(id, deltas))
        cached = self._frames.get(key)
        if cached is None:
            if len(self._frames) >= 256:
                self._frames.clear()
            cached = self._frames[key] = (deltas, Wire(frame(deltas)))
        return cached[1]

    def late_entries(self, client: Client, deltas: list[Delta]) -> None:
        """The audit entries of positions the client's snapshot covered but whose entries it lacked, once each, in
        the order of the log, as one frame at the client's own position (its map is already past them)."""
        late = [d for d in deltas if d.audit and client.audit_floor < d.position <= client.audit_ceiling]
        if late:
            carrier = [Delta(client.position, late[-1].at, "event", d.audit) for d in late]
            client.outlet.write(Wire(frame(carrier)))
            client.audit_floor = late[-1].position

    def since(self, after: int) -> list[Delta] | None:
        """Deltas after `after` from the ring, or None if the ring cannot serve them all (then: resync)."""
        if after < self.covered or after > self.rt.projections.position:
            return None
        # Time-driven deltas at exactly `after` are resent: they are idempotent upserts.
        return [d for d in self.ring if d.position > after or (d.position == after and d.cause == "time")]

    async def snapshot(self, packed: bool = False) -> tuple[Snapshot, list[Delta]]:
        """A snapshot, and the deltas after it that the ring holds (to be sent right after it).

        The latest one built, if it is at the head, or recent for what it costs and still covered
        by the ring (a rebuild then starts for those who come next); otherwise the build in flight,
        or a new one.
        """
        cached = self._snapshots.get(packed)
        if cached is not None:
            missed = self.since(cached.position)  # at the head: time-driven deltas at its position, if any
            if missed is not None:
                if cached.position >= self.rt.projections.position:
                    return cached, missed
                if self.loop.time() - cached.built_at < REBUILD_EVERY * cached.build_seconds:
                    self._build_soon(packed)
                    return cached, missed
        while True:
            built = await self._build_soon(packed)
            missed = self.since(built.position)
            if missed is not None:  # (None only if the ring overflowed during the build)
                return built, missed

    def _build_soon(self, packed: bool) -> asyncio.Future[Snapshot]:
        """The build in flight for this form, or a new one (one at a time: clients arriving meanwhile share it)."""
        building = self._building.get(packed)
        if building is None:
            building = self._building[packed] = asyncio.ensure_future(asyncio.to_thread(self.build, packed), loop=self.loop)
            building.add_done_callback(lambda done: self._built(packed, done))
        return building

    def _built(self, packed: bool, done: asyncio.Future[Snapshot]) -> None:
        del self._building[packed]
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:
            if not self.closed:  # on the way out, the stores may close under a build
                log.error("building a snapshot failed", exc_info=error)
            return
        latest = self._snapshots.get(packed)
        if latest is None or done.result().position >= latest.position:
            self._snapshots[packed] = done.result()

    def build(self, packed: bool = False) -> Snapshot:
        """Encode the map, counts, ledger and recent activity at the read side's current position.

        Under the projection lock only long enough to copy what the map shows; features are built
        and encoded outside it, so the projection (and every client's deltas) does not wait.
        """
        started = time.perf_counter()
        projections = self.rt.projections
        with no_collector():
            with projections.lock:
                position = projections.position
                situation = projections.map.detached()
                ledger = projections.ledger.rows()
            collection = situation.feature_collection()
            rest = {  # after "type", "position" and "at", in the order the feed has always sent them
                "drill": public_drill(self.rt.drill), "map": pack(collection) if packed else collection, "counts": situation.counts(),
                "ledger": ledger,
            }
            rest["activity"], audit_through = self.activity(position)
            text = object_tail(rest)
            at = situation.now().isoformat()
            del situation, collection, rest  # freed by reference counting, before the collector is back
        return Snapshot(position, at, text, self.loop.time(), time.perf_counter() - started, audit_through, text.encode())

    def activity(self, position: int) -> tuple[list[dict[str, Any]], int]:
        """The newest entries of the audit trail as it stood at `position`, the snapshot's own, and the
        position they reach.

        In scale-out mode the worker writes the trail at its own pace: wait for it (bounded); never show what
        came later. If it is still behind, the entries it writes later, up to `position`, come to the
        snapshot's viewers as their deltas arrive (see `late_entries`)."""
        trail = self.rt.projections.audit
        deadline = time.monotonic() + min(self.rt.settings.read_wait_seconds, ACTIVITY_WAIT_SECONDS)
        trail.refresh()
        while trail.position < position and time.monotonic() < deadline:
            time.sleep(0.02)
            trail.refresh()
        if trail.position < position:
            log.warning("snapshot at position %d: the audit trail is still at %d", position, trail.position)
        return trail.query(limit=50, newest_first=True, through=position), min(position, trail.position)

    def now(self) -> str:
        return self.rt.projections.map.now().isoformat()

    async def still_valid_all(self, secrets: set[str | None]) -> set[str | None]:
        """Which of these tokens are still good: one pass off the loop for every token open on the feed."""
        if not secrets:
            return set()
        try:
            valid = await asyncio.to_thread(self._valid, secrets)
            FAILURES.recovered("live token check")
            return valid
        except Exception as error:
            if not is_storage_failure(error):
                raise
            # The store is away for now: each token was good when last asked (at the latest when it connected),
            # and a wall of viewers is not dropped for it; the check is asked again when the store is back.
            FAILURES.failed("live token check", error, "viewers stay connected until the store is back")
            return secrets

    def _valid(self, secrets: set[str | None]) -> set[str | None]:
        valid = set()
        for secret in secrets:
            try:
                authenticate(self.rt.app, secret, self.rt.tokens)
                valid.add(secret)
            except Problem:
                pass
        return valid


def frame(deltas: list[Delta]) -> bytes:
    return delta_frame(deltas[-1].position, deltas[-1].at, [d.changes for d in deltas])
