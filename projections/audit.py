"""The audit trail: every event as an attributed entry, chained by hash for tamper evidence.

h_n = sha256(h_{n-1} ‖ position ‖ topic ‖ state), in log order (not by contiguity: PostgreSQL may
leave gaps). Entries and the tracking position are written in one transaction. `verify`
recomputes the chain from the event store and names the first position where it breaks.
"""
from __future__ import annotations

import hashlib
import threading
import uuid
from abc import ABC
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from domain.application.eventstore import DurablePool
from projections.events import Fact, data_of
from projections.readstore import ReadStore, instant
from projections.summaries import summarize

if TYPE_CHECKING:
    from eventsourcing.application import Application

GENESIS = b"\x00" * 32
UUIDS = ("thing", "unit")  # stored as 16 bytes by SQLite trails
PAGE = 500  # rows read at a time: "the newest 50" of a long trail reads 500 rows, not all of them
COLUMNS = ("position", "recorded_at", "occurred_at", "thing", "thing_kind", "type", "version", "actor",
           "actor_name", "unit", "role", "source", "summary_zh", "summary_en", "reason", "drill_run", "hash")


def link(previous: bytes, position: int, thing: object, version: int, topic: str, state: bytes) -> bytes:
    """Chains the event's place in the log, which thing it belongs to, its version, its type and its content."""
    envelope = f"{position}\x1f{thing}\x1f{version}\x1f{topic}\x1f".encode()
    return hashlib.sha256(previous + envelope + state).digest()


def entry_of(fact: Fact, chained: bytes, skipped: str | None = None) -> dict[str, Any]:
    """The fact as an audit entry carrying its link in the chain; `skipped`: why an operator passed over it."""
    if skipped is not None:  # chained as stored, its text made storable
        try:
            entry = _entry(fact, chained)
        except Exception:  # noqa: BLE001  (the poison may be what breaks the summary)
            entry = dict.fromkeys(COLUMNS) | {"position": fact.position, "recorded_at": fact.at.isoformat(), "thing": fact.thing,
                                              "thing_kind": fact.thing_kind, "type": fact.type, "version": fact.version,
                                              "hash": chained.hex()}
        return {k: _escaped(v) for k, v in entry.items()} | {
            "summary_zh": f"已跳过（审计记录无法保存此事件）：{skipped}",
            "summary_en": f"skipped (the audit trail could not store this event): {skipped}", "reason": skipped}
    return _entry(fact, chained)


def _entry(fact: Fact, chained: bytes) -> dict[str, Any]:
    meta = fact.meta
    zh, en, reason = summarize(fact.type, data_of(fact.event))
    return {
        "position": fact.position, "recorded_at": fact.at.isoformat(), "occurred_at": meta.get("occurred_at"),
        "thing": fact.thing, "thing_kind": fact.thing_kind, "type": fact.type, "version": fact.version,
        "actor": meta.get("actor"), "actor_name": meta.get("actor_name"), "unit": meta.get("unit"),
        "role": meta.get("role"), "source": meta.get("source"), "summary_zh": zh, "summary_en": en,
        "reason": reason, "drill_run": meta.get("drill_run"), "hash": chained.hex(),
    }


