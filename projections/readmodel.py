"""The base of every in-memory read model: deterministic state, a position, a checkpoint form."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import orjson
import zstandard

if TYPE_CHECKING:
    from domain.clock import Clock
    from projections.events import Fact

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # a compressed checkpoint starts so; one written before compression, with "{"


def encoded(saved: dict[str, Any]) -> bytes:
    """A checkpoint's bytes: its JSON, compressed (a county's map state is mostly repeated keys)."""
    return zstandard.ZstdCompressor(level=3).compress(orjson.dumps(saved))


def decoded(blob: bytes) -> dict[str, Any]:
    """A checkpoint from its bytes, compressed or (written by an older version) plain JSON."""
    if blob[:4] == ZSTD_MAGIC:
        blob = zstandard.ZstdDecompressor().decompress(blob)
    return orjson.loads(blob)


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
        self.loaded()

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
        saved = decoded(blob)
        self.state = saved["state"]
        self.position = saved["position"]
        self.at = datetime.fromisoformat(saved["at"]) if saved["at"] else None
        self.loaded()
