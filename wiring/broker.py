"""Which broker carries the live deltas: Redis Streams in scale-out mode, else the in-process one."""
from __future__ import annotations

from typing import Any

from projections.broker import Broker
from projections.redis_broker import RedisBroker


def make_broker(settings: Any) -> Broker:
    """The Redis Streams broker when `settings.redis_url` is set, else the in-process one."""
    if settings.redis_url:
        return RedisBroker(settings.redis_url, settings.redis_stream)
    return Broker()
