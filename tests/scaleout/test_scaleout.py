"""Scale-out end to end: two API processes, projection workers, PostgreSQL and Redis, all real."""
from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
INCIDENT = {"kind": "cluster", "title": "幼儿园发热聚集", "location": [104.06, 30.67], "counts": {"confirmed": 3}}


def post(port: int, token: str, path: str, body: dict, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return httpx.post(f"http://127.0.0.1:{port}/api/v1{path}", json=body, headers=headers, timeout=10)


def event_positions(port: int, token: str) -> list[int]:
    events = httpx.get(f"http://127.0.0.1:{port}/api/v1/events", params={"limit": 5000},
                       headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["events"]
    return [e["position"] for e in events]


async def collect(port: int, token: str, after: int | None, until: int, seen: list[int], timeout: float = 20) -> str:
    """Receive on the live feed until position `until` is seen; returns the first message's type."""
    query = f"access_token={token}" + (f"&after={after}" if after is not None else "")
    first = None
    async with websockets.connect(f"ws://127.0.0.1:{port}/api/v1/live?{query}", max_size=None) as ws:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
            first = first or message["type"]
            if message["type"] == "delta":
                seen += [c["entry"]["position"] for c in message["changes"] if c["layer"] == "audit"]
            if message["type"] in ("snapshot", "resync"):
                seen.append(message["position"])
            if message["position"] >= until:
                return first
    raise AssertionError(f"position {until} never arrived; saw up to {max(seen, default=None)}")


def test_a_command_on_one_process_reaches_a_viewer_on_another(cluster) -> None:
    cluster.worker()
    _, a = cluster.api()
    _, b = cluster.api()
    token = cluster.token()

    async def scenario() -> float:
        async with websockets.connect(f"ws://127.0.0.1:{b}/api/v1/live?access_token={token}", max_size=None) as ws:
            snapshot = json.loads(await ws.recv())
            assert snapshot["type"] == "snapshot"
            started = time.monotonic()
            created = await asyncio.to_thread(post, a, token, "/incidents", INCIDENT)
            assert created.status_code == 201
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if message["type"] == "delta" and message["position"] >= created.json()["position"]:
                    layers = {c["layer"] for c in message["changes"]}
                    assert "incidents" in layers
                    return time.monotonic() - started

    assert asyncio.run(scenario()) < 2.0


def test_api_processes_and_workers_started_at_the_same_moment_on_an_empty_database_all_come_up(cluster) -> None:
    from servers import find_free_port

    ports = [find_free_port() for _ in range(4)]
    started = [(cluster.spawn("serve", "--port", str(port), name=f"api-{port}"), port) for port in ports]
    workers = [cluster.worker(f"worker-{n}") for n in range(2)]
    for process, port in started:
        cluster.ready(process, port)
    token = cluster.token()
    created = post(ports[0], token, "/incidents", INCIDENT)
    assert created.status_code == 201, created.text
    for port in ports:
        assert created.json()["position"] in event_positions(port, token)
    assert all(worker.poll() is None for worker in workers)


def test_a_viewer_resumes_without_a_gap_after_its_api_process_is_killed(cluster) -> None:
    cluster.worker()
    _, a = cluster.api()
    process_b, b = cluster.api()
    token = cluster.token()
    incident = post(a, token, "/incidents", INCIDENT).json()
    seen: list[int] = []
    asyncio.run(collect(b, token, None, incident["position"], seen))
    last = max(seen)
    cluster.kill(process_b)
    # Reports go on through A while B is down.
    for n in range(20):
        assert post(a, token, f"/incidents/{incident['id']}/reports", {"new": {"suspected": 1}}, key=f"r{n}").status_code == 200
    head = max(event_positions(a, token))
    cluster.api(b)
    resumed: list[int] = []
    kind = asyncio.run(collect(b, token, last, head, resumed))
    if kind == "delta":  # served from the stream: exactly the missed positions
        assert sorted(p for p in resumed if p <= head) == [p for p in event_positions(a, token) if last < p <= head]
    else:  # older than the stream holds: a fresh snapshot at or beyond the head
        assert kind == "resync" and resumed[0] >= head - 1


def test_the_standby_worker_takes_over_and_the_read_models_stay_whole(cluster) -> None:
    active = cluster.worker("worker-1")
    time.sleep(1.5)
    cluster.worker("worker-2")
    _, a = cluster.api()
    token = cluster.token()
    incident = post(a, token, "/incidents", INCIDENT).json()
    for n in range(10):
        post(a, token, f"/incidents/{incident['id']}/reports", {"new": {"confirmed": 1}})
    cluster.kill(active)
    for n in range(10):
        post(a, token, f"/incidents/{incident['id']}/reports", {"new": {"confirmed": 1}})
    positions = event_positions(a, token)
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        audit = httpx.get(f"http://127.0.0.1:{a}/api/v1/audit", params={"limit": 1000}, headers=headers).json()
        if audit["position"] >= positions[-1]:
            break
        time.sleep(0.3)
    assert [e["position"] for e in audit["entries"]] == positions  # nothing lost, nothing twice
    verdict = httpx.get(f"http://127.0.0.1:{a}/api/v1/audit/verify", headers=headers).json()
    assert verdict["ok"] and verdict["checked"] == len(positions)
    board = httpx.get(f"http://127.0.0.1:{a}/api/v1/incidents/{incident['id']}", headers=headers).json()
    assert board["incident"]["counts"]["confirmed"] == 3 + 20


def test_with_redis_down_commands_are_acknowledged_and_viewers_miss_nothing(cluster, own_redis) -> None:
    cluster.worker()
    _, a = cluster.api()
    _, b = cluster.api()
    token = cluster.token()
    incident = post(a, token, "/incidents", INCIDENT).json()
    seen: list[int] = []
    asyncio.run(collect(b, token, None, incident["position"], seen))
    last = max(seen)
    own_redis.kill()
    acknowledged = [post(a, token, f"/incidents/{incident['id']}/reports", {"new": {"suspected": 1}}, key=f"d{n}")
                    for n in range(15)]
    assert all(r.status_code == 200 for r in acknowledged)
    own_redis.restart()
    head = max(r.json()["position"] for r in acknowledged)
    resumed: list[int] = []
    kind = asyncio.run(collect(b, token, last, head, resumed, timeout=30))
    expected = [p for p in event_positions(a, token) if last < p <= head]
    if kind == "delta":
        assert sorted(p for p in set(resumed) if p <= head) == expected
    else:
        assert kind == "resync" and resumed[0] >= head - 1
    board = httpx.get(f"http://127.0.0.1:{a}/api/v1/incidents/{incident['id']}", headers={"Authorization": f"Bearer {token}"},
                      params={"min_position": head}).json()
    assert board["incident"]["counts"]["suspected"] == 15
