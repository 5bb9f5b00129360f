"""Checkpoints of a read model: its whole state at a position, written with its tracking row.

One SQLite file per read model (eventsourcing's tracking table has a fixed name). The head
checkpoint is replaced as the model advances; every `every` events a checkpoint is also kept
in history, so "as of time T" starts from the nearest one instead of from position 0.

History thins out with age (`to_forget`, `kept_at`): each checkpoint is the whole state, so keeping
one per `every` events forever would grow with the square of the log. At an age a, the checkpoints
kept are max(every, a / SPREAD) apart (rounded down to a power of two of steps): dense where reviews
mostly look (the last days), sparser far back. At 1,000,000 events and every=2,000 that keeps about
96 checkpoints; at 100,000, about 46. (PostgreSQL stores still keep history so.)

A SQLite store keeps its history as deltas instead (`deltas = True`): a checkpoint every `every` events,
none forgotten, most of them only what changed since the one before (`ReadModel.delta`), with a whole state
every FULL_EVERY checkpoints or once the deltas since the last whole one add up to half its size. A delta row
names its base (the history checkpoint before it); a row with no base is a whole state, as every row written
before deltas is. The head row may be a delta too, on the newest history checkpoint. To restore any row:
the nearest whole one at or before it, then the deltas after it in order (`_saved_at`).
"""
from __future__ import annotations

from abc import ABC
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from domain.application.eventstore import DurablePool
from projections.readmodel import ReadModel, decoded, encoded, is_delta, with_delta
from projections.readstore import ReadStore, instant

