"""Faults under load, as real processes: PostgreSQL restarted and stopped, a projection worker killed.

`python -m bench.faults [--down SECONDS]` writes bench/results/faults.json; tests/reliability/faults runs
the same scenarios at a smaller size and asserts on the figures.
Figures: acknowledged (2xx), stored once (acknowledged keys found exactly once in the log), refused and not
stored (503 whose key is absent), refused but stored (503 whose commit made it: the client's retry with
the same key replays it), 5xx other than 503, seconds for the stored read models and the audit trail to reach
the log head after the fault ends, and what a live viewer saw.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psycopg
import websockets

def read_log(client: httpx.Client, token: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = client.get("/api/v1/events", params={"after": after, "limit": 5000},
                          headers={"Authorization": f"Bearer {token}"}).json()
        events += page["events"]
        if page["last"] == after:
            return events
        after = page["last"]


LIANFANG = str(Path(sys.executable).parent / "lianfang")
INCIDENT = {"kind": "cluster", "title": "幼儿园发热聚集", "location": [104.06, 30.67], "counts": {"confirmed": 1}}


class Deployment:
    """PostgreSQL, Redis, one API process, two projection workers (active and standby)."""

    def __init__(self, tmp: Path, pg: Any, redis_url: str) -> None:
        self.tmp, self.pg = tmp, pg
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("LIANFANG_")},
                    "LIANFANG_DATABASE_URL": pg.dsn, "LIANFANG_REDIS_URL": redis_url,
                    "LIANFANG_DATA_DIR": str(tmp / "var"), "LIANFANG_LOG_LEVEL": "INFO"}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.port = 0

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with open(self.tmp / f"{name}.log", "ab") as log:
            process = subprocess.Popen([LIANFANG, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes[name] = process
        return process

    def start(self) -> Deployment:
        from servers import find_free_port

        self.port = find_free_port()
        self.spawn("api", "serve", "--port", str(self.port))
        self.url = f"http://127.0.0.1:{self.port}"
        self.wait(lambda: httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200, 60, "the API to start")
        self.spawn("worker-a", "projections", "run")
        self.wait(lambda: httpx.get(f"{self.url}/healthz", timeout=1).json().get("worker_running"), 60, "worker a")
        self.spawn("worker-b", "projections", "run")  # the hot standby
        out = subprocess.run([LIANFANG, "tokens", "create", "--role", "commander", "--name", "bench"], env=self.env,
                             capture_output=True, text=True, check=True)
        self.token = out.stdout.strip().splitlines()[-1]
        return self

    @staticmethod
    def wait(condition: Any, timeout: float, what: str) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                if condition():
                    return time.monotonic() - started
            except Exception:  # noqa: BLE001,S110  (the thing waited for may not answer yet)
                pass
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def sql(self, statement: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.pg.dsn, autocommit=True, connect_timeout=2) as db:
            return db.execute(statement).fetchall()

    def stored_caught_up(self) -> bool:
        head = self.sql("SELECT coalesce(max(notification_id), 0) FROM coordination_events")[0][0]
        tracked = self.sql("SELECT min(notification_id) FROM lf_read_tracking WHERE application_name <> '__migration__' "
                           "AND application_name NOT LIKE '%_rebuilt'")[0][0]
        return tracked == head

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def alive(self) -> dict[str, bool]:
        return {name: p.poll() is None for name, p in self.processes.items()}


class Load:
    """Senders filing incidents, each with an Idempotency-Key; every answer recorded."""

    def __init__(self, url: str, token: str, senders: int = 3, rate: float = 15.0) -> None:
        self.url, self.token, self.senders, self.rate = url, token, senders, rate
        self.answers: list[tuple[str, int, float]] = []  # key, status (0: no answer), seconds
        self.errors: Counter[str] = Counter()
        self.stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, daemon=True) for _ in range(senders)]

    def _send(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {self.token}"}) as client:
            while not self.stop.is_set():
                key = f"fault-{uuid.uuid4()}"
                started = time.monotonic()
                try:
                    status = client.post("/api/v1/incidents", json=INCIDENT, headers={"Idempotency-Key": key}).status_code
                except httpx.HTTPError as error:
                    status = 0
                    self.errors[type(error).__name__] += 1
                self.answers.append((key, status, time.monotonic() - started))
                self.stop.wait(max(0.0, 1 / self.rate - (time.monotonic() - started)))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=40)


class Viewer:
    """A live viewer that resumes with after= whenever the server drops it; the audit positions it saw."""

    def __init__(self, url: str, token: str) -> None:
        self.base, self.token = url.replace("http", "ws") + "/api/v1/live?", token
        self.seen: set[int] = set()
        self.position = 0
        self.first: int | None = None  # the position of the first snapshot: every audit entry after it must arrive
        self.closes: Counter[str] = Counter()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        after: int | None = None
        while not self.stop.is_set():
            try:
                query = f"after={after}" if after is not None else ""
                async with websockets.connect(self.base + query, max_size=None, open_timeout=5,
                                              subprotocols=["lianfang.bearer", self.token]) as ws:  # not in the query
                    while not self.stop.is_set():
                        try:
                            message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                        except TimeoutError:
                            continue
                        if self.first is None and message["type"] == "snapshot":
                            self.first = message["position"]
                        if message["type"] in ("snapshot", "resync"):
                            self.seen.update(e["position"] for e in message.get("audit", []) or [])
                        for change in message.get("changes", []):
                            if change.get("layer") == "audit":
                                self.seen.add(change["entry"]["position"])
                        self.position = max(self.position, message.get("position", 0))
                        after = self.position
            except websockets.ConnectionClosed as closed:
                self.closes[f"{closed.rcvd.code if closed.rcvd else 1006}"] += 1
            except Exception as error:  # noqa: BLE001  (the server is restarting its store: come back)
                self.closes[type(error).__name__] += 1
            await asyncio.sleep(0.2)


def figures(deployment: Deployment, load: Load, recover_seconds: float, **extra: Any) -> dict[str, Any]:
    statuses = Counter(status for _, status, _ in load.answers)
    keys: Counter[str] = Counter()
    with httpx.Client(base_url=deployment.url, timeout=30) as client:
        for event in read_log(client, deployment.token):
            if event["type"] == "IncidentReported" and event["meta"].get("idempotency_key"):
                keys[event["meta"]["idempotency_key"]] += 1
    ok = [k for k, s, _ in load.answers if 200 <= s < 300]
    refused = [k for k, s, _ in load.answers if s == 503]
    return {
        "requests": len(load.answers), "acknowledged": len(ok),
        "stored_once": sum(1 for k in ok if keys.get(k) == 1), "acknowledged_lost": sum(1 for k in ok if k not in keys),
        "stored_twice": sum(1 for k in keys if keys[k] > 1),
        "refused_503_not_stored": sum(1 for k in refused if k not in keys),
        "refused_503_but_stored": sum(1 for k in refused if k in keys),
        "status_500": statuses.get(500, 0), "other_5xx": sum(n for s, n in statuses.items() if s >= 500 and s not in (500, 503)),
        "no_answer": statuses.get(0, 0), "no_answer_errors": dict(load.errors), "slowest_answer_seconds": round(max((t for *_, t in load.answers), default=0), 2),
        "slowest_answer_seconds_by_status": {str(status): round(max(t for _, s, t in load.answers if s == status), 2)
                                             for status in sorted(statuses)},
        "seconds_to_recover": round(recover_seconds, 2), "processes_alive": deployment.alive(), **extra,
    }


def postgres_restarts(deployment: Deployment, down_seconds: float) -> dict[str, Any]:
    """Under load: PostgreSQL restarted twice, then stopped for `down_seconds`, then started."""
    viewer = Viewer(deployment.url, deployment.token)
    viewer.thread.start()
    with Load(deployment.url, deployment.token) as load:
        time.sleep(2)
        for _ in range(2):
            deployment.pg.restart()
            time.sleep(3)
        deployment.pg.stop()
        time.sleep(down_seconds)
        deployment.pg.start()
        back = time.monotonic()
        during = len(load.answers)
        health_seconds = []
        for _ in range(3):
            started = time.monotonic()
            httpx.get(f"{deployment.url}/healthz", timeout=5)
            health_seconds.append(time.monotonic() - started)
        time.sleep(3)
    deployment.wait(deployment.stored_caught_up, 60, "the read models and the audit trail to reach the head")
    recovered_after = time.monotonic() - back
    head = deployment.sql("SELECT coalesce(max(notification_id), 0) FROM coordination_events")[0][0]
    deployment.wait(lambda: viewer.position >= head, 30, "the live viewer to reach the head")
    viewer.stop.set()
    audit = {row[0] for row in deployment.sql(f"SELECT position FROM lf_audit WHERE position > {viewer.first or 0}")}
    return figures(deployment, load, recovered_after, down_seconds=down_seconds, requests_before_return=during,
                   viewer_missing_positions=len(audit - viewer.seen), viewer_closes=dict(viewer.closes),
                   healthz_seconds_after_return=round(max(health_seconds), 2))


def worker_killed(deployment: Deployment) -> dict[str, Any]:
    """Under load: the active projection worker is killed with SIGKILL; the standby takes over."""
    with Load(deployment.url, deployment.token) as load:
        time.sleep(2)
        active = deployment.processes["worker-a"]
        os.killpg(active.pid, signal.SIGKILL)
        active.wait(timeout=10)
        killed = time.monotonic()
        time.sleep(3)
    deployment.wait(deployment.stored_caught_up, 60, "the standby to bring the read models to the head")
    return figures(deployment, load, time.monotonic() - killed - 3)


def main() -> None:
    import argparse
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from servers import start_postgres, start_redis

    parser = argparse.ArgumentParser()
    parser.add_argument("--down", type=float, default=15.0, help="seconds PostgreSQL stays stopped")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for name, scenario in (("postgres_restarted_twice_then_stopped", lambda d: postgres_restarts(d, args.down)),
                           ("active_worker_killed", worker_killed)):
        with tempfile.TemporaryDirectory() as tmp:
            with start_postgres(Path(tmp) / "pg", fsync=False) as pg, start_redis(Path(tmp) / "redis") as redis:
                deployment = Deployment(Path(tmp), pg, redis.url).start()
                try:
                    results[name] = scenario(deployment)
                finally:
                    deployment.close()
        print(name, json.dumps(results[name]))
    out = Path(__file__).parent / "results" / "faults.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
