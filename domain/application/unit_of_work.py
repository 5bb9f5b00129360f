"""A unit of work: the things one batch of commands reads and changes, saved in one commit.

Two commands on the same thing in one batch act on the same in-memory instance, in order.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.errors import StaleVersion

if TYPE_CHECKING:
    from collections.abc import Callable

    from domain.base import Thing

_current: ContextVar[UnitOfWork] = ContextVar("unit_of_work")


def current() -> UnitOfWork:
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError("commands run inside a unit of work: use domain.application.writer.execute or the Writer") from None


class UnitOfWork:
    def __init__(self, things: dict[UUID, Thing] | None = None) -> None:
        self.things: dict[UUID, Thing] = {} if things is None else things
        self.staged: dict[UUID, Thing] = {}  # insertion-ordered: the commit order
        self.keys: set[UUID] = set()  # the Idempotency-Keys this batch records
        self.key_rows: dict[UUID, Any] = {}  # their rows (domain.application.eventstore.KeyRow), saved with the batch's events
        self.known_keys: dict[UUID, Any] = {}  # the keys the store already has (domain.application.eventstore.known_keys)
        self._expected: tuple[str | None, int | None] = (None, None)
        self._marks: dict[UUID, int] = {}
        self._main: Thing | None = None

    def __enter__(self) -> UnitOfWork:
        self._token = _current.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)

    def begin(self, target: str | None, expected_version: int | None) -> None:
        """Start one command: remember what every thing looked like, to detect a half-applied refusal."""
        self._expected = (target, expected_version)
        self._marks = {}  # filled as the command touches things (see `touched`): O(things touched), not O(batch)
        self._main = None

    def touched(self, thing: Thing) -> None:
        """Remember what a thing looked like before the current command first touched it."""
        self._marks.setdefault(thing.id, len(thing.pending_events))

    def peek(self, repository: Any) -> Callable[[Any, type], Any]:
        """What the policy reads: a thing as this unit of work sees it, loaded (once) into it if need be, or None.

        Unlike the Application's `load`, it neither marks the thing touched nor checks its version: the
        command that then acts on the thing does both, on this same instance."""
        def peek(thing_id: Any, kind: type) -> Any:
            try:
                uuid = thing_id if isinstance(thing_id, UUID) else UUID(str(thing_id))
            except (ValueError, TypeError, AttributeError):
                return None
            thing = self.things.get(uuid)
            if thing is None:
                try:
                    thing = self.things[uuid] = repository.get(uuid)
                except AggregateNotFoundError:
                    return None
            return thing if isinstance(thing, kind) else None
        return peek

    def check_expected_version(self, thing: Thing) -> None:
        target, expected = self._expected
        if expected is not None and target is not None and str(thing.id) == target and thing.version != expected:
            raise StaleVersion(
                f"this {type(thing).__name__.lower()} is at version {thing.version}, not {expected}: "
                "someone changed it since you read it; reload and try again"
            )

    def stage(self, main: Thing, *others: Thing) -> UUID:
        for thing in (*others, main):
            self.things[thing.id] = thing
            self.staged.pop(thing.id, None)
            self.staged[thing.id] = thing
        self._main = main
        return main.id

    @property
    def main(self) -> Thing:
        assert self._main is not None, "every command stages the thing it acted on"
        return self._main

    def half_applied(self) -> bool:
        """True if a refused command left events behind on some thing (its checks ran too late)."""
        return any(len(self.things[uid].pending_events) > mark for uid, mark in self._marks.items() if uid in self.things)
