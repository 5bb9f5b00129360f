"""The CPU budget of one acknowledged field report, stage by stage (issue 21, item 1).

`python -m bench.budget [--seconds 12] [--raw FILE ...]`: serve Lianfang (embedded), send P1's load, and
meanwhile sample the server with py-spy (every thread on a CPU, 100 Hz, idle threads left out). The server's
CPU time per acknowledgement (from /proc, its whole process tree) is then split over the stages in the
proportion of the samples that fall in each. With `--raw`, only classify py-spy raw files already recorded.
It needs py-spy (`pip install -e '.[bench]'`).

The stages, by where a sample's stack is:
- the writer thread: policy (domain/policy.py and the geography it reads), the store (eventsourcing's mapper,
  transcoder and recorder: encoding, inserts, commit, loads), the unit of work (everything else there);
- the projection thread: audit (projections/audit.py), fan-out (the broker, the live feed), the store (reading
  the log), projection (the read models, checkpoints);
- the request side (event loop and its worker threads): authentication, validation (the body guard, pydantic,
  the request body), and the HTTP layer (uvicorn, the ASGI stack, routing, the handoff to the writer).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

STAGES = ("HTTP layer", "auth + policy: auth", "auth + policy: policy", "validation", "writer's unit of work",
          "store (write)", "store (read log)", "projection", "audit", "fan-out", "other threads")
STORE = ("eventsourcing/persistence.py", "eventsourcing/sqlite.py", "eventsourcing/postgres.py", "sqlite3", "psycopg",
         "domain/eventstore.py", "orjson", "zstandard")
AUTH = ("api/auth.py", "find_token", "domain/access.py", "api/tokens.py", "authenticate (")
VALIDATION = ("pydantic", "api/bodies.py", "Request.body", "Request.json", "request_body_to_args", "json/decoder",
              "json/__init__", "domain/text.py", "checked_text")


def stage_of(frames: list[str]) -> str:
    joined = ";".join(frames)
    if "domain/writer.py" in joined:
        if "domain/policy.py" in joined or "projections/geography.py" in joined:
            return "auth + policy: policy"
        if any(s in joined for s in STORE) or "Repository.get" in joined:
            return "store (write)"
        return "writer's unit of work"
    if "projections/runner.py" in joined or "projections/" in joined:
        if "projections/audit.py" in joined:
            return "audit"
        if any(s in joined for s in ("projections/broker.py", "redis_broker", "_publish", "api/live", "api/wire")):
            return "fan-out"
        if "projections/checkpoints" in joined or "projections/readstore" in joined:
            return "projection"
        if "select_notifications" in joined or "max_notification_id" in joined:
            return "store (read log)"
        return "projection"
    if any(s in joined for s in ("api/live", "api/wire", "live_hub")):
        return "fan-out"
    # the request side: the leaf-most frame of ours or of a library that names a stage (middlewares wrap it all)
    for frame in reversed(frames):
        if "api/permissions.py" in frame or "domain/policy.py" in frame:  # (before the policy moved into the writer)
            return "auth + policy: policy"
        if any(s in frame for s in AUTH) or ("api/gate.py" in frame and "__call__" not in frame):
            return "auth + policy: auth"
        if any(s in frame for s in VALIDATION) or ("api/json_guard.py" in frame and "__call__" not in frame):
            return "validation"
    if any(s in joined for s in ("uvicorn", "starlette", "fastapi", "asyncio", "api/", "anyio", "h11", "httptools")):
        return "HTTP layer"
    return "other threads"


def classify(raw: Path) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[stage_of(stack.split(";"))] += int(count)
    return counts


def table(counts: collections.Counter[str], cpu_ms_per_ack: float | None) -> dict[str, Any]:
    total = sum(counts.values()) or 1
    rows = {s: {"share": round(counts[s] / total, 3),
                "ms_per_ack": round(cpu_ms_per_ack * counts[s] / total, 3) if cpu_ms_per_ack else None} for s in STAGES}
    return {"samples": total, "cpu_ms_per_ack": cpu_ms_per_ack, "stages": rows}


def render(result: dict[str, Any]) -> str:
    lines = [f"{'stage':<26} {'share':>6} {'ms/ack':>8}"]
    for stage, row in result["stages"].items():
        ms = f"{row['ms_per_ack']:.3f}" if row["ms_per_ack"] is not None else "-"
        lines.append(f"{stage:<26} {row['share'] * 100:5.1f}% {ms:>8}")
    lines.append(f"{'total':<26} {'':>6} {result['cpu_ms_per_ack'] or '-':>8}  ({result['samples']} samples)")
    return "\n".join(lines)


def measure(seconds: float) -> dict[str, Any]:
    """P1's load against an embedded server, sampled; the bare endpoint's CPU per request in the same run."""
    from bench.clients import hammer
    from bench.common import cpu_seconds, fresh_dir, serve_bare
    from bench.paths import SCRATCH
    from bench.stores import lianfang

    tool = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    processes, connections = 2, 32
    raw = SCRATCH / "profiles" / "budget.pyspy"
    raw.parent.mkdir(parents=True, exist_ok=True)
    with serve_bare(fresh_dir("budget-bare")) as bare:
        paths = [f"/api/v1/incidents/{'0' * 31}{n}/reports" for n in range(8)]
        before = _tree_cpu(bare.pid, cpu_seconds)
        answer = hammer(bare.port, "x", paths, processes, connections, seconds / 2)
        bare_ms = (_tree_cpu(bare.pid, cpu_seconds) - before) * 1000 / max(1, answer["acknowledged"])
        bare_rate = answer["per_second"]
    with lianfang("budget", False) as (server, seeded, _):
        paths = [f"/api/v1/incidents/{i}/reports" for i in seeded.incidents]
        hammer(server.port, seeded.field, paths, processes, connections, 1.0)  # warm-up
        sampler = subprocess.Popen([tool, "record", "-p", str(server.pid), "-r", "100", "-f", "raw", "-o", str(raw),
                                    "--nonblocking", "--subprocesses"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        before = _tree_cpu(server.pid, cpu_seconds)
        load = hammer(server.port, seeded.field, paths, processes, connections, seconds)
        cpu_ms = (_tree_cpu(server.pid, cpu_seconds) - before) * 1000 / max(1, load["acknowledged"])
        time.sleep(0.3)
        sampler.send_signal(signal.SIGINT)
        sampler.wait(timeout=60)
    result = table(classify(raw), round(cpu_ms, 3))
    result.update(acknowledged_per_s=load["per_second"], bare_per_s=bare_rate, bare_cpu_ms_per_request=round(bare_ms, 3),
                  target_ms_per_ack=round(bare_ms / 0.6, 3), load_average=os.getloadavg())
    return result


def _tree_cpu(pid: int, cpu_seconds: Any) -> float:
    """CPU of a process and its children still running (a server's workers), in seconds."""
    total = cpu_seconds(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.is_file():
        for child in children.read_text().split():
            try:
                total += cpu_seconds(int(child))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--raw", nargs="*", type=Path, help="only classify these py-spy raw files")
    parser.add_argument("--cpu-ms", type=float, default=None, help="with --raw: the CPU per acknowledgement to split")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    if args.raw:
        for raw in args.raw:
            print(raw)
            print(render(table(classify(raw), args.cpu_ms)))
        return
    result = measure(args.seconds)
    print(render(result))
    print(f"acknowledged {result['acknowledged_per_s']:,.0f}/s; bare {result['bare_per_s']:,.0f}/s at "
          f"{result['bare_cpu_ms_per_request']} ms CPU/request (target ≤ {result['target_ms_per_ack']} ms/ack); "
          f"load {result['load_average'][0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
