"""What every benchmark shares: results, percentiles, machine info, servers in subprocesses, a seeded store.

Every figure is a ratio or a percentile against a baseline measured in the same run: the machine has
two cores and other work on it. Servers always run in processes of their own, on loopback.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from bench.profiles import spy

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("LIANFANG_BENCH_RESULTS", ROOT / "bench" / "results"))
SCRATCH = Path(os.environ.get("LIANFANG_BENCH_DIR", "/tmp/lianfang-bench"))
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))  # tests/servers.py: real PostgreSQL and Redis for --scale-out


@dataclass
class Result:
    """One benchmark's outcome: met is True/False, or None when it did not run."""

    name: str
    title: str
    goal: str
    size: str
    met: bool | None
    headline: str
    figures: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def write(self, mode: str = "embedded", quick: bool = False) -> Path:
        """bench/results/NAME[-scale-out][-quick].json: a smoke run never overwrites a real run's figures."""
        RESULTS.mkdir(parents=True, exist_ok=True)
        suffix = ("" if mode == "embedded" else f"-{mode}") + ("-quick" if quick else "")
        path = RESULTS / f"{self.name}{suffix}.json"
        self.met = None if self.met is None else bool(self.met)  # numpy's bool is not JSON's
        record = {**asdict(self), "mode": mode, "written_at": datetime.now(timezone.utc).isoformat(), "machine": machine()}
        path.write_text(json.dumps(record, ensure_ascii=False, indent=1, default=str))
        return path


def not_run(name: str, title: str, goal: str, why: str) -> Result:
    return Result(name, title, goal, "-", None, f"not run: {why}", note=why)


def percentile(values: Any, p: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    rank = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[rank]


def spread(values: Any, scale: float = 1000.0) -> dict[str, float | int | None]:
    """p50/p90/p99/max of seconds, in milliseconds by default."""
    values = list(values)

    def at(p: float) -> float | None:
        v = percentile(values, p)
        return None if v is None else round(v * scale, 2)

    return {"n": len(values), "p50": at(50), "p90": at(90), "p99": at(99), "max": at(100)}


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")), None)
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "postgresql": postgres_version(), "platform": platform.platform()}


def postgres_version() -> str | None:
    from servers import postgres_bin_dir

    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        return None
    import re

    out = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True)
    found = re.search(r"\d+(\.\d+)+", out.stdout)
    return found[0] if found else None


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def rss_kib(pid: int) -> int:
    line = next((x for x in _lines(f"/proc/{pid}/status") if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- servers in processes of their own ------------------------------------------------------------


def _raise_fd_limit() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Process:
    """A server subprocess (its own session), its log file, stopped by its pid."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path, port: int | None = None) -> None:
        self.port, self.log = port, log
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                          start_new_session=True, preexec_fn=_raise_fd_limit)
        self._profile = contextlib.ExitStack()

    def profiled(self) -> Process:
        """Sample this process with py-spy from now until it stops (with `--profile`)."""
        self._profile.enter_context(spy(self.pid, f"{os.environ.get('LIANFANG_BENCH_CURRENT', 'bench')}-{self.log.stem}"))
        return self

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str = "/healthz", timeout: float = 600) -> Process:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"server exited ({self.popen.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return self.profiled()
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server on port {self.port} not ready after {timeout}s")

    def stop(self) -> None:
        self._profile.close()
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def env_for(data_dir: Path, cluster: dict[str, str] | None = None) -> dict[str, str]:
    # The bench's own settings only; LIANFANG_BENCH_SERVER_X=v is passed on as LIANFANG_X=v (one knob per run)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANFANG_")}
    env.update({"LIANFANG_" + k.removeprefix("LIANFANG_BENCH_SERVER_"): v for k, v in os.environ.items()
                if k.startswith("LIANFANG_BENCH_SERVER_")})
    env.update({"LIANFANG_DATA_DIR": str(data_dir), "LIANFANG_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)})
    return {**env, **(cluster or {})}


def serve(data_dir: Path, cluster: dict[str, str] | None = None, ready_timeout: float = 600) -> Process:
    """`lianfang serve` on a free port; in scale-out mode `cluster` names PostgreSQL and Redis."""
    from servers import find_free_port

    port = find_free_port()
    argv = [str(BIN / "lianfang"), "serve", "--data-dir", str(data_dir), "--port", str(port)]
    return Process(argv, env_for(data_dir, cluster), data_dir / f"serve-{port}.log", port).wait_ready(timeout=ready_timeout)


def serve_bare(data_dir: Path) -> Process:
    """The baseline: a bare FastAPI POST endpoint under the same uvicorn."""
    from servers import find_free_port

    port = find_free_port()
    argv = [sys.executable, "-m", "bench.bare", str(port)]
    return Process(argv, env_for(data_dir), data_dir / f"bare-{port}.log", port).wait_ready("/ping", 60)


def projection_worker(data_dir: Path, cluster: dict[str, str]) -> Process:
    argv = [str(BIN / "lianfang"), "projections", "run", "--data-dir", str(data_dir)]
    return Process(argv, env_for(data_dir, cluster), data_dir / "worker.log").profiled()


def fresh_dir(name: str) -> Path:
    import shutil

    path = SCRATCH / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path
