"""A scale-out cluster of real processes: PostgreSQL, Redis, API processes and projection workers."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from servers import find_free_port, start_redis

LIANFANG = str(Path(sys.executable).parent / "lianfang")


class Cluster:
    def __init__(self, tmp: Path, dsn: str, redis_url: str) -> None:
        self.tmp, self.dsn, self.redis_url = tmp, dsn, redis_url
        self.env = {**os.environ, "LIANFANG_DATABASE_URL": dsn, "LIANFANG_REDIS_URL": redis_url,
                    "LIANFANG_DATA_DIR": str(tmp / "var"), "LIANFANG_LOG_LEVEL": "WARNING"}
        self.processes: list[subprocess.Popen] = []

    def spawn(self, *args: str, name: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115
        process = subprocess.Popen([LIANFANG, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def api(self, port: int | None = None) -> tuple[subprocess.Popen, int]:
        port = port or find_free_port()
        process = self.spawn("serve", "--port", str(port), name=f"api-{port}")
        return self.ready(process, port)

    def ready(self, process: subprocess.Popen, port: int) -> tuple[subprocess.Popen, int]:
        """Once its /healthz answers 200; its log if it exits first."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return process, port
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError((self.tmp / f"api-{port}.log").read_text())
            time.sleep(0.1)
        raise RuntimeError(f"API on port {port} did not start")

    def worker(self, name: str = "worker") -> subprocess.Popen:
        return self.spawn("projections", "run", name=name)

    def token(self, role: str = "commander") -> str:
        out = subprocess.run([LIANFANG, "tokens", "create", "--role", role, "--name", "test"], env=self.env,
                             capture_output=True, text=True, check=True)
        return out.stdout.strip().splitlines()[-1]

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path):
    with start_redis(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def cluster(tmp_path: Path, postgres_dsn: str, own_redis) -> Cluster:
    c = Cluster(tmp_path, postgres_dsn, own_redis.url)
    yield c
    c.close()
