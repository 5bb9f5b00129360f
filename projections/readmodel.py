"""The base of every in-memory read model: deterministic state, a position, a checkpoint form."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import orjson
import zstandard

from projections.deltas import DELTA_MAGIC, Touched, delta_of, with_delta

__all__ = ["DELTA_MAGIC", "ReadModel", "decoded", "encoded", "is_delta", "with_delta"]

if TYPE_CHECKING:
    from domain.clock import Clock
    from projections.events import Fact

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # a compressed checkpoint starts so; one written before compression, with "{"


def encoded(saved: dict[str, Any]) -> bytes:
    """A checkpoint's bytes: its JSON, compressed (a county's map state is mostly repeated keys)."""
    return zstandard.ZstdCompressor(level=3).compress(orjson.dumps(saved))


def decoded(blob: bytes) -> dict[str, Any]:
    """A checkpoint from its bytes, compressed or (written by an older version) plain JSON; a delta too."""
    if blob[:4] == DELTA_MAGIC:
        blob = blob[4:]
    if blob[:4] == ZSTD_MAGIC:
        blob = zstandard.ZstdDecompressor().decompress(blob)
    return orjson.loads(blob)


def is_delta(blob: bytes) -> bool:
    return blob[:4] == DELTA_MAGIC


class AlreadyApplied(Exception):
    """A fact at or before the read model's position: applying it again would double count."""


class ReadModel:
    name = "read_model"
    # Set while no one reads the changes (a rebuild, a catch-up): `apply` then builds none and returns [].
    quiet = False

    def __init__(self) -> None:
        self.state: dict[str, Any] = self.empty()
        self.position = 0
        self.at: datetime | None = None
        self.clock: Clock | None = None
        self.forget_touched(None)
        self.loaded()

    # -- what changed since the last history checkpoint (delta checkpoints) ---------------------------------

    def forget_touched(self, base: int | None) -> None:
        """The state is as the history checkpoint at `base` holds it (None: as no stored one does)."""
        self.delta_base = base
        self.touched = Touched()

    def touch(self, collection: str, key: str, removes: bool = False) -> None:
        """Before a change to a thing that is not the fact's own (a zone a case falls in, a drawn jurisdiction);
        `removes`: the thing may leave its collection (its delta then names things by id, not by place)."""
        self.touched.one(self.state, collection, key, removes)

    def delta(self) -> bytes:
        """What changed since the history checkpoint at `delta_base` (see projections/deltas.py)."""
        saved = {"position": self.position, "at": self.at.isoformat() if self.at else None, "base": self.delta_base}
        return DELTA_MAGIC + encoded(saved | delta_of(self.state, self.touched))

    def empty(self) -> dict[str, Any]:
        return {}

    def loaded(self) -> None:
        """Rebuild derived caches after the state was set (from empty or from a checkpoint)."""

    def process(self, event: Any, fact: Fact) -> list[dict[str, Any]]:
        return []

    def apply(self, fact: Fact) -> list[dict[str, Any]]:
        if fact.position <= self.position:
            raise AlreadyApplied(f"{self.name} is at {self.position}; fact {fact.position} was applied already")
        self.at = fact.at
        self.touched.thing(self.state, fact.thing)
        changes = self.process(fact.event, fact)
        self.position = fact.position
        return [] if self.quiet else changes

    def now(self) -> datetime:
        """Wall-clock time when live; the last event's time when replaying or reviewing."""
        if self.clock is not None:
            return self.clock.now()
        return self.at or EPOCH

    def next_change(self) -> datetime | None:
        return None

    def tick(self, now: datetime) -> list[dict[str, Any]]:
        return []

    def dump(self) -> bytes:
        return encoded({"position": self.position, "at": self.at.isoformat() if self.at else None, "state": self.state})

    def restore(self, blob: bytes) -> None:
        self.restore_saved(decoded(blob))

    def restore_saved(self, saved: dict[str, Any], base: int | None = None) -> None:
        """From a decoded checkpoint; `base`: its position, when it is one kept in history (deltas may follow it)."""
        self.forget_touched(base)
        self.state = saved["state"]
        self.position = saved["position"]
        self.at = datetime.fromisoformat(saved["at"]) if saved["at"] else None
        self.loaded()
