"""Senders without a token cost the server nothing that others notice: /healthz and the live feed keep their pace.

Two senders post bodies of a megabyte of `[{},{},…]` (the costliest JSON to parse and walk) without a valid
token, as fast as the server takes them; one sender with a token files reports. Quiet and loaded blocks
alternate, so both are measured on the machine as it is at that moment."""
from __future__ import annotations

import os
import socket
import statistics
import threading
import time
from typing import Any

import orjson
import pytest
from websockets.sync.client import connect

from conftest import LiveServer, World

BODY = b"[" + b",".join([b"{}"] * 349_000) + b"]"  # just under the 1 MiB body limit
BLOCKS, ROUNDS = 3, 20


class Feed:
    """A live viewer that notes when each frame arrives."""

    def __init__(self, server: LiveServer, token: str) -> None:
        self.ws = connect(f"{server.ws_url}?access_token={token}", max_size=None, open_timeout=10)
        self.position = orjson.loads(self.ws.recv())["position"]
        self.arrived = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for text in self.ws:
                message = orjson.loads(text)
                if message["type"] == "delta":
                    with self.arrived:
                        self.position = max(self.position, message["position"])
                        self.arrived.notify_all()
        except Exception:  # noqa: BLE001  (closed at the end of the test)
            return

    def wait_for(self, position: int, timeout: float = 10) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.position >= position, timeout), f"no delta for position {position}"


def unauthenticated_sender(port: int, authorization: bytes, loaded: threading.Event, stop: threading.Event,
                           sent: list[int]) -> None:
    request = (b"POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + authorization
               + b"Content-Length: %d\r\n\r\n" % len(BODY)) + BODY
    while not stop.is_set():
        if not loaded.wait(0.05):
            continue
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(request)
                s.recv(200)
        except OSError:
            pass  # the server answered 401 and closed before the body was all sent: as it should
        sent[0] += 1


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


@pytest.mark.embedded_only("the event loop and its middleware are the same in both modes")
def test_senders_without_a_token_do_not_slow_healthz_or_the_live_feed(live_server: LiveServer, live_world: World,
                                                                       http: Any) -> None:
    incident = live_world.incident()
    feed = Feed(live_server, live_world.observer.token)
    loaded, stop = threading.Event(), threading.Event()
    sent = [[0], [0]]
    senders = [threading.Thread(target=unauthenticated_sender, args=(live_server.port, header, loaded, stop, sent[i]), daemon=True)
               for i, header in enumerate((b"", b"Authorization: Bearer lf_not-a-token\r\n"))]
    for sender in senders:
        sender.start()
    health: dict[bool, list[float]] = {False: [], True: []}
    delta: dict[bool, list[float]] = {False: [], True: []}
    counts = [0, 0]
    try:
        for block in range(2 * BLOCKS):
            under_load = block % 2 == 1
            if under_load:
                loaded.set()
                started = [n[0] for n in sent]
                deadline = time.monotonic() + 10
                while any(n[0] < was + 1 for n, was in zip(sent, started)):  # the senders are at it
                    assert time.monotonic() < deadline, "the senders made no request"
                    time.sleep(0.01)
            else:
                loaded.clear()
            for _ in range(ROUNDS):
                t0 = time.perf_counter()
                counts[0] += 1
                answer = live_world.commander.ok(f"/incidents/{incident}/reports", {"new": {"suspected": 1}})
                feed.wait_for(answer["position"])
                delta[under_load].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                assert http.get("/healthz").status_code == 200
                health[under_load].append(time.perf_counter() - t0)
    finally:
        stop.set()
        loaded.set()
        for sender in senders:
            sender.join(timeout=15)
        feed.ws.close()
    assert all(n[0] >= BLOCKS for n in sent), f"each sender kept at it ({sent})"
    for name, samples in (("/healthz", health), ("a live delta", delta)):
        quiet, busy = p95(samples[False]), p95(samples[True])
        print(f"{name}: p95 {quiet * 1000:.1f} ms unloaded, {busy * 1000:.1f} ms beside two senders without a token")
        # Parsing before authentication stalled the loop for seconds (/healthz p95 2.9 s): never again, on any machine.
        assert busy < 0.5, f"{name} p95 {busy * 1000:.0f} ms beside senders without a token (unloaded {quiet * 1000:.1f} ms)"
        if os.environ.get("LIANFANG_SOAK"):  # the goal (3x, 50 ms): the senders share this process's GIL, so on a
            # loaded 2-core machine it is held in `make soak`, not in `make test` (seen: 28 -> 74 ms under CI-like load)
            assert busy < 0.050, f"{name} p95 {busy * 1000:.0f} ms beside senders without a token (unloaded {quiet * 1000:.1f} ms)"
            assert busy <= 3 * quiet, f"{name} p95 {busy * 1000:.1f} ms beside senders, unloaded {quiet * 1000:.1f} ms"
    final = live_world.commander.get(f"/incidents/{incident}").json()["incident"]["counts"]["suspected"]
    assert final == counts[0], "every report of the sender with a token was taken"
