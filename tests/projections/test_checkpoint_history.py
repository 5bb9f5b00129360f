"""Checkpoint history thins out with age: as-of still starts close to any moment, and the history stops
growing with the square of the log (every checkpoint is the whole state)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from projections.checkpoints import SPREAD, to_forget

T0 = datetime(2026, 4, 1, tzinfo=timezone(timedelta(hours=8)))


def grow(steps: list[int], every: int) -> tuple[int, list[int]]:
    """Advance the head by each step, keeping a checkpoint whenever it crosses a multiple of `every` (as the
    stores do) and thinning after each; the head and the history left."""
    head, kept = 0, []
    for step in steps:
        before, head = head, head + step
        if head // every > before // every:
            kept.append(head)
            forget = set(to_forget(kept, head, every))
            kept = [p for p in kept if p not in forget]
    return head, kept


def assert_close_to_every_moment(head: int, kept: list[int], every: int, step: int = 1) -> None:
    """For each position q, the nearest start (a kept checkpoint, or 0) is within what q's age allows; a head that
    moves by `step` at a time leaves gaps of up to every + step - 1 between checkpoints even unthinned."""
    starts = [0, *kept]
    for q in range(head + 1):
        start = max(p for p in starts if p <= q)
        assert q - start <= max(every + step - 1, (head - q) // SPREAD), (q, start, kept)


@settings(max_examples=60, deadline=None)
@given(every=st.integers(1, 40), steps=st.lists(st.integers(1, 30), min_size=1, max_size=300))
def test_as_of_any_position_finds_a_checkpoint_within_what_its_age_allows(every: int, steps: list[int]) -> None:
    head, kept = grow(steps, every)
    assert kept == sorted(kept) and all(0 < p <= head for p in kept)
    assert_close_to_every_moment(head, kept, every, max(steps))


def test_a_long_log_keeps_a_few_dozen_checkpoints_not_one_per_interval() -> None:
    head, kept = grow([2000] * 500, 2000)  # 1,000,000 events, a checkpoint every 2,000
    assert head == 1_000_000
    assert len(kept) < 120, len(kept)  # instead of 500
    assert kept[-8:] == [head - 2000 * i for i in range(7, -1, -1)], "the recent ones are all kept"
    assert sum(kept) < 0.35 * sum(range(2000, head + 1, 2000)), "and most of the bytes go"


@pytest.fixture
def checkpoint_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A model's checkpoint store in PostgreSQL, every 10 events (SQLite stores keep deltas instead: test_delta_checkpoints)."""
    from projections.postgres import PgCheckpointStore

    server = request.getfixturevalue("postgres_server")
    database = server.create_database()
    store = PgCheckpointStore(database, "history_test", every=10)
    yield store
    store.close()
    server.drop_database(database.rsplit("/", 1)[1])


def test_a_postgresql_store_thins_its_history_as_it_saves(checkpoint_store: Any) -> None:
    store = checkpoint_store
    for position in range(1, 2001):
        store.save(position, T0 + timedelta(minutes=position), f"state at {position}".encode())
    kept = store.kept()
    assert 2000 in kept and len(kept) < 90, len(kept)  # 200 without thinning
    assert_close_to_every_moment(2000, kept, 10)
    assert store.latest() == b"state at 2000"
    restored = store.latest_at_or_before(T0 + timedelta(minutes=1234))
    assert restored is not None and 1234 - 80 <= int(restored.split()[-1]) <= 1234
