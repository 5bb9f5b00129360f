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
DELTA_MAGIC = b"LFd1"  # a delta checkpoint: what changed since the history checkpoint it names as its base


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


def with_delta(saved: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """A decoded checkpoint moved on by a decoded delta (changed things replaced or added in the order they were
    first touched, as a replay adds them; things gone removed; values that are not collections replaced)."""
    state = saved["state"]
    for key, things in delta["changed"].items():
        state.setdefault(key, {}).update(things)
    for key, gone in delta["gone"].items():
        for thing in gone:
            state.get(key, {}).pop(thing, None)
    state.update(delta["whole"])
    return {"position": delta["position"], "at": delta["at"], "state": state}


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
        # (collection, key) in the order first touched since; collection None: the fact's thing, wherever it lives.
        self.touched: dict[tuple[str | None, str], None] = {}

    def touch(self, collection: str, key: str) -> None:
        """A change to a thing that is not the fact's own (a zone a case falls in, a drawn jurisdiction)."""
        self.touched[(collection, key)] = None

    def delta(self) -> bytes:
        """What changed since the history checkpoint at `delta_base`: the things touched since, as they are now."""
        changed: dict[str, dict[str, Any]] = {}
        gone: dict[str, list[str]] = {}
        s = self.state
        for collection, key in self.touched:
            if collection is None:
                for name, things in s.items():
                    if isinstance(things, dict) and key in things:
                        changed.setdefault(name, {})[key] = things[key]
            elif key in s.get(collection, ()):
                changed.setdefault(collection, {})[key] = s[collection][key]
            else:
                gone.setdefault(collection, []).append(key)
        whole = {k: v for k, v in s.items() if not isinstance(v, dict)}
        return DELTA_MAGIC + encoded({"position": self.position, "at": self.at.isoformat() if self.at else None,
                                      "base": self.delta_base, "changed": changed, "gone": gone, "whole": whole})

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
        self.touched[(None, fact.thing)] = None
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
