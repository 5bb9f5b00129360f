"""P1: durable ingest of field reports over HTTP, concurrent clients, fsync before 2xx.

Baselines in the same run: a bare FastAPI POST endpoint (same body model, same uvicorn), measured
before and after Lianfang; and raw commits to the same kind of store, one per transaction and batched.
Every acknowledged report must be in the store afterwards (the head advances by one per report: its
Idempotency-Key is kept beside it in the same commit, not as an event).
"""
from __future__ import annotations

import itertools
import time
from typing import Any

import httpx

from bench.clients import hammer, run_processes
from bench.common import Result, cpu_seconds, fresh_dir, serve_bare, spread
from bench.stores import lianfang

NAME, TITLE = "P1", "durable ingest of field reports over HTTP"
GOAL = "≥ 0.6× the bare endpoint; ≥ 2,000 acknowledged/s"
STATE = b'{"new":{"suspected":1,"close_contacts":3},"note":"\\u7b2c12\\u6b21\\u8d70\\u8bbf","position":[104.05,30.68]}' * 3


def run(quick: bool = False, scaled: bool = False) -> Result:
    seconds, processes, connections = (1, 1, 8) if quick else (12, 2, 32)
    bare_runs = []
    base = fresh_dir("p1-bare")
    with serve_bare(base) as bare:
        bare_paths = [f"/api/v1/incidents/{'0' * 31}{n}/reports" for n in range(8)]
        bare_runs.append(_with_cpu(bare.pid, hammer, bare.port, "x", bare_paths, processes, connections, seconds))
        with lianfang("p1", scaled) as (server, seeded, info):
            paths = [f"/api/v1/incidents/{i}/reports" for i in seeded.incidents]
            hammer(server.port, seeded.field, paths, processes, connections, 1.0)  # warm-up, not counted
            head = _head(server.url)
            load = _with_cpu(server.pid, hammer, server.port, seeded.field, paths, processes, connections, seconds)
            time.sleep(0.5)
            written = _head(server.url) - head
            plain = {k: v for k, v in info.items() if k != "other"}  # (a server handle does not cross processes)
            raw = run_processes(raw_commits, [(plain, 0.5 if quick else 4.0)])[0]
        bare_runs.append(_with_cpu(bare.pid, hammer, bare.port, "x", bare_paths, processes, connections, seconds))
    bare_rate = sum(r["per_second"] for r in bare_runs) / len(bare_runs)
    ratio = load["per_second"] / bare_rate
    durable = written >= load["acknowledged"]
    met = ratio >= 0.6 and load["per_second"] >= 2000 and durable
    figures: dict[str, Any] = {
        "acknowledged_per_s": load["per_second"], "bare_per_s": [r["per_second"] for r in bare_runs],
        "ratio_to_bare": round(ratio, 3), "latency_ms": spread(load["latencies"]),
        "bare_latency_ms": spread(bare_runs[0]["latencies"]), "statuses": load["statuses"],
        "server_cpu_ms_per_ack": load["cpu_ms_per_ack"], "bare_cpu_ms_per_request": [r["cpu_ms_per_ack"] for r in bare_runs],
        "cpu_ratio_bare_to_lianfang": round(sum(r["cpu_ms_per_ack"] for r in bare_runs) / len(bare_runs) / load["cpu_ms_per_ack"], 3),
        "events_written": written, "all_acknowledged_durable": durable, **raw,
        "clients": f"{processes} processes × {connections} keep-alive connections, {seconds} s, Idempotency-Key on each",
    }
    headline = (f"{load['per_second']:,.0f}/s acked = {ratio:.2f}× bare ({bare_rate:,.0f}/s); "
                f"server CPU {load['cpu_ms_per_ack']:.1f} ms/ack vs bare {bare_runs[0]['cpu_ms_per_ack']:.2f} ms; "
                f"p99 {figures['latency_ms']['p99']} ms; raw 1/txn {raw['raw_one_per_txn_per_s']:,.0f}/s, "
                f"batched {raw['raw_batched_per_s']:,.0f}/s")
    return Result(NAME, TITLE, GOAL, f"{seconds} s × {processes * connections} clients", met, headline, figures)


def _with_cpu(pid: int, load: Any, *args: Any) -> dict[str, Any]:
    """Run a load and add the server's CPU time per acknowledged request (robust on a shared machine)."""
    before = cpu_seconds(pid)
    answer = load(*args)
    answer["cpu_ms_per_ack"] = round((cpu_seconds(pid) - before) * 1000 / max(1, answer["acknowledged"]), 3)
    return answer


def _head(url: str) -> int:
    return httpx.get(url + "/healthz", timeout=10).json()["store_head"]


def raw_commits(info: dict[str, str], seconds: float) -> dict[str, float]:
    """Rows like stored events, durably committed one per transaction, then 512 per transaction."""
    if info["mode"] == "embedded":
        return _raw_sqlite(seconds)
    return _raw_postgres(info["LIANFANG_DATABASE_URL"], seconds)


_next = itertools.count()


def _timed(insert_batch: Any, size: int, seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        insert_batch([f"{next(_next):032x}" for _ in range(size)])
        done += size
    return round(done / (time.perf_counter() - started), 1)


def _raw_sqlite(seconds: float) -> dict[str, float]:
    import sqlite3

    path = fresh_dir("p1-raw") / "raw.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
               "PRIMARY KEY (originator_id, originator_version))")

    def insert(ids: list[str]) -> None:
        db.execute("BEGIN")
        db.executemany("INSERT INTO events VALUES (?, 1, 'domain.incident:Incident.FieldReportFiled', ?)",
                       [(i, STATE) for i in ids])
        db.execute("COMMIT")

    return {"raw_one_per_txn_per_s": _timed(insert, 1, seconds), "raw_batched_per_s": _timed(insert, 512, seconds)}


def _raw_postgres(dsn: str, seconds: float) -> dict[str, float]:
    import psycopg

    with psycopg.connect(dsn) as db:
        db.execute("CREATE TABLE raw_events (originator_id uuid, originator_version int, topic text, state bytea, "
                   "PRIMARY KEY (originator_id, originator_version))")
        db.commit()

        def insert(ids: list[str]) -> None:
            with db.cursor() as c:
                c.executemany("INSERT INTO raw_events VALUES (%s, 1, 'domain.incident:Incident.FieldReportFiled', %s)",
                              [(i, STATE) for i in ids])
            db.commit()

        return {"raw_one_per_txn_per_s": _timed(insert, 1, seconds), "raw_batched_per_s": _timed(insert, 512, seconds)}
