"""API processes and workers that start together on an empty database create the read stores' tables once:
PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against itself (two sessions both pass the check and one
fails on pg_type's unique index), which once failed a process's start-up."""
from __future__ import annotations

import threading

import pytest

from projections.postgres import PgAuditTrail, PgCheckpointStore

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("round_", range(3))
def test_read_stores_opened_at_the_same_moment_by_many_processes_all_open(postgres_dsn: str, round_: int) -> None:
    starters = 8
    ready = threading.Barrier(starters)
    failures: list[BaseException] = []
    opened: list[object] = []

    def start(n: int) -> None:
        ready.wait()
        try:
            opened.append(PgCheckpointStore(postgres_dsn, f"ledger{round_}", 100) if n % 2 else PgAuditTrail(postgres_dsn, f"audit{round_}"))
        except BaseException as error:  # noqa: BLE001  (what the test is about)
            failures.append(error)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in opened:
        store.close()
    assert failures == []
    assert len(opened) == starters
