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


class ForeignEvent(ValueError):
    """A stored event that is not one of Lianfang's own: a store is data, and its topics are never imported."""

    def __init__(self, position: int, detail: str) -> None:
        super().__init__(f"the event at position {position} {detail}")
        self.position = position


def decode(app: Application, notifications: list[Notification]) -> list[Fact]:
    """Each notification as a Fact; ForeignEvent for a topic that is not one of the project's own events
    (resolving a topic imports its module) or a state that does not decode."""
    facts = []
    for n in notifications:
        if n.topic not in own_topics() and n.topic not in own_topics(again=True):
            raise ForeignEvent(n.id, f"has the topic {n.topic[:80]!r}, which is not an event of Lianfang; "
                               "this store was not written by Lianfang, or was altered")
        try:
            facts.append(Fact(n.id, app.mapper.to_domain_event(n), n.topic, n.state))
        except Exception as error:  # noqa: BLE001  (whatever the bytes make the transcoder raise)
            raise ForeignEvent(n.id, f"({n.topic}) cannot be read: {type(error).__name__}: {str(error)[:120]}") from None
    return facts


def own_topics(again: bool = False) -> frozenset[str]:
    """The topics of every event class of the domain (and of any other module of ours that defines one and is
    loaded; `again`: look once more, for a class defined since)."""
    if again:
        _TOPICS.clear()
    if not _TOPICS:
        import importlib
        import pkgutil

        import domain
        from eventsourcing.domain import DomainEvent

        for module in pkgutil.iter_modules(domain.__path__):  # every aggregate, so every event class is defined
            importlib.import_module(f"domain.{module.name}")

        found, classes = set(), [DomainEvent]
        while classes:
            cls = classes.pop()
            classes += cls.__subclasses__()
            if cls.__module__.split(".")[0] in OWN_PACKAGES:
                found.add(f"{cls.__module__}:{cls.__qualname__}")  # as eventsourcing's get_topic names it
        _TOPICS.append(frozenset(found))
    return _TOPICS[0]


OWN_PACKAGES = ("domain", "projections", "api", "scenarios")
_TOPICS: list[frozenset[str]] = []


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
