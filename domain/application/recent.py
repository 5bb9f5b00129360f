"""The things this process's last commits left behind, kept while nobody else has written.

Loading a thing from the store costs a query, a replay and a deep copy; the writer usually
touches the same things again. The cache is trusted only while the log's head is exactly
where our own last commit left it (one query per batch); otherwise, or after any failed
batch, it is dropped and things are read from the store again.
"""
from __future__ import annotations

import threading
from typing import Any
from uuid import UUID


class RecentThings:
    def __init__(self) -> None:
        self.things: dict[UUID, Any] = {}
        self.head: int | None = None
        self.lock = threading.RLock()  # one batch at a time per process: they share these instances

    def trust(self, head: int) -> dict[UUID, Any]:
        """The cached things, if the log still ends where we left it; else an empty cache."""
        if head != self.head:
            self.things = {}
        return self.things

    def kept(self, head_before: int, positions: list[int]) -> None:
        """After a commit: still ours alone if our positions follow the old head without a gap."""
        if positions and min(positions) == head_before + 1 and max(positions) - head_before == len(positions):
            self.head = max(positions)
        elif positions:
            self.forget()
        else:
            self.head = head_before

    def forget(self) -> None:
        self.things = {}
        self.head = None
