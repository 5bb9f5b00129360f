"""The write path's own CPU, without HTTP clients or a server to share the cores with (issue 21).

`python bench/write_path_cpu.py [--json FILE]`, with PYTHONPATH naming the tree to measure (so two commits can
be compared in one run, alternately). Two figures, both in CPU time of this process (`time.process_time`, so
less bent by other work on a shared machine than wall-clock rates):
- the layer(s) in front of the routes: one POST with a field report's body through the ASGI stack that
  `api.main.create_app` puts there, to a route that answers at once (µs per request);
- the writer: field reports with an Idempotency-Key each, committed in batches as group commit does
  (`run_batch` of the writer, SQLite, synchronous=FULL), µs of CPU per command.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

BODY = b'{"new":{"suspected":1,"close_contacts":3},"note":"\\u7b2c12\\u6b21","position":[104.05,30.68]}'


def _application(name: str, before: str | None = None) -> Any:
    """A module of the application around the model: domain/application/NAME, or domain/NAME in trees before it."""
    import importlib

    try:
        return importlib.import_module(f"domain.application.{name}")
    except ModuleNotFoundError:
        return importlib.import_module(f"domain.{before or name}")


def front_us(requests: int) -> float:
    from api.main import create_app

    Settings = _application("settings").Settings  # noqa: N806

    app = create_app(Settings())
    stack: Any = None
    answered = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}

    async def route(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send(dict(answered))
        await send({"type": "http.response.body", "body": b"{}"})

    stack = route
    for middleware in reversed(app.user_middleware):  # as Starlette builds it: the first added is outermost
        stack = middleware.cls(stack, *middleware.args, **middleware.kwargs)
    actor = SimpleNamespace(id="team", role="field")
    runtime = SimpleNamespace(app=None, tokens=SimpleNamespace(actor=lambda _hash: actor))  # a token checked a moment ago
    owner = SimpleNamespace(state=SimpleNamespace(runtime=runtime))
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), (b"authorization", b"Bearer secret-token"),
               (b"idempotency-key", b"k-1"), (b"content-length", str(len(BODY)).encode())]

    async def one() -> None:
        scope = {"type": "http", "method": "POST", "path": "/api/v1/incidents/x/reports", "headers": headers, "app": owner}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": BODY, "more_body": False}

        async def send(message: Any) -> None:
            pass

        await stack(scope, receive, send)

    async def run() -> float:
        for _ in range(500):
            await one()
        began = time.process_time()
        for _ in range(requests):
            await one()
        return (time.process_time() - began) * 1e6 / requests

    return asyncio.run(run())


def writer_us(commands: int, batch: int) -> float:
    from domain.base import Meta
    from domain.commands import Command

    Coordination = _application("coordination", "application").Coordination  # noqa: N806
    store_env = _application("eventstore").store_env
    Settings = _application("settings").Settings  # noqa: N806
    execute, run_batch = _application("writer").execute, _application("writer").run_batch

    directory = Path(tempfile.mkdtemp(prefix="write-path-cpu-"))
    app = Coordination(store_env(Settings(data_dir=directory), directory))
    commander = Meta(actor="cmd", role="commander")
    incidents = [execute(app, Command("report_incident", commander, {"kind": "cluster", "title": f"事件{i}",
                                                                    "location": [104.06, 30.67]})).id for i in range(8)]
    team = Meta(actor="team-7", role="field", unit="unit-township")
    sent = 0

    def batches(total: int) -> None:
        nonlocal sent
        done = 0
        while done < total:
            size = min(batch, total - done)
            run_batch(app, [Command("file_report", team, {"new": {"suspected": 1}, "note": "第12次走访"},
                                    target=str(incidents[(sent + i) % 8]), idempotency_key=f"key-{sent + i}")
                            for i in range(size)])
            sent += size
            done += size

    batches(batch * 4)  # warm-up
    began = time.process_time()
    batches(commands)
    used = time.process_time() - began
    app.close()
    return used * 1e6 / commands


def measure() -> dict[str, Any]:
    quick = os.environ.get("WRITE_PATH_CPU_QUICK") == "1"
    return {"front_us_per_request": round(front_us(2_000 if quick else 20_000), 1),
            "writer_us_per_command": round(writer_us(640 if quick else 6_400, 64), 1),
            "load_average": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--trees", nargs="*", type=Path, help="measure each tree in turn, in a process of its own")
    args = parser.parse_args()
    if args.trees:
        rows = []
        for tree in args.trees:
            env = {**os.environ, "PYTHONPATH": str(tree)}
            out = subprocess.run([sys.executable, __file__], env=env, capture_output=True, text=True, check=True).stdout
            rows.append({"tree": str(tree), **json.loads(out.splitlines()[-1])})
        print(f"{'tree':<34} {'front µs/request':>17} {'writer µs/command':>18} {'load':>6}")
        for row in rows:
            print(f"{row['tree']:<34} {row['front_us_per_request']:>17} {row['writer_us_per_command']:>18} {row['load_average'][0]:>6.2f}")
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1) + "\n")
        return
    print(json.dumps(measure()))


if __name__ == "__main__":
    main()
