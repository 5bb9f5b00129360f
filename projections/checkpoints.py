"""Checkpoints of a read model: its whole state at a position, written with its tracking row.

One SQLite file per read model (eventsourcing's tracking table has a fixed name). The head
checkpoint is replaced as the model advances; every `every` events a checkpoint is also kept
in history, so "as of time T" starts from the nearest one instead of from position 0.

History thins out with age (`to_forget`, `kept_at`): each checkpoint is the whole state, so keeping
one per `every` events forever would grow with the square of the log. At an age a, the checkpoints
kept are max(every, a / SPREAD) apart (rounded down to a power of two of steps): dense where reviews
mostly look (the last days), sparser far back. At 1,000,000 events and every=2,000 that keeps about
96 checkpoints; at 100,000, about 46.
"""
from __future__ import annotations

from abc import ABC
from datetime import datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from domain.application.eventstore import DurablePool
from projections.readstore import ReadStore, instant

SOURCE = "Coordination"
SPREAD = 16


def step_at(age: int, every: int, spread: int = SPREAD) -> int:
    """How many `every`-event steps apart history checkpoints of this age are kept: the largest power of
    two whose span is within max(every, age // spread)."""
    allowed = max(every, age // spread) // every
    return 1 << (allowed.bit_length() - 1)


def kept_at(position: int, head: int, every: int, spread: int = SPREAD) -> bool:
    """Whether a history checkpoint at `position` is still kept when the log's head is at `head`.

    The steps kept at an age are multiples of a power of two that only grows with age, so a checkpoint
    once forgotten is never wanted again: a rebuild or a catch-up that knows the head it goes to
    writes only the ones that will stay, and they are the ones a live model would have kept."""
    return (position // every) % step_at(head - position, every, spread) == 0


def to_forget(kept: list[int], head: int, every: int, spread: int = SPREAD) -> list[int]:
    """History checkpoints that may go as the head reaches `head` (pure; `kept` includes `head`'s own if kept):
    those `kept_at` no longer keeps, and only if the gap each leaves between its kept neighbours (or position 0)
    is at most max(every, (head − newer neighbour) // spread), so that saves further apart than `every` keep
    their guarantee. As of a position q the nearest checkpoint is then at most about that far back."""
    forget: list[int] = []
    newer = head  # the nearest checkpoint above that stays (the head's own state is always there)
    newest_first = sorted((p for p in kept if p < head), reverse=True)
    for i, position in enumerate(newest_first):
        older = newest_first[i + 1] if i + 1 < len(newest_first) else 0
        if not kept_at(position, head, every, spread) and newer - older <= max(every, (head - newer) // spread):
            forget.append(position)
        else:
            newer = position
    return forget


class Checkpoints(ReadStore, ABC):
    """A read model's whole state at a position, written with its tracking row; see `to_forget` for the history kept."""

    every: int

    def stored_at(self, at: datetime | None) -> Any:
        return at.isoformat() if at else None

    def position(self) -> int:
        return self.max_tracking_id(self.name) or 0

    def save(self, position: int, at: datetime | None, state: bytes) -> None:
        """Write the state and the tracking position in one transaction; a repeat is refused."""
        keep = position // self.every > self.position() // self.every
        t, p = self.table, self.P
        with self.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
            self._insert_tracking(c, Tracking(self.name, position))  # type: ignore[attr-defined]
            c.execute(f"DELETE FROM {t} WHERE head = TRUE")  # noqa: S608  (table names from the code)
            c.execute(f"INSERT INTO {t} (position, at, head, state) VALUES ({p}, {p}, {p}, {p})",  # noqa: S608
                      (position, self.stored_at(at), not keep, state))
            if keep:
                c.execute(f"SELECT position FROM {t} WHERE head = FALSE")  # noqa: S608
                for gone in to_forget([row["position"] for row in c.fetchall()], position, self.every):
                    c.execute(f"DELETE FROM {t} WHERE position = {p}", (gone,))  # noqa: S608

    def kept(self) -> list[int]:
        """Positions of the checkpoints kept in history (as-of starts from these), oldest first."""
        return [row["position"] for row in self._rows(f"SELECT position FROM {self.table} WHERE head = FALSE ORDER BY position")]  # noqa: S608

    def latest(self) -> bytes | None:
        return self._state(f"SELECT state FROM {self.table} ORDER BY position DESC LIMIT 1", ())  # noqa: S608

    def latest_at_or_before(self, at: datetime) -> bytes | None:
        # Compared as instants, in Python, over the few candidates (stored times keep their offsets).
        for row in self._rows(f"SELECT position, at FROM {self.table} ORDER BY position DESC"):  # noqa: S608
            if row["at"] is not None and instant(row["at"]) <= at:
                return self._state(f"SELECT state FROM {self.table} WHERE position = {self.P}", (row["position"],))  # noqa: S608
        return None

    def _state(self, sql: str, params: tuple[Any, ...]) -> bytes | None:
        rows = self._rows(sql, params)
        return bytes(rows[0]["state"]) if rows else None


class CheckpointStore(Checkpoints, SQLiteTrackingRecorder):
    """A read model's checkpoints in a SQLite file of its own (eventsourcing's tracking table has a fixed name)."""

    table = "checkpoints"
    P = "?"

    def __init__(self, path: Path, every: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.name, self.every = path, SOURCE, every
        datastore = SQLiteDatastore(str(path))
        datastore.pool = DurablePool(db_name=str(path))
        super().__init__(datastore)
        self.create_table()

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                "CREATE TABLE IF NOT EXISTS checkpoints (position INTEGER PRIMARY KEY, at TEXT, head INTEGER, state BLOB)",
                "CREATE INDEX IF NOT EXISTS checkpoints_at ON checkpoints (at)"]
