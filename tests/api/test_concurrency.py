"""Races with real threads, over real HTTP (uvicorn), against the real SQLite store."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from conftest import IN_DONGSHAN, LiveServer, World, key

THREADS = 50


def race(server: LiveServer, calls: list[tuple[str, str, dict[str, Any], dict[str, str]]]) -> list[httpx.Response]:
    """Fire every call (token, path, body, headers) at once, each from its own thread and connection."""
    start = threading.Barrier(len(calls))

    def fire(call: tuple[str, str, dict[str, Any], dict[str, str]]) -> httpx.Response:
        token, path, body, headers = call
        start.wait()
        return client.post(f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}", **headers})

    with connections(server, len(calls)) as client, ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(fire, calls))


def connections(server: LiveServer, size: int) -> httpx.Client:
    """One pool of `size` keep-alive connections, shared by the threads (httpx.Client is thread-safe)."""
    return httpx.Client(base_url=server.url, timeout=60, verify=False, limits=httpx.Limits(max_connections=size))


def test_one_winner_per_version_and_counts_are_the_sum_of_what_was_acknowledged(live_server: LiveServer, live_world: World) -> None:
    world = live_world
    incident = world.incident()  # confirmed: 3, version 1
    teams = [world.as_field["dongshan"].token, world.as_field["health"].token, world.as_unit["dongshan"].token, world.commander.token]
    # Round one: everybody holds version 1; exactly one of them may write.
    calls = [(teams[i % 4], f"/incidents/{incident}/reports", {"new": {"confirmed": 1 + i % 3}}, {"If-Match": "1"}) for i in range(THREADS)]
    responses = race(live_server, calls)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: THREADS - 1}, statuses
    acknowledged = [calls[i][2]["new"]["confirmed"] for i, r in enumerate(responses) if r.status_code == 200]
    # Round two: every thread retries with the version it last saw until it wins.
    versions: list[int] = [r.json()["version"] for r in responses if r.status_code == 200]
    lock = threading.Lock()

    def until_accepted(i: int) -> None:
        auth = {"Authorization": f"Bearer {teams[i % 4]}"}
        for _ in range(500):
            current = client.get(f"/api/v1/incidents/{incident}", headers=auth).json()["incident"]["version"]
            response = client.post(f"/api/v1/incidents/{incident}/reports", json={"new": {"suspected": 1}},
                                   headers={**auth, "If-Match": str(current)})
            assert response.status_code in (200, 409), response.text
            if response.status_code == 200:
                with lock:
                    versions.append(response.json()["version"])
                return
        raise AssertionError("never won a version")

    with connections(live_server, 10) as client, ThreadPoolExecutor(10) as pool:
        list(pool.map(until_accepted, range(10)))
    assert sorted(versions) == list(range(2, 2 + 1 + 10)), "each version is acknowledged exactly once"
    head = world.head()
    counts = world.observer.get(f"/incidents/{incident}", min_position=head).json()["incident"]["counts"]
    assert counts["confirmed"] == 3 + sum(acknowledged) and counts["suspected"] == 10


def test_without_if_match_concurrent_reports_all_count(live_server: LiveServer, live_world: World) -> None:
    world = live_world
    incident = world.incident()
    calls = [(world.as_field["dongshan"].token, f"/incidents/{incident}/reports", {"new": {"close_contacts": 2}}, {}) for _ in range(THREADS)]
    responses = race(live_server, calls)
    assert Counter(r.status_code for r in responses) == {200: THREADS}
    assert sorted(r.json()["version"] for r in responses) == list(range(2, THREADS + 2))
    assert len({r.json()["position"] for r in responses}) == THREADS
    counts = world.observer.get(f"/incidents/{incident}", min_position=max(r.json()["position"] for r in responses)).json()
    assert counts["incident"]["counts"]["close_contacts"] == 2 * THREADS


def test_the_same_key_at_once_creates_one_incident_and_answers_it_to_all(live_server: LiveServer, live_world: World) -> None:
    world = live_world
    k = key()
    body = {"kind": "food_poisoning", "title": "食堂聚餐", "location": IN_DONGSHAN, "counts": {"suspected": 12}}
    before = world.head()
    responses = race(live_server, [(world.as_field["dongshan"].token, "/incidents", body, {"Idempotency-Key": k})] * THREADS)
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    assert world.head() == before + 1  # the incident, nothing more (its key is kept beside it, no event)


def test_the_same_key_with_different_bodies_at_once_lets_one_win(live_server: LiveServer, live_world: World) -> None:
    world = live_world
    k = key()
    before = world.head()
    calls = [(world.commander.token, "/incidents", {"kind": "cluster", "title": f"事件{i}", "location": IN_DONGSHAN}, {"Idempotency-Key": k})
             for i in range(20)]
    responses = race(live_server, calls)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 19}
    assert world.head() == before + 1
