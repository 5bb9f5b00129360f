"""What every aggregate shares: events that say who did it, when and from where."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import InvalidInput, NotPermitted
from domain.text import unstorable

SOURCES = ("api", "drill", "import", "system", "cli", "setup")


@dataclass(frozen=True)
class Meta:
    """Who acted, for which unit, in which role, from where, and when (clock passed in)."""

    actor: str
    role: str
    unit: str | None = None
    source: str = "api"
    correlation_id: str | None = None
    idempotency_key: str | None = None
    occurred_at: str | None = None
    drill_run: str | None = None
    actor_name: str | None = None
    device: str | None = None  # the device an enrolled token belongs to: idempotency keys are scoped by it
    at: datetime | None = None  # stamped by the Application's clock when the command runs

    def as_dict(self) -> dict[str, Any]:
        # By hand, not dataclasses.asdict: this runs for every event. `at` is the event's own timestamp.
        return {name: value for name in _META_FIELDS if (value := getattr(self, name)) is not None}

    @property
    def key_scope(self) -> str:
        """Whose Idempotency-Keys these are: a device's (so a report queued before the phone enrolled again is
        still recorded once after), otherwise the token's."""
        return f"device:{self.role}:{self.unit}:{self.device}" if self.device else self.actor

    def check_role(self, *roles: str, doing: str) -> None:
        if self.role not in roles:
            raise NotPermitted(f"{doing} needs the role {' or '.join(roles)}; this token's role is {self.role}")


_META_FIELDS = tuple(name for name in Meta.__dataclass_fields__ if name != "at")


class Thing(Aggregate):
    """An aggregate of Lianfang: every one of its events carries the actor's metadata."""

    class Event(Aggregate.Event):
        meta: dict[str, Any]

    class Created(Event, Aggregate.Created):
        pass

    def happen(self, event_class: type[Aggregate.Event], meta: Meta, **fields: Any) -> None:
        """Record a fact about this thing, stamped with the actor and the (injected) clock."""
        assert meta.at is not None, "the Application stamps the clock before a command runs"
        check_storable(meta, fields)
        self.trigger_event(event_class, timestamp=meta.at, meta=meta.as_dict(), **fields)

    @classmethod
    def begin(cls, event_class: type[Aggregate.Created], id: UUID, meta: Meta, **fields: Any) -> Any:  # noqa: A002
        check_storable(meta, fields)
        return cls._create(event_class, id=id, timestamp=meta.at, meta=meta.as_dict(), **fields)


def check_storable(meta: Meta, fields: dict[str, Any]) -> None:
    """The last door: nothing that a read model cannot store (NUL, lone surrogates) is recorded, whatever path it took."""
    for name, value in (*fields.items(), *meta.as_dict().items()):
        char = unstorable(value)
        if char is not None:
            raise InvalidInput(f"{name} contains U+{ord(char):04X}, which cannot be stored; remove it")
