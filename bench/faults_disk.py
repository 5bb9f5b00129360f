"""A full disk under load, as real processes: the embedded server's data directory on a small tmpfs.

`python -m bench.faults_disk` adds `disk_full` to bench/results/faults.json; tests/reliability/faults runs
the same scenario. Mounting a tmpfs needs root (or password-less sudo); without it the scenario does not run.
Steps: senders file incidents on a free disk; a ballast file then takes every free byte; the load goes on
(each command must get 503 with Retry-After, and nothing half-written); /healthz and a read of the map are
sampled while the disk is full; the ballast is removed and the seconds until a command is acknowledged
again are measured; the log is then read back against every answer (the figures of bench/faults.py).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.faults import INCIDENT, LIANFANG, Deployment, Load, figures

TMPFS_BYTES = 48 * 1024 * 1024
CHUNK = 256 * 1024


def _mount_command(*args: str) -> list[str]:
    return list(args) if os.geteuid() == 0 else ["sudo", "-n", *args]


@contextlib.contextmanager
def small_disk(where: Path, size: int = TMPFS_BYTES) -> Iterator[Path | None]:
    """A tmpfs of `size` bytes at `where`, or None when this machine does not let us mount one."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(_mount_command("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)),
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        yield None
        return
    try:
        yield where
    finally:
        subprocess.run(_mount_command("umount", "-l", str(where)), capture_output=True, check=False)


class EmbeddedDeployment(Deployment):
    """One embedded `lianfang serve` (SQLite store, in-process projections) with its data directory at `data`."""

    def __init__(self, tmp: Path, data: Path) -> None:
        self.tmp, self.pg = tmp, None
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("LIANFANG_")},
                    "LIANFANG_DATA_DIR": str(data), "LIANFANG_LOG_LEVEL": "INFO"}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.port = 0

    def start(self) -> EmbeddedDeployment:
        from servers import find_free_port

        out = subprocess.run([LIANFANG, "tokens", "create", "--role", "commander", "--name", "bench"], env=self.env,
                             capture_output=True, text=True, check=True)
        self.token = out.stdout.strip().splitlines()[-1]
        self.port = find_free_port()
        self.spawn("api", "serve", "--port", str(self.port))
        self.url = f"http://127.0.0.1:{self.port}"
        self.wait(lambda: httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200, 60, "the API to start")
        return self

    def stored_caught_up(self) -> bool:
        health = httpx.get(f"{self.url}/healthz", timeout=5).json()
        return health.get("ok") is True and health.get("read_models", {}).get("lag_events", 1) == 0


def fill(disk: Path) -> Path:
    """Write a ballast file until the disk has no byte left."""
    ballast = disk / "ballast"
    block = b"\0" * CHUNK
    with open(ballast, "wb", buffering=0) as out:
        size = CHUNK
        while size:
            try:
                out.write(block[:size])
            except OSError:
                size //= 2  # the last few blocks: take what is left, down to a byte
    return ballast


def probe(deployment: Deployment) -> int:
    answer = httpx.post(f"{deployment.url}/api/v1/incidents", json=INCIDENT, timeout=10,
                        headers={"Authorization": f"Bearer {deployment.token}", "Idempotency-Key": f"probe-{uuid.uuid4()}"})
    return answer.status_code


def disk_full(deployment: Deployment, disk: Path, full_seconds: float = 4.0) -> dict[str, Any]:
    """Under load: the disk fills, stays full for `full_seconds`, then space comes back."""
    samples: dict[str, list[Any]] = {"healthz": [], "map": [], "retry_after": []}
    with Load(deployment.url, deployment.token) as load:
        time.sleep(2)
        ballast = fill(disk)
        full_since = len(load.answers)
        deadline = time.monotonic() + full_seconds
        with httpx.Client(base_url=deployment.url, timeout=10, headers={"Authorization": f"Bearer {deployment.token}"}) as client:
            while time.monotonic() < deadline:
                started = time.monotonic()
                health = client.get("/healthz")
                samples["healthz"].append((round(time.monotonic() - started, 3), health.status_code, health.json()))
                samples["map"].append(client.get("/api/v1/map").status_code)
                refused = client.post("/api/v1/incidents", json=INCIDENT, headers={"Idempotency-Key": f"full-{uuid.uuid4()}"})
                samples["retry_after"].append((refused.status_code, refused.headers.get("retry-after")))
                time.sleep(0.3)
        refused_while_full = [s for _, s, _ in load.answers[full_since:]]
        ballast.unlink()
        freed = time.monotonic()
        deployment.wait(lambda: probe(deployment) in (200, 201), 30, "a command to be acknowledged after space returned")
        recovered = time.monotonic() - freed
        time.sleep(2)
    deployment.wait(deployment.stored_caught_up, 60, "the read models to reach the head")
    last = samples["healthz"][-1][2] if samples["healthz"] else {}
    return figures(deployment, load, recovered, full_seconds=full_seconds,
                   answers_while_full=dict(sorted({s: refused_while_full.count(s) for s in set(refused_while_full)}.items())),
                   healthz_slowest_seconds_while_full=max((s for s, _, _ in samples["healthz"]), default=None),
                   healthz_ok_while_full=sorted({h.get("ok") for _, _, h in samples["healthz"]}, key=str),
                   healthz_problems_while_full=last.get("problems"),
                   map_status_while_full=sorted(set(samples["map"])),
                   command_answers_while_full=sorted({f"{s} Retry-After {r}" for s, r in samples["retry_after"]}))


def main() -> None:
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    with tempfile.TemporaryDirectory() as tmp, small_disk(Path(tmp) / "disk") as disk:
        if disk is None:
            raise SystemExit("cannot mount a tmpfs here (needs root or password-less sudo): the disk-full run needs one")
        deployment = EmbeddedDeployment(Path(tmp), disk / "var").start()
        try:
            found = disk_full(deployment, disk)
        finally:
            if os.environ.get("LIANFANG_BENCH_KEEP_LOG"):
                shutil.copy(Path(tmp) / "api.log", os.environ["LIANFANG_BENCH_KEEP_LOG"])
            deployment.close()
            shutil.rmtree(disk / "var", ignore_errors=True)
    print("disk_full", json.dumps(found, ensure_ascii=False))
    out = Path(__file__).parent / "results" / "faults.json"
    results = json.loads(out.read_text()) if out.is_file() else {}
    results["disk_full"] = found
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    main()
