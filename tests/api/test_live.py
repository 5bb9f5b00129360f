"""The live feed over a real uvicorn and the `websockets` client: snapshot, deltas, resume, slow and revoked clients."""
from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.sync.client import ClientConnection, connect
from websockets.uri import parse_uri

from api.main import create_app
from conftest import IN_DONGSHAN, LiveServer, World, build_world, revoke


class Feed:
    """A live-feed client that reads every message in a thread of its own and notes when it came."""

    def __init__(self, server: LiveServer, token: str | None, after: int | None = None, header: bool = False, **options: Any) -> None:
        query = [f"after={after}"] if after is not None else []
        if token and not header:
            query.append(f"access_token={token}")
        headers = {"Authorization": f"Bearer {token}"} if token and header else None
        url = server.ws_url + ("?" + "&".join(query) if query else "")
        self.ws: ClientConnection = connect(url, additional_headers=headers, max_size=None, open_timeout=10, **options)
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self.closed: ConnectionClosed | None = None
        self.closed_at = 0.0
        self._arrived = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)

    def start(self) -> Feed:
        self._reader.start()
        return self

    def _read(self) -> None:
        try:
            while True:
                message = json.loads(self.ws.recv())
                with self._arrived:
                    self.messages.append((time.monotonic(), message))
                    self._arrived.notify_all()
        except ConnectionClosed as closed:
            with self._arrived:
                self.closed, self.closed_at = closed, time.monotonic()
                self._arrived.notify_all()

    def wait(self, done: Any, timeout: float = 5.0) -> Any:
        """Wait until done() is true (checked under the lock); its value."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not (value := done()):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"timed out; got {[m['type'] for _, m in self.messages]} closed={self.closed}"
                self._arrived.wait(remaining)
            return value

    def reached(self, position: int, timeout: float = 5.0) -> float:
        """When the first message at or beyond `position` arrived."""
        return self.wait(lambda: next((t for t, m in self.messages if m["position"] >= position and m["type"] != "heartbeat"), None), timeout)

    def first(self, timeout: float = 5.0) -> dict[str, Any]:
        return self.wait(lambda: self.messages and self.messages[0][1], timeout)

    def positions(self) -> list[int]:
        return positions_of([m for _, m in self.messages])

    def close(self) -> None:
        self.ws.close()
        self._reader.join(timeout=5)


class StalledClient:
    """A websocket client that completes the handshake and then reads nothing (websockets' sans-I/O protocol)."""

    def __init__(self, server: LiveServer, token: str) -> None:
        self.protocol = ClientProtocol(parse_uri(f"{server.ws_url}?access_token={token}"), max_size=None)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: the window stays small
        self.sock.connect(("127.0.0.1", server.port))
        self.protocol.send_request(self.protocol.connect())
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        self.messages: list[dict[str, Any]] = []
        while self.protocol.state is State.CONNECTING:
            self._take(self.sock.recv(4096))

    def _take(self, data: bytes) -> None:
        self.protocol.receive_data(data) if data else self.protocol.receive_eof()
        for event in self.protocol.events_received():
            if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self.messages.append(json.loads(event.data))

    def read_to_the_end(self, timeout: float = 15) -> tuple[int | None, str]:
        """Now read everything that waited, up to the close frame; its code and reason."""
        self.sock.settimeout(timeout)
        while self.protocol.close_rcvd is None and self.protocol.state is not State.CLOSED:
            data = self.sock.recv(65536)
            self._take(data)
            if not data:
                break
        self.sock.close()
        close = self.protocol.close_rcvd
        return (close.code, close.reason) if close else (None, "")

    def positions(self) -> list[int]:
        return positions_of(self.messages)


def positions_of(messages: list[dict[str, Any]]) -> list[int]:
    """Positions of every event the messages carried (each event appends one audit entry)."""
    found: list[int] = []
    for message in messages:
        if message["type"] == "delta":
            found += [c["entry"]["position"] for c in message["changes"] if c.get("layer") == "audit"]
        elif message["type"] in ("snapshot", "resync"):
            found = list(range(1, message["position"] + 1))  # the snapshot stands for everything up to it
    return found


def metric(world: World, name: str) -> float:
    """A value from GET /metrics (counters are per process, so compare before and after)."""
    for line in world.client.get("/metrics", headers=world.observer.headers()).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


def report(world: World, incident: str, n: int = 1) -> dict[str, Any]:
    return world.commander.ok(f"/incidents/{incident}/reports", {"new": {"confirmed": n}})


def report_at_once(world: World, incident: str, senders: int = 4, each: int = 5) -> None:
    """`senders` threads filing `each` reports on the incident, all at once; returns when every one is answered."""
    posters = [threading.Thread(target=lambda: [report(world, incident) for _ in range(each)]) for _ in range(senders)]
    for poster in posters:
        poster.start()
    for poster in posters:
        poster.join()


def test_a_new_client_gets_the_snapshot_at_its_position(live_server: LiveServer, live_world: World) -> None:
    live_world.incident()
    head = live_world.head()
    for header in (False, True):
        feed = Feed(live_server, live_world.observer.token, header=header).start()
        snapshot = feed.first()
        assert snapshot["type"] == "snapshot" and snapshot["position"] == head
        assert snapshot["map"]["type"] == "FeatureCollection" and snapshot["counts"]["open_incidents"] == 1
        feed.close()


def test_a_browser_offers_its_token_as_a_subprotocol_and_it_never_comes_back_or_sits_in_the_address(
    live_server: LiveServer, live_world: World,
) -> None:
    live_world.incident()
    token = live_world.observer.token
    with connect(live_server.ws_url, subprotocols=["lianfang.bearer", token], max_size=None, open_timeout=10) as ws:
        assert ws.subprotocol == "lianfang.bearer"
        assert token not in str(ws.response.headers)
        snapshot = json.loads(ws.recv(timeout=10))
        assert snapshot["type"] == "snapshot" and snapshot["position"] == live_world.head()
    with pytest.raises(InvalidStatus) as refused:
        connect(live_server.ws_url, subprotocols=["lianfang.bearer", "lf_unknown"], open_timeout=10)
    assert refused.value.response.status_code == 401


def test_the_feed_refuses_a_missing_unknown_or_revoked_token_with_401(live_server: LiveServer, live_world: World) -> None:
    revoked = live_world.token("observer")
    revoke(live_world.settings, revoked)
    for token in (None, "lf_unknown", revoked):
        with pytest.raises(InvalidStatus) as refused:
            Feed(live_server, token)
        assert refused.value.response.status_code == 401, token
        assert json.loads(refused.value.response.body)["status"] == 401


@pytest.mark.settings(live_per_token=2)
def test_one_token_holds_at_most_the_configured_live_connections(live_server: LiveServer, live_world: World) -> None:
    url = f"{live_server.ws_url}?access_token={live_world.observer.token}"
    first, second = connect(url, open_timeout=10), connect(url, open_timeout=10)
    try:
        assert json.loads(first.recv())["type"] == "snapshot" and json.loads(second.recv())["type"] == "snapshot"
        with pytest.raises(InvalidStatus) as refused:
            connect(url, open_timeout=10)
        assert refused.value.response.status_code == 429
        problem = json.loads(refused.value.response.body)
        assert problem["title"] == "Too many live connections" and "already holds 2" in problem["detail"]
        other = connect(f"{live_server.ws_url}?access_token={live_world.commander.token}", open_timeout=10)
        assert json.loads(other.recv())["type"] == "snapshot", "another token has its own connections"
        other.close()
    finally:
        first.close()
    deadline = time.monotonic() + 10
    while True:  # the server sees the close at its own pace: then the token has a connection to spare again
        try:
            third = connect(url, open_timeout=10)
            break
        except InvalidStatus:
            assert time.monotonic() < deadline, "a closed connection was never given back to its token"
            time.sleep(0.05)
    assert json.loads(third.recv())["type"] == "snapshot"
    third.close()
    second.close()


def test_a_post_shows_on_the_feed_within_a_second(live_server: LiveServer, live_world: World) -> None:
    incident = live_world.incident()
    feed = Feed(live_server, live_world.as_field["dongshan"].token).start()
    feed.first()
    for n in range(1, 4):
        posted = time.monotonic()
        answer = report(live_world, incident, n)
        assert feed.reached(answer["position"]) - posted < 1.0
    last = feed.messages[-1][1]
    incident_changes = [c for _, m in feed.messages if m["type"] == "delta" for c in m["changes"] if c["layer"] == "incidents"]
    assert incident_changes[-1]["feature"]["properties"]["counts"]["confirmed"] == 3 + 1 + 2 + 3
    assert last["type"] == "delta" and set(last) >= {"type", "position", "changes"}
    assert feed.positions() == list(range(1, live_world.head() + 1))
    feed.close()


@pytest.mark.settings(live_frame_ms=300)
def test_a_busy_feed_sends_at_most_one_frame_per_frame_interval_and_misses_nothing(live_server: LiveServer, live_world: World) -> None:
    incident = live_world.incident()
    feed = Feed(live_server, live_world.observer.token).start()
    feed.first()
    report_at_once(live_world, incident)
    head = live_world.head()
    feed.reached(head)
    frames = [t for t, m in feed.messages if m["type"] == "delta"]
    assert len(frames) < 20, "twenty reports in about a second come in fewer, fuller frames"
    # (the twenty may all come in one frame, when they were quicker than the interval)
    # (the spacing of frames is the hub's: tests/api/test_live_fanout.py; the times this client reads them at are not,
    # since on a loaded machine it reads several frames that waited in its socket at once)
    assert feed.positions() == list(range(1, head + 1))
    feed.close()


def test_resuming_with_after_gives_exactly_the_missed_deltas(live_server: LiveServer, live_world: World) -> None:
    incident = live_world.incident()
    feed = Feed(live_server, live_world.observer.token).start()
    feed.first()
    feed.reached(report(live_world, incident)["position"])
    feed.reached(report(live_world, incident)["position"])
    feed.close()
    seen = feed.positions()
    # While the client is away: more reports, a zone, a dispatch.
    report(live_world, incident, 2)
    live_world.zone(incident)
    live_world.dispatch(incident)
    head = live_world.head()
    resumed = Feed(live_server, live_world.observer.token, after=seen[-1]).start()
    resumed.reached(head)
    assert resumed.messages[0][1]["type"] == "delta"
    missed = resumed.positions()
    assert missed == list(range(seen[-1] + 1, head + 1)), "no gap, no duplicate"
    assert seen + missed == list(range(1, head + 1))
    resumed.close()


def test_a_resume_from_before_this_process_started_is_a_resync(app: Any, settings: Any) -> None:
    with TestClient(create_app(settings)) as client:  # an earlier run of the server on this store
        world = build_world(client, settings)
        world.incident()
        head = world.head()
    with LiveServer(app) as server:
        feed = Feed(server, world.observer.token, after=2).start()
        first = feed.first()
        assert first["type"] == "resync" and first["position"] == head
        assert feed.positions() == list(range(1, head + 1))
        feed.close()


def test_a_resume_ahead_of_the_log_is_a_resync(live_server: LiveServer, live_world: World) -> None:
    head = live_world.head()
    live_world.commander.get("/map", min_position=head)  # the read side has reached the head: the resync is at it
    feed = Feed(live_server, live_world.observer.token, after=head + 100).start()
    first = feed.first()
    assert first["type"] == "resync" and first["position"] == head
    feed.close()


def test_an_idle_feed_sends_heartbeats_with_its_position(live_server: LiveServer, live_world: World) -> None:
    feed = Feed(live_server, live_world.observer.token).start()
    feed.first()
    beat = feed.wait(lambda: next((i for i, (_, m) in enumerate(feed.messages) if m["type"] == "heartbeat"), None), timeout=3)
    assert feed.messages[beat][1]["position"] == feed.messages[beat - 1][1]["position"], "the position last delivered"
    feed.close()


@pytest.mark.settings(live_queue=5)
def test_a_stalled_client_is_closed_with_a_resume_hint_and_never_delays_a_healthy_one(app: Any, settings: Any) -> None:
    # A small kernel send buffer per connection (as on a poor mobile link): a client that stops
    # reading backs the server up after kilobytes rather than the megabytes loopback allows.
    with LiveServer(app, send_buffer=16384) as server, httpx.Client(base_url=server.url, verify=False, timeout=30) as http:
        stalled_client_run(server, build_world(http, settings))


def stalled_client_run(live_server: LiveServer, world: World) -> None:
    incident = world.incident()
    healthy = Feed(live_server, world.observer.token).start()
    healthy.first()
    dropped = metric(world, "lianfang_live_clients_dropped_total")
    stalled = StalledClient(live_server, world.as_field["dongshan"].token)
    delays = []
    while metric(world, "lianfang_live_clients_dropped_total") == dropped:
        assert len(delays) < 300, "the stalled client was never dropped"
        posted = time.monotonic()
        position = report(world, incident)["position"]
        delays.append(healthy.reached(position) - posted)
    for _ in range(5):  # and after it was dropped
        posted = time.monotonic()
        delays.append(healthy.reached(report(world, incident)["position"]) - posted)
    assert max(delays) < 1.0, delays
    assert metric(world, "lianfang_live_clients_dropped_total") == dropped + 1
    assert metric(world, "lianfang_live_clients") == 1, "the stalled client is no longer served"
    # Now the stalled client reads: what was sent, then the close with where to resume.
    code, reason = stalled.read_to_the_end()
    assert code == 4008, (code, reason)
    hint = int(reason.rsplit("after=", 1)[1])
    assert stalled.positions()[-1] == hint
    resumed = Feed(live_server, world.as_field["dongshan"].token, after=hint).start()
    head = world.head()
    resumed.reached(head)
    assert stalled.positions() + resumed.positions() == list(range(1, head + 1))
    for feed in (healthy, resumed):
        feed.close()


def test_revoking_a_token_closes_its_open_feed_within_two_seconds_even_while_this_servers_read_side_lags(
        app: Any, live_server: LiveServer, live_world: World) -> None:
    world = live_world
    token = world.token("field", "dongshan")
    feed = Feed(live_server, token).start()
    feed.first()
    time.sleep(1.5)  # the token has been checked and remembered by now
    read_side = app.state.runtime.projections
    with read_side.lock:  # this process's projections cannot apply the TokenRevoked for now
        revoke(world.settings, token)
        revoked_at = time.monotonic()
        feed.wait(lambda: feed.closed, timeout=5)
    assert feed.closed.rcvd is not None and feed.closed.rcvd.code == 4401
    assert feed.closed_at - revoked_at < 2.0


def test_revoking_a_token_closes_its_open_feed_within_two_seconds_even_when_busy(live_server: LiveServer, live_world: World) -> None:
    world = live_world
    incident = world.incident()
    token = world.token("field", "dongshan")
    feed = Feed(live_server, token).start()
    feed.first()
    busy = threading.Event()

    def keep_posting() -> None:
        while not busy.is_set():
            world.commander.post(f"/incidents/{incident}/reports", {"new": {"close_contacts": 1}})
            time.sleep(0.1)

    poster = threading.Thread(target=keep_posting, daemon=True)
    poster.start()
    try:
        time.sleep(1.5)
        revoke(world.settings, token)  # as `lianfang tokens revoke` does, from another process's store
        revoked_at = time.monotonic()
        feed.wait(lambda: feed.closed, timeout=5)
        assert feed.closed.rcvd is not None and feed.closed.rcvd.code == 4401
        assert feed.closed_at - revoked_at < 2.0
    finally:
        busy.set()
        poster.join(timeout=5)
    assert world.as_field["dongshan"].post("/incidents", {"kind": "cluster", "title": "t", "location": IN_DONGSHAN}).status_code == 201
    assert world.client.post("/api/v1/incidents", json={}, headers={"Authorization": f"Bearer {token}"}).status_code == 401
