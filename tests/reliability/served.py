"""The system under test as real processes: `lianfang serve` and `lianfang projections run`, killed for real.

Helpers shared by the reliability tests: the server subprocess, tokens, a small world of units,
reading the whole global log, and checking a command's events by its Idempotency-Key.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from api.tokens import create_token
from domain.application.settings import Settings
from servers import find_free_port

LIANFANG = str(Path(sys.executable).parent / "lianfang")
COUNTY, DONGSHAN, SHIQIAO = "510199", "510199003", "510199005"
IN_DONGSHAN = [104.2493, 30.6626]
IN_SHIQIAO = [104.0618, 30.5991]
SQUARE_IN_DONGSHAN = {"type": "Polygon", "coordinates": [[[104.24, 30.65], [104.26, 30.65], [104.26, 30.67],
                                                           [104.24, 30.67], [104.24, 30.65]]]}
PROBLEM = "application/problem+json"


def sizes(small: int, full: int) -> list[Any]:
    """`make test` runs the small size; `make soak` (LIANFANG_SOAK=1) the full one."""
    return [pytest.param(small, id=f"n{small}"), pytest.param(full, id=f"n{full}", marks=pytest.mark.soak)]


def due_in(hours: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).isoformat()


def key() -> str:
    return f"k-{uuid4()}"


def clean_env(**settings: str) -> dict[str, str]:
    """This environment without the caller's LIANFANG_* settings, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANFANG_")}
    env.update({f"LIANFANG_{k.upper()}": v for k, v in settings.items()})
    return env


def _deathsig() -> list[str]:
    """Ask the kernel to SIGKILL the child if this test process dies first."""
    from shutil import which

    return ["setpriv", "--pdeathsig", "KILL", "--"] if which("setpriv") else []


class Process:
    """One `lianfang` subprocess in its own session, its output appended to a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([*_deathsig(), LIANFANG, *self.args], env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: a crash, with no shutdown work at all."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.running:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.is_file() else ""


class Server(Process):
    """`lianfang serve` on a fixed free port; restarts come back on the same port and store."""

    def __init__(self, data_dir: Path, log: Path, **settings: str) -> None:
        self.port = find_free_port()
        self.data_dir = Path(data_dir)
        env = clean_env(data_dir=str(data_dir), **settings)
        super().__init__(["serve", "--port", str(self.port)], env, log)
        self.settings = Settings(_env_file=None, data_dir=self.data_dir, database_url=settings.get("database_url"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"lianfang serve exited:\n{self.output()[-4000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"lianfang serve did not answer in {timeout}s:\n{self.output()[-4000:]}")

    def token(self, role: str, unit: str | None = None, name: str | None = None) -> str:
        return create_token(self.settings, role=role, unit=unit, name=name or f"{role}-{uuid4().hex[:6]}")

    def caught_up(self, timeout: float = 30) -> int:
        """Wait until the read side has every committed event; the store head."""
        deadline = time.monotonic() + timeout
        while True:
            health = httpx.get(f"{self.url}/healthz", timeout=5).json()
            if health["projection_lag_events"] == 0 or time.monotonic() > deadline:
                assert health["projection_lag_events"] == 0, health
                return health["store_head"]
            time.sleep(0.05)

    def head(self) -> int:
        return httpx.get(f"{self.url}/healthz", timeout=5).json()["store_head"]


class Api:
    """Synchronous HTTP calls with one token."""

    def __init__(self, client: httpx.Client, token: str) -> None:
        self.client, self.token = client, token

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    def post(self, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers(**headers))

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(f"/api/v1{path}", params=params, headers=self.headers())

    def created(self, path: str, body: Any = None) -> dict[str, Any]:
        response = self.post(path, body, **{"Idempotency-Key": key()})
        assert response.status_code in (200, 201), f"POST {path}: {response.status_code} {response.text}"
        return response.json()


@dataclass
class World:
    """Units of the demo county and tokens that act for them, on one running server."""

    server: Server
    client: httpx.Client
    commander: Api
    units: dict[str, str] = field(default_factory=dict)
    unit_tokens: dict[str, str] = field(default_factory=dict)
    field_tokens: dict[str, str] = field(default_factory=dict)
    observer_token: str = ""

    @classmethod
    def build(cls, server: Server, client: httpx.Client) -> World:
        world = cls(server, client, Api(client, server.token("commander", name="县指挥部")))
        for name, kind, code in (("health", "department", COUNTY), ("dongshan", "township", DONGSHAN),
                                 ("shiqiao", "township", SHIQIAO)):
            world.units[name] = world.commander.created("/units", {"name": f"{name}-{uuid4().hex[:6]}", "kind": kind,
                                                                   "jurisdiction": code})["id"]
        for name, unit in world.units.items():
            world.unit_tokens[name] = server.token("unit", unit)
            world.field_tokens[name] = server.token("field", unit)
        world.observer_token = server.token("observer")
        return world

    def tokens(self) -> dict[str, str]:
        """One token of each role (the unit and field ones act for 东山镇)."""
        return {"commander": self.commander.token, "unit": self.unit_tokens["dongshan"],
                "field": self.field_tokens["dongshan"], "observer": self.observer_token}

    def incident(self, **more: Any) -> dict[str, Any]:
        body = {"kind": "cluster", "title": "幼儿园发热聚集", "location": IN_DONGSHAN, "counts": {"confirmed": 3}, **more}
        return self.commander.created("/incidents", body)

    def task(self, lead: str = "dongshan", due_hours: float = 72) -> dict[str, Any]:
        body = {"title": "密接人员集中隔离转运", "lead": self.units[lead], "due": due_in(due_hours),
                "cooperating": [self.units["health"]]}
        return self.commander.created("/tasks", body)


async def patient(send: Any, tries: int = 4) -> httpx.Response:
    """Send again on a dropped connection (a keep-alive closed under us): safe, requests carry their key."""
    for attempt in range(tries):
        try:
            return await send()
        except httpx.TransportError:
            if attempt == tries - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def read_log(client: httpx.Client, token: str, after: int = 0) -> list[dict[str, Any]]:
    """Every event of the global log after `after`, through GET /api/v1/events."""
    events: list[dict[str, Any]] = []
    while True:
        page = client.get("/api/v1/events", params={"after": after, "limit": 5000},
                          headers={"Authorization": f"Bearer {token}"}).json()
        events += page["events"]
        if page["last"] == after:
            return events
        after = page["last"]


def by_key(events: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Events grouped by (actor, Idempotency-Key): one group is what one keyed command wrote."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        meta = event["meta"]
        if meta.get("idempotency_key"):
            groups[(meta["actor"], meta["idempotency_key"])].append(event)
    return groups


def shape_of(group: list[dict[str, Any]]) -> list[str]:
    """The event types one command wrote, sorted: e.g. ['FieldReportFiled']."""
    return sorted(e["type"] for e in group)
