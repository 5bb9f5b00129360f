"""Live fan-out across processes over a Redis Stream (not Pub/Sub, which drops messages).

The active projection worker XADDs each delta (approximate MAXLEN); every API process runs one
reader thread that XREADs from its last id and hands deltas to its own live hub. With Redis down,
nothing upstream waits: deltas queue in memory and are sent in order when Redis returns; a client
that still finds a gap is resynchronised from the read model.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque

import redis

from projections.broker import Broker

log = logging.getLogger("lianfang.broker")
STREAM = "lianfang:deltas"


class RedisBroker(Broker):
    def __init__(self, url: str, stream: str = STREAM, maxlen: int = 100_000, backlog: int = 100_000) -> None:
        super().__init__()
        self.url, self.stream, self.maxlen = url, stream, maxlen
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=1)
        self._pending: deque[tuple[int, bytes]] = deque(maxlen=backlog)
        self._retry_at = 0.0
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None
        self._publish_lock = threading.Lock()

    def publish(self, position: int, payload: bytes) -> None:
        with self._publish_lock:
            self._pending.append((position, payload))
        self.flush()

    def flush(self) -> None:
        """Send what is waiting, in order; when Redis is down, try again a moment later."""
        if time.monotonic() < self._retry_at:
            return
        with self._publish_lock:
            while self._pending:
                position, payload = self._pending[0]
                try:
                    self._redis.xadd(self.stream, {"p": position, "d": payload}, maxlen=self.maxlen, approximate=True)
                except redis.RedisError as error:
                    if self._retry_at == 0.0 or time.monotonic() - self._retry_at > 5:
                        log.warning("Redis unavailable (%s); %d deltas wait for it", error, len(self._pending))
                    self._retry_at = time.monotonic() + 0.5
                    return
                self._pending.popleft()
            self._retry_at = 0.0

    def heard(self) -> bool:
        return True  # other processes read the stream

    def subscribe(self, subscriber) -> None:  # noqa: ANN001
        super().subscribe(subscriber)
        if self._reader is None:
            self._reader = threading.Thread(target=self._read, name="lianfang-redis-reader", daemon=True)
            self._reader.start()

    def _read(self) -> None:
        last = "$"  # from the newest entry on: what came before, this process's read side already has
        reader = redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=1)
        while not self._stop.is_set():
            try:
                if last == "$":
                    newest = reader.xrevrange(self.stream, count=1)
                    last = newest[0][0].decode() if newest else "0-0"
                replies = reader.xread({self.stream: last}, count=1000, block=250)
            except redis.RedisError as error:
                log.warning("reading %s failed (%s); retrying", self.stream, error)
                time.sleep(0.5)
                continue
            for _, entries in replies or []:
                for entry_id, fields in entries:
                    last = entry_id.decode()
                    self.deliver(int(fields[b"p"]), fields[b"d"])

    def close(self) -> None:
        self._stop.set()
        self.flush()
        if self._reader is not None:
            self._reader.join(timeout=3)
