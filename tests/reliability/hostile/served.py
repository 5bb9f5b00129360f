"""The API of a store in each mode (embedded; PostgreSQL + Redis with its projection worker), shared by a
module's hostile-input tests, and the `lianfang` command line, run as a user runs it."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.tokens import issue_token, open_store
from domain.application.settings import Settings
from modes import projection_worker

LIANFANG = str(Path(sys.executable).parent / "lianfang")
PROBLEM = "application/problem+json"
IN_DONGSHAN = [104.2493, 30.6626]
SQUARE = [[[104.24, 30.65], [104.26, 30.65], [104.26, 30.67], [104.24, 30.67], [104.24, 30.65]]]
MEMORY_LIMIT = 1 << 30  # a refused file must not need more than this (a YAML bomb would take all there is)


@dataclass
class Served:
    client: TestClient
    settings: Settings
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def created(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(f"/api/v1{path}", json=body, headers=self.auth)
        assert response.status_code == 201, response.text
        return response.json()

    def head(self) -> int:
        return self.client.get("/healthz").json()["store_head"]


@pytest.fixture(scope="module")
def served(module_backends: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server in this mode with a commander's token, over the ASGI interface that uvicorn drives."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("hostile"), read_wait_seconds=5.0, **module_backends())
    with projection_worker(settings), TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with open_store(settings) as store:
            token = issue_token(store, role="commander", unit=None, name="县指挥部")
        yield Served(client, settings, token)


def assert_problem(response: Any, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


@dataclass
class Ran:
    status: int
    out: str
    seconds: float


def lianfang(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60,
             capped: bool = False) -> Ran:
    """`lianfang ARGS` in a process of its own, without the caller's LIANFANG_* settings; `capped`: its address
    space bounded (for a file that must be refused with little memory; a run on PostgreSQL starts pool threads,
    whose stacks alone would pass the bound)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LIANFANG_")}

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    started = time.monotonic()
    done = subprocess.run([LIANFANG, *args], env={**base, **(env or {})}, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=cap if capped else None)
    return Ran(done.returncode, done.stdout + done.stderr, time.monotonic() - started)
