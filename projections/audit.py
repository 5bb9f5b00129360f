"""The audit trail: every event as an attributed entry, chained by hash for tamper evidence.

h_n = sha256(h_{n-1} ‖ position ‖ topic ‖ state), in log order (not by contiguity: PostgreSQL may
leave gaps). Entries and the tracking position are written in one transaction. `verify`
recomputes the chain from the event store and names the first position where it breaks.
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from projections.events import Fact, data_of
from projections.summaries import summarize

if TYPE_CHECKING:
    from eventsourcing.application import Application

GENESIS = b"\x00" * 32
COLUMNS = ("position", "recorded_at", "occurred_at", "thing", "thing_kind", "type", "version", "actor",
           "actor_name", "unit", "role", "source", "summary_zh", "summary_en", "reason", "drill_run", "hash")


def link(previous: bytes, position: int, thing: object, version: int, topic: str, state: bytes) -> bytes:
    """Chains the event's place in the log, which thing it belongs to, its version, its type and its content."""
    envelope = f"{position}\x1f{thing}\x1f{version}\x1f{topic}\x1f".encode()
    return hashlib.sha256(previous + envelope + state).digest()


class AuditTrail:
    name = "audit"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(f"CREATE TABLE IF NOT EXISTS entries ({', '.join(COLUMNS)}, PRIMARY KEY (position))")
        for column in ("thing", "actor", "unit", "recorded_at"):
            self._db.execute(f"CREATE INDEX IF NOT EXISTS entries_{column} ON entries ({column})")
        self._db.execute("CREATE TABLE IF NOT EXISTS tracking (name TEXT PRIMARY KEY, position INTEGER, head BLOB)")
        row = self._db.execute("SELECT position, head FROM tracking WHERE name='audit'").fetchone()
        self.position, self._head = (row[0], bytes(row[1])) if row else (0, GENESIS)

    def refresh(self) -> None:
        """Re-read the position (another process may be writing the trail); nothing to do in-process."""

    def entry(self, fact: Fact, chained: bytes) -> dict[str, Any]:
        skipped = getattr(self, "skipped", {}).get(fact.position)
        if skipped is not None:  # an operator skipped it: chained as stored, its text made storable
            try:
                entry = self._entry(fact, chained)
            except Exception:  # noqa: BLE001  (the poison may be what breaks the summary)
                entry = dict.fromkeys(COLUMNS) | {"position": fact.position, "recorded_at": fact.at.isoformat(), "thing": fact.thing,
                                                  "thing_kind": fact.thing_kind, "type": fact.type, "version": fact.version,
                                                  "hash": chained.hex()}
            return {k: _escaped(v) for k, v in entry.items()} | {
                "summary_zh": f"已跳过（审计记录无法保存此事件）：{skipped}",
                "summary_en": f"skipped (the audit trail could not store this event): {skipped}", "reason": skipped}
        return self._entry(fact, chained)

    def _entry(self, fact: Fact, chained: bytes) -> dict[str, Any]:
        meta = fact.meta
        zh, en, reason = summarize(fact.type, data_of(fact.event))
        return {
            "position": fact.position, "recorded_at": fact.at.isoformat(), "occurred_at": meta.get("occurred_at"),
            "thing": fact.thing, "thing_kind": fact.thing_kind, "type": fact.type, "version": fact.version,
            "actor": meta.get("actor"), "actor_name": meta.get("actor_name"), "unit": meta.get("unit"),
            "role": meta.get("role"), "source": meta.get("source"), "summary_zh": zh, "summary_en": en,
            "reason": reason, "drill_run": meta.get("drill_run"), "hash": chained.hex(),
        }

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
        placeholders = ", ".join("?" * len(COLUMNS))
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(f"INSERT INTO entries VALUES ({placeholders})", [tuple(e[c] for c in COLUMNS) for e in entries])
            self._db.execute("INSERT OR REPLACE INTO tracking VALUES ('audit', ?, ?)", (entries[-1]["position"], head))
        self.position, self._head = entries[-1]["position"], head
        return entries

    def query(self, *, thing: str | None = None, actor: str | None = None, unit: str | None = None,
              since: datetime | None = None, until: datetime | None = None, after: int = 0, limit: int = 100,
              newest_first: bool = False) -> list[dict[str, Any]]:
        clauses, params = ["position > ?"], [after]
        for column, value in (("thing", thing), ("actor", actor), ("unit", unit)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        with self._lock:
            # Read only as far as the answer needs: "the newest 50" of a long trail is 50 rows, not all of them.
            rows = self._db.execute(
                f"SELECT * FROM entries WHERE {' AND '.join(clauses)} ORDER BY position {'DESC' if newest_first else 'ASC'}",  # noqa: S608
                params,
            )
            return within(rows, since, until, limit)

    def recorded_hashes(self) -> Any:
        """(position, hash) of every entry, in log order, from a connection of its own."""
        reader = sqlite3.connect(str(self.path))
        reader.row_factory = sqlite3.Row
        return reader.execute("SELECT position, hash FROM entries ORDER BY position")

    def close(self) -> None:
        self._db.close()


def _escaped(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return "".join(f"\\x{ord(c):02x}" if c == "\x00" or "\ud800" <= c <= "\udfff" else c for c in value)


def within(rows: Any, since: datetime | None, until: datetime | None, limit: int) -> list[dict[str, Any]]:
    """Entries recorded in [since, until], at most `limit` (times keep their offsets: compared as instants)."""
    result = []
    for row in rows:
        recorded = datetime.fromisoformat(row["recorded_at"])
        if (since and recorded < since) or (until and recorded > until):
            continue
        result.append(dict(row))
        if len(result) >= limit:
            break
    return result


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