class Trail(ReadStore, ABC):
    """The audit trail: every event as an attributed entry, chained by hash (see the module's docstring).

    The chain's head is the newest entry's hash, so position and head are read together from one row."""

    skipped: dict[int, str]

    def opened(self) -> None:
        """After the tables exist: where the trail stands; a trail written before it had a tracking row gets one."""
        self._lock = threading.Lock()  # position and head change together
        self.skipped = {}
        self.refresh()
        if self.position and self.max_tracking_id(self.name) is None:
            self.insert_tracking(Tracking(self.name, self.position))

    def refresh(self) -> None:
        """Re-read the position and head (another process may be writing the trail)."""
        rows = self._rows(f"SELECT position, hash FROM {self.table} ORDER BY position DESC LIMIT 1")  # noqa: S608
        with self._lock:
            self.position, self._head = (rows[0]["position"], hash_bytes(rows[0]["hash"])) if rows else (0, GENESIS)

    def entry(self, fact: Fact, chained: bytes) -> dict[str, Any]:
        return entry_of(fact, chained, self.skipped.get(fact.position))

    def chained(self, facts: list[Fact]) -> tuple[list[dict[str, Any]], bytes]:
        """Entries for the facts after our position, each carrying its link in the chain; and the new head."""
        entries, head = [], self._head
        for fact in facts:
            if fact.position <= self.position:
                continue
            head = link(head, fact.position, fact.thing, fact.version, fact.topic, fact.state)
            entries.append(self.entry(fact, head))
        return entries, head

    def append(self, facts: list[Fact]) -> list[dict[str, Any]]:
        """Chain and store the facts after our position, with the new position, in one transaction."""
        entries, head = self.chained(facts)
        if not entries:
            return []
        placeholders = ", ".join([self.P] * len(COLUMNS))
        try:
            with self.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
                self._insert_tracking(c, Tracking(self.name, entries[-1]["position"]))  # type: ignore[attr-defined]
                c.executemany(f"INSERT INTO {self.table} VALUES ({placeholders})",  # noqa: S608
                              [self.stored(e) for e in entries])
        except IntegrityError as error:
            raise ValueError(f"{self.name} is already past {entries[0]['position'] - 1}; another worker is writing") from error
        with self._lock:
            self.position, self._head = entries[-1]["position"], head
        return entries

    def stored(self, entry: dict[str, Any]) -> tuple[Any, ...]:
        """The entry as a row of the table."""
        return tuple(entry[col] for col in COLUMNS)

    def key(self, value: str) -> Any:
        """A thing's, an actor's or a unit's id as the table stores it."""
        return value

    def query(self, *, thing: str | None = None, actor: str | None = None, unit: str | None = None,
              since: datetime | None = None, until: datetime | None = None, after: int = 0, limit: int = 100,
              newest_first: bool = False, through: int | None = None) -> list[dict[str, Any]]:
        """Entries after `after` (and up to `through`: the trail as it stood there), by thing, actor or unit,
        recorded in [since, until], at most `limit`."""
        self.refresh()
        where: list[tuple[str, Any]] = [(f"position > {self.P}", after)]
        if through is not None:
            where.append((f"position <= {self.P}", through))
        for column, value in (("thing", thing), ("actor", actor), ("unit", unit)):
            if value and self.key(value) != value:  # stored as bytes now, as text by a trail written before
                where.append((f"{column} IN ({self.P}, {self.P})", (self.key(value), value)))
            elif value:
                where.append((f"{column} = {self.P}", value))
        result: list[dict[str, Any]] = []
        for row in self._pages(where, newest_first):
            recorded = instant(row["recorded_at"])
            if (since and recorded < since) or (until and recorded > until):
                continue
            result.append(as_entry(row))
            if len(result) >= limit:
                break
        return result

    def recorded_hashes(self) -> Iterator[dict[str, Any]]:
        """(position, hash) of every entry, in log order, a page at a time."""
        for row in self._pages([], newest_first=False, columns="position, hash"):
            yield as_entry(row)

    def _pages(self, where: list[tuple[str, Any]], newest_first: bool, columns: str = "*") -> Iterator[Any]:
        """The matching rows in log order (or newest first), read a page at a time from where the last page ended."""
        beyond: int | None = None
        while True:
            clauses = [c for c, _ in where] + ([f"position {'<' if newest_first else '>'} {self.P}"] if beyond is not None else [])
            params = tuple(p for _, v in where for p in (v if isinstance(v, tuple) else (v,))) + ((beyond,) if beyond is not None else ())
            sql = (f"SELECT {columns} FROM {self.table} {'WHERE ' + ' AND '.join(clauses) if clauses else ''} "  # noqa: S608
                   f"ORDER BY position {'DESC' if newest_first else 'ASC'} LIMIT {PAGE}")
            rows = self._rows(sql, params)
            yield from rows
            if len(rows) < PAGE:
                return
            beyond = rows[-1]["position"]


