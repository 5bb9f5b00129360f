"""Failures that repeat, logged as a person on call wants them: the first with its traceback, then one line
per kind and interval with a count, and one line when it works again.

`FAILURES.active()` also tells /healthz what is failing right now (and since when).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

log = logging.getLogger("lianfang.failures")
INTERVAL_SECONDS = 10.0


@dataclass
class Failing:
    kind: str
    since: float  # time.time() of the first failure of this episode
    last_error: str
    count: int = 0  # failures since the last line logged
    total: int = 1
    logged_at: float = 0.0  # time.monotonic()


def describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class FailureLog:
    def __init__(self, interval: float = INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._failing: dict[str, Failing] = {}

    def failed(self, kind: str, error: BaseException, context: str = "") -> None:
        now = time.monotonic()
        with self._lock:
            entry = self._failing.get(kind)
            if entry is None:
                self._failing[kind] = Failing(kind, time.time(), describe(error), logged_at=now)
                first = True
            else:
                entry.count += 1
                entry.total += 1
                entry.last_error = describe(error)
                first = False
                due = now - entry.logged_at >= self.interval
                if due:
                    count, seconds = entry.count, now - entry.logged_at
                    entry.count, entry.logged_at = 0, now
        suffix = f"; {context}" if context else ""
        if first:
            log.error("%s failed: %s%s (repeats are counted, one line every %.0f s)", kind, describe(error), suffix,
                      self.interval, exc_info=error)
        elif due:
            log.error("%s still failing: %d more times in the last %.0f s; last: %s%s", kind, count, seconds,
                      describe(error), suffix)

    def recovered(self, kind: str) -> None:
        if kind not in self._failing:  # (read without the lock: the common case costs nothing)
            return
        with self._lock:
            entry = self._failing.pop(kind, None)
        if entry is not None:
            log.warning("%s works again after %.1f s and %d failures", kind, time.time() - entry.since, entry.total)

    def active(self) -> dict[str, Failing]:
        with self._lock:
            return dict(self._failing)


FAILURES = FailureLog()
