"""An operator's decision to skip a stored event that a read model cannot take (a poisoned event).

The decision is itself an event of the log, attributed and with a reason, so a skip is never silent and
the audit chain covers it. One skip per position: its id is derived from the position.
"""
from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import Meta, Thing
from domain.errors import InvalidInput
from domain.values import text_of

SKIP_NAMESPACE = uuid5(NAMESPACE_URL, "https://lianfang.example/skips")


def skip_id(position: int) -> UUID:
    return uuid5(SKIP_NAMESPACE, str(position))


class EventSkip(Thing):
    class EventSkipped(Thing.Created):
        position: int
        reason: str

    def __init__(self, position: int, reason: str) -> None:
        self.position = position
        self.reason = reason

    @classmethod
    def decide(cls, meta: Meta, *, position: Any, reason: Any) -> EventSkip:
        meta.check_role("commander", doing="skipping a stored event in the read models")
        if isinstance(position, bool) or not isinstance(position, int) or position < 1:
            raise InvalidInput(f"position must be the log position of a stored event (1 or more), not {position!r}")
        return cls.begin(cls.EventSkipped, skip_id(position), meta, position=position,
                         reason=text_of(reason, "reason", max_len=500))
