"""The live feed's fan-out per frame tick: what a wall of viewers notices (order, no gaps, no needless drops)."""
from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from api.live_fanout import MAX_FRAME_SECONDS, Client, Fanout, Wire
from conftest import LiveServer, World
from test_live import Feed, report, report_at_once


@pytest.mark.settings(live_frame_ms=300, live_queue=5)
def test_a_healthy_viewer_is_not_dropped_while_deltas_wait_for_the_next_frame(live_server: LiveServer, live_world: World) -> None:
    # Twenty reports in well under the frame interval: more deltas wait for the next frame than the viewer
    # may fall behind, but it reads everything it is sent, so it is not "too slow".
    incident = live_world.incident()
    feed = Feed(live_server, live_world.observer.token).start()
    feed.first()
    report_at_once(live_world, incident)
    head = live_world.head()
    feed.reached(head, timeout=10)
    assert feed.closed is None, f"dropped: {feed.closed}"
    assert feed.positions() == list(range(1, head + 1)), "in order, no gap"
    feed.close()


def test_viewers_that_join_while_reports_flow_see_every_delta_once_in_order(live_server: LiveServer, live_world: World) -> None:
    incident = live_world.incident()
    token = live_world.observer.token
    stop = threading.Event()

    def keep_reporting() -> None:
        while not stop.is_set():
            report(live_world, incident)

    poster = threading.Thread(target=keep_reporting, daemon=True)
    poster.start()
    feeds = []
    try:
        for _ in range(6):  # each joins at another point of the stream: after a tick, between two, during one
            feeds.append(Feed(live_server, token).start())
            feeds[-1].first()
    finally:
        stop.set()
        poster.join(timeout=10)
    head = live_world.head()
    for feed in feeds:
        feed.reached(head, timeout=10)
        assert feed.positions() == list(range(1, head + 1)), "no gap, no duplicate"
        assert feed.closed is None
        feed.close()


class _Outlet:
    """An outlet whose connection takes each write `seconds` late (a loaded machine), or nothing when full."""

    def __init__(self, seconds: float = 0.0, full: bool = False) -> None:
        self.seconds, self.full, self.wires = seconds, full, []

    def ready(self) -> bool:
        return not self.full

    def gone(self) -> bool:
        return False

    def write(self, wire: Wire) -> None:
        time.sleep(self.seconds)
        self.wires.append(wire)


class _Delta:
    def __init__(self, seq: int) -> None:
        self.seq, self.position, self.cause = seq, seq, "event"


class _Hub(Fanout):
    def wire(self, deltas: list[Any]) -> Wire:
        return Wire(b'{"type":"delta","position":%d}' % deltas[-1].position)


def _hub_run(body: Any) -> Any:
    async def main() -> Any:
        hub = _Hub(asyncio.get_running_loop(), queue_size=3, frame_seconds=0.02)
        try:
            return body(hub)
        finally:
            hub.stop_fanout()
    return asyncio.run(main())


def test_under_load_the_frame_interval_widens_but_never_past_its_bound() -> None:
    def body(hub: _Hub) -> tuple[float, float]:
        slow = Client(_Outlet(seconds=0.05), None, 1000)  # a tick's writes take longer than the interval
        hub.clients.add(slow)
        hub.pending = [_Delta(1)]
        started = hub.loop.time()
        hub.tick()
        spent = hub.loop.time() - started
        hub.interval = min(MAX_FRAME_SECONDS, max(hub.frame_seconds, 3.0 * spent))  # as `_ticks` does after a tick
        return hub.interval, spent

    interval, spent = _hub_run(body)
    assert interval > 0.02, "fewer, fuller frames while a tick takes longer than the interval"
    assert interval <= MAX_FRAME_SECONDS, "and never later than the bound"
    assert spent >= 0.05


def test_a_viewer_that_takes_nothing_more_is_dropped_past_its_bound_and_the_others_get_every_frame() -> None:
    def body(hub: _Hub) -> tuple[Client, Client]:
        healthy, stalled = Client(_Outlet(), None, 3), Client(_Outlet(full=True), None, 3)
        hub.clients |= {healthy, stalled}
        for seq in range(1, 6):
            hub.pending = [_Delta(seq)]
            hub.tick()
        return healthy, stalled

    healthy, stalled = _hub_run(body)
    assert [w.payload for w in healthy.outlet.wires][-1] == b'{"type":"delta","position":5}'
    assert len(healthy.outlet.wires) == 5 and healthy.closing is None
    assert stalled.closing == (4008, "too slow; resume with after=0"), "it resumes from the last position it was sent"
    assert stalled.outlet.wires == []