SOURCE = "Coordination"
SPREAD = 16
FULL_EVERY = 32


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
    deltas = False  # history as deltas, none forgotten (see the module's docstring)

    def stored_at(self, at: datetime | None) -> Any:
        return at.isoformat() if at else None

    def position(self) -> int:
        return self.max_tracking_id(self.name) or 0

    def keeps(self, position: int, head: int | None) -> bool:
        """Whether a history checkpoint at `position` is worth writing on the way to `head` (None: not known)."""
        return self.deltas or head is None or kept_at(position, head, self.every)

    def save(self, position: int, at: datetime | None, state: bytes) -> None:
        """Write the state and the tracking position in one transaction; a repeat is refused."""
        self._save(position, at, lambda: state, None)

    def save_model(self, model: ReadModel) -> None:
        """The model's state at its position: a delta on its last history checkpoint where one will do."""
        self._save(model.position, model.at, model.dump, model)

    def _save(self, position: int, at: datetime | None, whole: Callable[[], bytes], model: ReadModel | None) -> None:
        keep = position // self.every > self.position() // self.every
        base = model.delta_base if model is not None and self.deltas else None
        if base is not None and (keep and self._whole_due() or not self._rows(
                f"SELECT 1 FROM {self.table} WHERE position = {self.P} AND head = FALSE", (base,))):  # noqa: S608
            base = None
        blob = whole() if base is None else model.delta()  # type: ignore[union-attr]
        t, p = self.table, self.P
        with self.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
            self._insert_tracking(c, Tracking(self.name, position))  # type: ignore[attr-defined]
            c.execute(f"DELETE FROM {t} WHERE head = TRUE")  # noqa: S608  (table names from the code)
            if self.deltas:
                c.execute(f"INSERT INTO {t} (position, at, head, state, base) VALUES ({p}, {p}, {p}, {p}, {p})",  # noqa: S608
                          (position, self.stored_at(at), not keep, blob, base))
            else:
                c.execute(f"INSERT INTO {t} (position, at, head, state) VALUES ({p}, {p}, {p}, {p})",  # noqa: S608
                          (position, self.stored_at(at), not keep, blob))
            if keep and not self.deltas:
                c.execute(f"SELECT position FROM {t} WHERE head = FALSE")  # noqa: S608
                for gone in to_forget([row["position"] for row in c.fetchall()], position, self.every):
                    c.execute(f"DELETE FROM {t} WHERE position = {p}", (gone,))  # noqa: S608
        if keep and model is not None:
            model.forget_touched(position if self.deltas else None)

    def _whole_due(self) -> bool:
        """Whether the next history checkpoint is a whole state: FULL_EVERY since the last, or deltas half its size."""
        t = self.table
        last = self._rows(f"SELECT position, length(state) AS size FROM {t} WHERE head = FALSE AND base IS NULL "  # noqa: S608
                          "ORDER BY position DESC LIMIT 1")
        if not last:
            return True
        since = self._rows(f"SELECT COUNT(*) AS n, COALESCE(SUM(length(state)), 0) AS size FROM {t} "  # noqa: S608
                           f"WHERE head = FALSE AND position > {self.P}", (last[0]["position"],))[0]
        return since["n"] + 1 >= FULL_EVERY or 2 * since["size"] >= last[0]["size"]

    def kept(self) -> list[int]:
        """Positions of the checkpoints kept in history (as-of starts from these), oldest first."""
        return [row["position"] for row in self._rows(f"SELECT position FROM {self.table} WHERE head = FALSE ORDER BY position")]  # noqa: S608

    def latest(self) -> bytes | None:
        rows = self._rows(f"SELECT position, head FROM {self.table} ORDER BY position DESC LIMIT 1")  # noqa: S608
        return self._blob(rows[0]) if rows else None

    def latest_at_or_before(self, at: datetime) -> bytes | None:
        row = self._row_at_or_before(at)
        return self._blob(row) if row else None

    def restore_latest(self, model: ReadModel) -> bool:
        """The model as the newest checkpoint left it; whether there was one."""
        rows = self._rows(f"SELECT position, head FROM {self.table} ORDER BY position DESC LIMIT 1")  # noqa: S608
        return bool(rows) and self._restore(model, rows[0])

    def restore_at_or_before(self, model: ReadModel, at: datetime) -> bool:
        """The model as the newest checkpoint at or before `at` left it; whether there was one."""
        row = self._row_at_or_before(at)
        return row is not None and self._restore(model, row)

    def _row_at_or_before(self, at: datetime) -> Any:
        # Compared as instants, in Python, over the candidates (stored times keep their offsets).
        for row in self._rows(f"SELECT position, head, at FROM {self.table} ORDER BY position DESC"):  # noqa: S608
            if row["at"] is not None and instant(row["at"]) <= at:
                return row
        return None

    def _restore(self, model: ReadModel, row: Any) -> bool:
        saved = self._saved_at(row["position"])
        if saved is None:
            return False
        model.restore_saved(saved, None if row["head"] else row["position"])
        return True

    def _blob(self, row: Any) -> bytes | None:
        blob = self._state(f"SELECT state FROM {self.table} WHERE position = {self.P}", (row["position"],))  # noqa: S608
        if blob is None or not is_delta(blob):
            return blob
        saved = self._saved_at(row["position"])
        return encoded(saved) if saved else None

    def _saved_at(self, position: int) -> dict[str, Any] | None:
        """The decoded checkpoint at `position`: a whole one, or the nearest whole one before it and the deltas since."""
        if not self.deltas:
            blob = self._state(f"SELECT state FROM {self.table} WHERE position = {self.P}", (position,))  # noqa: S608
            return decoded(blob) if blob else None
        t, p = self.table, self.P
        whole = self._rows(f"SELECT position FROM {t} WHERE position <= {p} AND base IS NULL "  # noqa: S608
                           "ORDER BY position DESC LIMIT 1", (position,))
        if not whole:
            return None
        chain = self._rows(f"SELECT position, base, state FROM {t} WHERE position >= {p} AND position <= {p} "  # noqa: S608
                           f"AND (head = FALSE OR position = {p}) ORDER BY position", (whole[0]["position"], position, position))
        saved = decoded(bytes(chain[0]["state"]))
        for previous, row in zip(chain, chain[1:]):
            if row["base"] != previous["position"]:
                break  # a broken chain (not written so here): the state as far as it goes; the replay does the rest
            saved = with_delta(saved, decoded(bytes(row["state"])))
        return saved

    def _state(self, sql: str, params: tuple[Any, ...]) -> bytes | None:
        rows = self._rows(sql, params)
        return bytes(rows[0]["state"]) if rows else None


class CheckpointStore(Checkpoints, SQLiteTrackingRecorder):
    """A read model's checkpoints in a SQLite file of its own (eventsourcing's tracking table has a fixed name)."""

    table = "checkpoints"
    P = "?"
    deltas = True

    def __init__(self, path: Path, every: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.name, self.every = path, SOURCE, every
        datastore = SQLiteDatastore(str(path))
        datastore.pool = DurablePool(db_name=str(path))
        super().__init__(datastore)
        self.create_table()
        with self.datastore.transaction(commit=True) as c:  # a file written before deltas: its rows are whole states
            c.execute("SELECT 1 FROM pragma_table_info('checkpoints') WHERE name = 'base'")
            if not c.fetchone():
                c.execute("ALTER TABLE checkpoints ADD COLUMN base INTEGER")

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                "CREATE TABLE IF NOT EXISTS checkpoints (position INTEGER PRIMARY KEY, at TEXT, head INTEGER, state BLOB, base INTEGER)",
                "CREATE INDEX IF NOT EXISTS checkpoints_at ON checkpoints (at)"]
