"""Fixtures for API tests: a fresh app on a tmp store per test, tokens per role, a real uvicorn when needed.

The world has two townships of the demo county (东山镇 and 石桥镇), each a unit with a field team, and
the county health bureau (a department whose jurisdiction is the whole county).
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from api.tokens import create_token, issue_token, open_store
from domain.access import token_hash, token_id
from domain.application.settings import Settings
from modes import projection_worker

COUNTY, DONGSHAN, SHIQIAO = "510199", "510199003", "510199005"
IN_DONGSHAN = [104.2493, 30.6626]  # 松林村 grid of 东山镇
IN_SHIQIAO = [104.0618, 30.5991]  # 石桥社区 grid of 石桥镇
SQUARE_IN_DONGSHAN = {"type": "Polygon", "coordinates": [[[104.24, 30.65], [104.26, 30.65], [104.26, 30.67], [104.24, 30.67], [104.24, 30.65]]]}
BOWTIE = {"type": "Polygon", "coordinates": [[[104.05, 30.66], [104.07, 30.68], [104.07, 30.66], [104.05, 30.68], [104.05, 30.66]]]}
PROBLEM = "application/problem+json"


def due_in(hours: float) -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) + timedelta(hours=hours)).isoformat()


def key() -> str:
    return f"k-{uuid4()}"


def assert_problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """An RFC 9457 problem with this status whose detail names each of `words`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"], body
    for word in words:
        assert word in body["detail"], f"{word!r} not in {body['detail']!r}"
    return body


class Api:
    """One caller of the HTTP API, holding one token (or none)."""

    def __init__(self, client: Any, token: str | None, name: str) -> None:
        self.client, self.token, self.name = client, token, name

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers(headers), **kwargs)

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        return self.client.get(f"/api/v1{path}", params=params, headers=self.headers(headers))

    def ok(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.post(path, json, headers)
        assert response.status_code in (200, 201), f"{self.name} POST {path}: {response.status_code} {response.text}"
        return response.json()

    def created(self, path: str, json: Any = None) -> str:
        return self.ok(path, json)["id"]


@dataclass
class World:
    """Who acts in API tests, and the helpers that set up things for them to act on."""

    client: Any
    settings: Settings
    commander: Api
    observer: Api
    anonymous: Api
    units: dict[str, str] = field(default_factory=dict)
    as_unit: dict[str, Api] = field(default_factory=dict)
    as_field: dict[str, Api] = field(default_factory=dict)

    def token(self, role: str, unit: str | None = None) -> str:
        return create_token(self.settings, role=role, unit=self.units[unit] if unit else None, name=f"{role}-{unit}")

    seen: int = 0

    def head(self) -> int:
        """The last position of the global log, read through GET /events (the log only grows)."""
        while True:
            page = self.commander.get("/events", after=self.seen, limit=5000).json()
            if page["last"] == self.seen:
                return self.seen
            self.seen = page["last"]

    def incident(self, at: list[float] = IN_DONGSHAN, by: Api | None = None, **more: Any) -> str:
        body = {"kind": "cluster", "title": "幼儿园发热聚集", "location": at, "counts": {"confirmed": 3}, **more}
        return (by or self.commander).created("/incidents", body)

    def zone(self, incident: str, kind: str = "sealed") -> str:
        return self.commander.created("/zones", {"incident": incident, "kind": kind, "area": SQUARE_IN_DONGSHAN})

    def resource(self, unit: str = "dongshan", kind: str = "sampling_team", at: list[float] = IN_DONGSHAN, **more: Any) -> str:
        body = {"kind": kind, "name": f"{unit} {kind}", "unit": self.units[unit], "position": at, **more}
        return self.commander.created("/resources", body)

    def dispatch(self, incident: str, kind: str = "sampling_team", step: str = "requested", resource: str | None = None,
                 by: Api | None = None) -> str:
        """A dispatch advanced to `step` (requested, committed, en_route, on_scene) by the commander."""
        dispatch = self.commander.created("/dispatches", {"incident": incident, "kind": kind})
        steps = ["committed", "en_route", "on_scene"]
        for done, path in zip(steps, ["commit", "depart", "arrive"]):
            if step == "requested":
                break
            body = {"resource": resource} if path == "commit" else None
            self.commander.ok(f"/dispatches/{dispatch}/{path}", body)
            if step == done:
                break
        return dispatch

    def task(self, lead: str = "dongshan", cooperating: tuple[str, ...] = ("health",), due_hours: float = 72, **more: Any) -> str:
        body = {"title": "密接人员集中隔离转运", "lead": self.units[lead], "due": due_in(due_hours),
                "cooperating": [self.units[u] for u in cooperating], **more}
        return self.commander.created("/tasks", body)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(**fields): Settings fields for this test's app, e.g. live_queue=5")


@pytest.fixture
def settings(tmp_path: Any, request: pytest.FixtureRequest, backends: dict[str, Any]) -> Iterator[Settings]:
    """This test's settings, in each mode: the embedded store, and scale-out with its projection worker."""
    marker = request.node.get_closest_marker("settings")
    chosen = Settings(**{"data_dir": tmp_path, "read_wait_seconds": 2.0, **backends, **(marker.kwargs if marker else {})})
    with projection_worker(chosen):
        yield chosen


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def build_world(client: Any, settings: Settings) -> World:
    with open_store(settings) as store:
        commander = Api(client, issue_token(store, role="commander", unit=None, name="县指挥部"), "commander")
        world = World(client, settings, commander, Api(client, issue_token(store, role="observer", unit=None, name="观察员"), "observer"),
                      Api(client, None, "anonymous"))
        for name, kind, code in (("health", "department", COUNTY), ("dongshan", "township", DONGSHAN), ("shiqiao", "township", SHIQIAO)):
            world.units[name] = commander.created("/units", {"name": name, "kind": kind, "jurisdiction": code})
        for name, unit in world.units.items():
            world.as_unit[name] = Api(client, issue_token(store, role="unit", unit=unit, name=f"unit-{name}"), f"unit:{name}")
            world.as_field[name] = Api(client, issue_token(store, role="field", unit=unit, name=f"field-{name}"), f"field:{name}")
    return world


@pytest.fixture
def world(client: TestClient, settings: Settings) -> World:
    return build_world(client, settings)


def revoke(settings: Settings, secret: str) -> None:
    from api.tokens import revoke_token

    revoke_token(settings, str(token_id(token_hash(secret))))


# -- a real uvicorn, for websockets and real concurrency ------------------------------------------


class LiveServer:
    """The app served by uvicorn in a thread, on a free loopback port."""

    def __init__(self, app: FastAPI, send_buffer: int | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if send_buffer:  # accepted connections inherit it: a slow reader backs up after kilobytes, not megabytes
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3, ws_ping_interval=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/live"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30, verify=False) as client:  # plain HTTP: skip loading CA certificates
        yield client


@pytest.fixture
def live_world(http: httpx.Client, settings: Settings) -> World:
    """The same world, reached over real HTTP through uvicorn."""
    return build_world(http, settings)
