"""P5: GET /api/v1/map?at=T on a large generated history, T random between its first and last event.

Each run takes a fresh seed of moments (LIANFANG_BENCH_SEED repeats one; the seed is in the figures), asked of a
server started cold for this run (one warm-up request at a moment of its own, not counted).

Measured on a server whose read models carry history checkpoints (what `projections rebuild` leaves;
P4 runs it, and so does this benchmark when P4 did not). For contrast, a few as-of reads are also
timed in-process (`Projections.as_of` alone), to split the replay from the HTTP answer.
"""
from __future__ import annotations

import os
import random
import sqlite3
import time
from datetime import datetime
from pathlib import Path

import httpx

from bench.common import Result, serve, spread
from bench.p4_rebuild import caught_up, history_store, rebuild_once

NAME, TITLE = "P5", "GET /api/v1/map?at=T on a large history"
GOAL = "≤ 1 s (p99)"


def moments(info: dict, count: int, seed: int = 5) -> list[datetime]:
    rng = random.Random(seed)
    start, end = datetime.fromisoformat(info["start"]), datetime.fromisoformat(info["end"])
    return [start + (end - start) * rng.random() for _ in range(count)]


def checkpoints(directory: Path) -> dict[str, int]:
    """The map's history checkpoints: how many, and how many of them whole states (the rest are deltas)."""
    from projections.files import model_file

    with sqlite3.connect(model_file(directory / "projections", "situation_map")) as db:
        total = db.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0]
        columns = [r[1] for r in db.execute("PRAGMA table_info(checkpoints)")]
        whole = db.execute("SELECT COUNT(*) FROM checkpoints WHERE base IS NULL").fetchone()[0] if "base" in columns else total
    return {"rows": total, "whole": whole, "deltas": total - whole}


def in_process(directory: Path, when: list[datetime], budget: float) -> list[float]:
    """`Projections.as_of` alone on the same read models (no HTTP, no JSON), within a time budget."""
    from domain.application import Coordination
    from domain.application.eventstore import store_env
    from domain.application.settings import Settings
    from projections.geography import Geography
    from projections.runner import Projections

    settings = Settings(data_dir=directory)
    app = Coordination(store_env(settings))
    projections = Projections(app, settings, Geography.load(settings.geography_file), directory / "projections")
    seconds, deadline = [], time.monotonic() + budget
    for at in when:
        if time.monotonic() > deadline:
            break
        began = time.perf_counter()
        projections.as_of(at)
        seconds.append(time.perf_counter() - began)
    app.close()
    return seconds


def run(quick: bool = False, scaled: bool = False) -> Result:
    directory, info = history_store(quick)
    caught_up(directory)
    if not (directory / "projections" / "current.json").is_file():
        rebuild_once(directory)
    seed = int(os.environ.get("LIANFANG_BENCH_SEED") or time.time_ns() % 2**31)
    warm_up, *when = moments(info, 5 if quick else 41, seed)
    started = time.monotonic()
    with serve(directory) as server:
        startup = time.monotonic() - started
        headers = {"Authorization": f"Bearer {info['token']}"}
        seconds, features = [], 0
        with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
            client.get("/api/v1/map", params={"at": warm_up.isoformat()})  # warm-up, not counted
            for at in when:
                began = time.perf_counter()
                answer = client.get("/api/v1/map", params={"at": at.isoformat()})
                seconds.append(time.perf_counter() - began)
                answer.raise_for_status()
                features = max(features, len(answer.json()["features"]))
    alone = in_process(directory, when[:10], 3 if quick else 60)
    figures = {"latency_ms": spread(seconds), "history_checkpoints": checkpoints(directory), "seed": seed,
               "load_average": [round(x, 2) for x in os.getloadavg()], "checkpoint_every": 2000, "largest_map_features": features, "server_start_s": round(startup, 1),
               "as_of_in_process_ms": spread(alone), "history": info}
    p99 = figures["latency_ms"]["p99"]
    headline = (f"p50 {figures['latency_ms']['p50']:.0f} ms, p99 {p99:.0f} ms over {len(seconds)} random T; "
                f"as_of alone p50 {figures['as_of_in_process_ms']['p50']} ms")
    size = f"{info['events']:,} events" + ("" if quick or info["events"] >= 1_000_000 else " (not 1,000,000: see note)")
    return Result(NAME, TITLE, GOAL, size, p99 <= 1000, headline, figures)
