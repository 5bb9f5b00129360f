"""What the browser tests drive: the real server in a thread, its HTTP API, a seeded county, a wall-screen tab.

Screenshots go to test-output/browser/ (gitignored), or to $LIANFANG_BROWSER_OUTPUT.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from playwright.sync_api import ConsoleMessage, Page

from api.main import create_app
from domain.application.settings import PROJECT_ROOT, Settings

OUTPUT = Path(os.environ.get("LIANFANG_BROWSER_OUTPUT", PROJECT_ROOT / "test-output" / "browser"))
# A small square around a point, as a zone's area.
SQUARE = 0.01


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """The app under uvicorn in a thread; stop() and start() again keep the port and the store."""

    data_dir: Path
    port: int
    commander: str = ""
    observer: str = ""
    app: Any = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.app = app = create_app(Settings(data_dir=self.data_dir))
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                timeout_graceful_shutdown=3, ws_ping_interval=None)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"uvicorn-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        assert self._thread is not None
        self._thread.join(30)
        if self._thread.is_alive():
            raise RuntimeError(f"the server on port {self.port} did not stop")
        self._server = None

    def client(self, token: str | None = None) -> Api:
        return Api(httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token or self.commander}"}, timeout=30))


@dataclass
class Api:
    """The HTTP API as a field team's or the command center's client uses it."""

    http: httpx.Client
    last_position: int = 0

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(f"/api/v1{path}", json=body)
        assert response.status_code in (200, 201), f"POST {path}: {response.status_code} {response.text}"
        answer = response.json()
        self.last_position = max(self.last_position, answer.get("position") or 0)
        return answer

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.http.get(f"/api/v1{path}", params=params)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def map(self, at: str | None = None) -> dict[str, Any]:
        """The situation map once the read side has caught up with our writes (or as of `at`)."""
        return self.get("/map", at=at) if at else self.get("/map", min_position=self.last_position)

    def event_time(self, position: int) -> str:
        return self.get("/events", after=position - 1, limit=1)["events"][0]["recorded_at"]


def square(lon: float, lat: float, size: float = SQUARE) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                [lon, lat + size], [lon, lat]]]}


def later(hours: float) -> str:
    return (datetime.now(timezone(timedelta(hours=8))) + timedelta(hours=hours)).isoformat()


@dataclass
class Seeded:
    units: dict[str, str] = field(default_factory=dict)
    incidents: dict[str, str] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)
    resources: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, str] = field(default_factory=dict)
    dispatches: dict[str, str] = field(default_factory=dict)


def seed_county(api: Api) -> Seeded:
    """A morning in the demo county: two incidents, zones, teams on the move, tasks in three colours."""
    s = Seeded()
    for key, name, kind, code in (("health", "县卫生健康局", "department", "510199"),
                                  ("police", "县公安局", "department", "510199"),
                                  ("chengguan", "城关街道办事处", "township", "510199001")):
        s.units[key] = api.post("/units", {"name": name, "kind": kind, "jurisdiction": code})["id"]
    s.incidents["kindergarten"] = api.post("/incidents", {
        "kind": "cluster", "title": "幼儿园发热聚集", "location": [104.06, 30.67], "counts": {"confirmed": 3, "close_contacts": 12}})["id"]
    s.incidents["canteen"] = api.post("/incidents", {
        "kind": "food_poisoning", "title": "学校食堂食物中毒", "location": [104.2, 30.72], "counts": {"suspected": 5}})["id"]
    api.post(f"/incidents/{s.incidents['kindergarten']}/level", {"level": "II", "reason": "聚集性疫情扩散风险高"})
    api.post(f"/incidents/{s.incidents['canteen']}/level", {"level": "IV", "reason": "病例集中于一所学校"})
    s.zones["sealed"] = api.post("/zones", {"incident": s.incidents["kindergarten"], "kind": "sealed",
                                            "area": square(104.05, 30.66, 0.02), "name": "幼儿园及周边楼栋"})["id"]
    s.zones["controlled"] = api.post("/zones", {"incident": s.incidents["kindergarten"], "kind": "controlled",
                                                "area": square(104.035, 30.645, 0.05), "name": "南街社区"})["id"]
    for key, kind, name, position in (("sampling", "sampling_team", "县疾控中心采样一队", [104.092, 30.703]),
                                      ("epi", "epi_team", "县疾控中心流调队", [104.118, 30.69]),
                                      ("ambulance", "ambulance", "负压救护车1号", [104.15, 30.6])):
        s.resources[key] = api.post("/resources", {"kind": kind, "name": name, "unit": s.units["health"], "position": position})["id"]
    s.dispatches["sampling"] = api.post("/dispatches", {"incident": s.incidents["kindergarten"], "kind": "sampling_team",
                                                        "quantity": 1, "destination": [104.06, 30.67]})["id"]
    api.post(f"/dispatches/{s.dispatches['sampling']}/commit", {"resource": s.resources["sampling"]})
    api.post(f"/dispatches/{s.dispatches['sampling']}/depart", {})
    api.post(f"/resources/{s.resources['sampling']}/position", {"position": [104.08, 30.69]})
    s.tasks["screening"] = api.post("/tasks", {"title": "南街社区全员核酸筛查", "lead": s.units["health"],
                                               "cooperating": [s.units["chengguan"]], "due": later(72)})["id"]
    s.tasks["traffic"] = api.post("/tasks", {"title": "封控区交通管制", "lead": s.units["police"], "due": later(6)})["id"]
    api.post(f"/tasks/{s.tasks['traffic']}/supervise", {"notice": "请于今日内落实卡口值守", "answer_by": later(3)})
    api.post("/alerts", {"headline": "城关街道聚集性疫情风险提示", "severity": "Moderate", "urgency": "Expected",
                         "certainty": "Likely", "area": square(104.02, 30.63, 0.08), "incident": s.incidents["kindergarten"]})
    return s


class WallPage:
    """A browser tab on the wall screen, with what its console said."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def open(self, server: LiveServer, token: str | None = None, query: str = "") -> Page:
        """Open the map with ?access_token= and wait for its first snapshot."""
        token = token or server.observer
        self.page.goto(f"{server.url}/?access_token={token}{query}")
        if "at=" not in query:
            self.wait_live()
        return self.page

    def wait_live(self, timeout: float = 15_000) -> None:
        self.page.wait_for_function("() => window.lianfang && lianfang.status().conn === 'live' && lianfang.status().position !== null",
                                    timeout=timeout)

    def wait_position(self, position: int, timeout: float = 20_000) -> None:
        self.page.wait_for_function("p => lianfang.status().position >= p", arg=position, timeout=timeout)

    def shot(self, name: str) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path
