"""Clocks and id sources, passed in: live uses the wall clock, drills a simulated one."""
from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4


class Clock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class SimulatedClock(Clock):
    """A drill's clock: starts at the scenario's start and moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance_to(self, moment: datetime) -> None:
        with self._lock:
            if moment < self._now:
                raise ValueError(f"a simulated clock does not go back ({moment} < {self._now})")
            self._now = moment

    def advance(self, delta: timedelta) -> None:
        self.advance_to(self.now() + delta)


class Ids:
    def new(self) -> UUID:
        return uuid4()


class SeededIds(Ids):
    """Reproducible ids, so a drill rerun gives the same things the same ids."""

    def __init__(self, seed: int | str) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def new(self) -> UUID:
        with self._lock:
            return UUID(int=self._random.getrandbits(128), version=4)
