"""Where deltas go after a projection makes them: to every API process's live hub.

The embedded broker is in-process: `publish` calls each subscriber directly (from the
projection thread); subscribers hand the delta over to their own event loop.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("lianfang.broker")

Subscriber = Callable[[int, bytes], Any]


class Broker:
    """Fan-out of serialised deltas (position, bytes) to subscribers in this process."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def publish(self, position: int, payload: bytes) -> None:
        self.deliver(position, payload)

    def heard(self) -> bool:
        """Whether anyone reads what is published (if not, projections need not build their deltas)."""
        with self._lock:
            return bool(self._subscribers)

    def deliver(self, position: int, payload: bytes) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(position, payload)
            except Exception:  # one broken subscriber must not stop the others
                log.exception("live subscriber failed on position %d", position)

    def flush(self) -> None:
        """Send anything held back (the in-process broker holds nothing)."""

    def close(self) -> None:
        pass

