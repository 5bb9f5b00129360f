"""One read-store interface: a read model's checkpoints, or the audit trail, over eventsourcing's tracking recorders.

A read store is a `TrackingRecorder` (SQLite or PostgreSQL) with tables of its own. As in the library's
custom views (its `ftsprojection` example), its rows and its tracking row are written in one
`datastore.transaction` through `_insert_tracking`: a crash leaves both or neither, and a position that does
not advance is refused (`IntegrityError`). The behaviour lives here once; each backend gives its tables
and its placeholder: `Checkpoints` (`projections/checkpoints.py`) and `Trail` (`projections/audit.py`), each
with a SQLite implementation beside it and a PostgreSQL one in `projections/postgres.py`.
"""
from __future__ import annotations

from abc import ABC
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.persistence import TrackingRecorder


def instant(value: datetime | str) -> datetime:
    """A stored time as an instant: SQLite keeps ISO text with its offset, PostgreSQL a timestamptz."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class ReadStore(TrackingRecorder, ABC):
    """What every read store has: a name its position is tracked under, and a table of its rows."""

    name: str
    table: str
    P: ClassVar[str]  # the driver's placeholder

    def close(self) -> None:
        self.datastore.close()  # type: ignore[attr-defined]

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            c.execute(sql, params)
            return list(c.fetchall())