class AuditTrail(Trail, SQLiteTrackingRecorder):
    """The audit trail in a SQLite file of its own."""

    name = "audit"
    table = "entries"
    P = "?"

    def stored(self, entry: dict[str, Any]) -> tuple[Any, ...]:
        """Its hash as its 32 bytes, not their 64 hex digits; a thing's and a unit's UUID as its 16 bytes, not 36
        characters (in the row and in the index on it). A trail written before keeps text: both are read."""
        return tuple(bytes.fromhex(entry[col]) if col == "hash" else self.key(entry[col]) if col in UUIDS else entry[col]
                     for col in COLUMNS)

    def key(self, value: Any) -> Any:
        """A UUID in its canonical text as its 16 bytes; anything else as it is."""
        if isinstance(value, str) and len(value) == 36:
            try:
                parsed = uuid.UUID(value)
            except ValueError:
                return value
            if str(parsed) == value:
                return parsed.bytes
        return value

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        datastore = SQLiteDatastore(str(path))
        datastore.pool = DurablePool(db_name=str(path))
        super().__init__(datastore)
        with self.datastore.transaction(commit=True) as c:
            # A trail written before this interface kept its position and head in a `tracking` table of its own,
            # where the recorder's goes; both are in its newest entry too, which `opened` reads.
            c.execute("SELECT 1 FROM pragma_table_info('tracking') WHERE name = 'head'")
            if c.fetchone():
                c.execute("DROP TABLE tracking")
            c.execute("DROP INDEX IF EXISTS entries_recorded_at")  # written before: never used (times are compared in Python)
        self.create_table()
        self.opened()

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                # The position is the row's key itself (INTEGER PRIMARY KEY), not a column with an index of its own beside it.
                f"CREATE TABLE IF NOT EXISTS entries (position INTEGER PRIMARY KEY, {', '.join(COLUMNS[1:])})",
                *(f"CREATE INDEX IF NOT EXISTS entries_{c} ON entries ({c})" for c in ("thing", "actor", "unit"))]


def hash_bytes(stored: str | bytes) -> bytes:
    """A stored link in the chain as bytes: 32 raw bytes (SQLite now), or hex text (PostgreSQL, older trails)."""
    return bytes(stored) if isinstance(stored, (bytes, memoryview)) else bytes.fromhex(stored)


def as_entry(row: Any) -> dict[str, Any]:
    """A stored row as the entry it is (its hash as hex, however it is stored)."""
    entry = dict(row)
    if isinstance(entry.get("hash"), (bytes, memoryview)):
        entry["hash"] = bytes(entry["hash"]).hex()
    for column in UUIDS:
        if isinstance(entry.get(column), (bytes, memoryview)):
            entry[column] = str(uuid.UUID(bytes=bytes(entry[column])))
    return entry


def _escaped(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return "".join(f"\\x{ord(c):02x}" if c == "\x00" or "\ud800" <= c <= "\udfff" else c for c in value)


@dataclass
class Verdict:
    ok: bool
    checked: int
    head: int
    broken_at: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "head": self.head, "broken_at": self.broken_at, "problem": self.problem}


def verify(app: Application, trail: AuditTrail, batch: int = 5000) -> Verdict:
    """Recompute the chain over the event store and compare it with the trail's recorded hashes."""
    trail.refresh()  # another process may write the trail (scale-out)
    recorded = iter(trail.recorded_hashes())
    previous, checked, start = GENESIS, 0, 1
    expected = next(recorded, None)
    while True:
        notifications = app.recorder.select_notifications(start, batch)
        for n in notifications:
            if expected is None:  # beyond what the trail has seen: not yet projected, nothing to compare
                return Verdict(True, checked, trail.position)
            if n.id < expected["position"]:
                return Verdict(False, checked, trail.position, n.id, f"an event at position {n.id} was inserted")
            if n.id > expected["position"]:
                return Verdict(False, checked, trail.position, expected["position"], f"the event at position {expected['position']} was removed")
            chained = link(previous, n.id, n.originator_id, n.originator_version, n.topic, n.state)
            if chained.hex() != expected["hash"]:
                return Verdict(False, checked, trail.position, n.id, f"the event at position {n.id} was changed or moved")
            previous, checked = chained, checked + 1
            expected = next(recorded, None)
        if len(notifications) < batch:
            break
        start = notifications[-1].id + 1
    if expected is not None:
        return Verdict(False, checked, trail.position, expected["position"], f"events from position {expected['position']} on were removed")
    return Verdict(True, checked, trail.position)
