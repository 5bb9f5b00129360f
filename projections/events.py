"""What projections need to know of any stored event: its position, type, thing, time, actor."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventsourcing.application import Application
    from eventsourcing.persistence import Notification


@dataclass(frozen=True)
class Fact:
    """One event of the global log, decoded once and shared by every projection."""

    position: int
    event: Any
    topic: str
    state: bytes

    @property
    def type(self) -> str:
        return type(self.event).__name__

    @property
    def thing_kind(self) -> str:
        return type(self.event).__qualname__.split(".")[0]

    @property
    def thing(self) -> str:
        return str(self.event.originator_id)

    @property
    def version(self) -> int:
        return self.event.originator_version

    @property
    def at(self) -> datetime:
        return self.event.timestamp

    @property
    def meta(self) -> dict[str, Any]:
        return getattr(self.event, "meta", {}) or {}


def decode(app: Application, notifications: list[Notification]) -> list[Fact]:
    return [Fact(n.id, app.mapper.to_domain_event(n), n.topic, n.state) for n in notifications]


class Undecodable:
    """A stored event that cannot be decoded (its class is gone, its state is broken): a poisoned event."""

    def __init__(self, notification: Notification, error: Exception) -> None:
        self.originator_id = notification.originator_id
        self.originator_version = notification.originator_version
        self.timestamp = datetime.now().astimezone()
        self.meta: dict[str, Any] = {}
        self.error = error


def decode_each(app: Application, notifications: list[Notification]) -> list[Fact]:
    """As `decode`, but an event that cannot be decoded stands in the list as `Undecodable`."""
    try:
        return decode(app, notifications)
    except Exception:  # noqa: BLE001
        pass
    facts = []
    for n in notifications:
        try:
            facts.append(Fact(n.id, app.mapper.to_domain_event(n), n.topic, n.state))
        except Exception as error:  # noqa: BLE001
            facts.append(Fact(n.id, Undecodable(n, error), n.topic, n.state))
    return facts


def data_of(event: Any) -> dict[str, Any]:
    """An event's own fields, without the envelope (id, version, timestamp, meta, topic)."""
    skip = {"originator_id", "originator_version", "timestamp", "meta", "originator_topic"}
    return {k: v for k, v in vars(event).items() if k not in skip}
