"""Fixtures for domain and application tests: actors, aggregates, and a Coordination on a real SQLite file."""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.application import Coordination
from domain.base import Meta, Thing
from domain.commands import Command, Receipt
from domain.dispatch import Dispatch
from domain.application.eventstore import store_env
from domain.incident import Incident
from domain.resource import Resource
from domain.application.settings import Settings
from domain.task import Task
from domain.application.writer import execute
from domain.zone import Zone

BEIJING = timezone(timedelta(hours=8))
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=BEIJING)
SQUARE = {"type": "Polygon", "coordinates": [[[104.0, 30.6], [104.1, 30.6], [104.1, 30.7], [104.0, 30.7], [104.0, 30.6]]]}
HEALTH, POLICE, TOWNSHIP = "unit-health", "unit-police", "unit-township"


def make_meta(role: str = "commander", unit: str | None = None, at: datetime = NOW, **more: Any) -> Meta:
    return Meta(actor=f"{role}:{unit or 'county'}", role=role, unit=unit, at=at, **more)


def state_of(thing: Thing) -> dict[str, Any]:
    """Everything an aggregate holds except its queue of pending events."""
    return copy.deepcopy({k: v for k, v in vars(thing).items() if k != "_pending_events"})


def rebuilt(thing: Thing) -> Thing:
    """The aggregate as its own events say it is: replay every pending event from nothing."""
    aggregate = None
    for event in thing.pending_events:
        aggregate = event.mutate(aggregate)
    assert aggregate is not None
    return aggregate


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def as_() -> Callable[..., Meta]:
    """`as_("unit", HEALTH)` is a Meta for someone of the health bureau, at NOW."""
    return make_meta


@pytest.fixture
def commander() -> Meta:
    return make_meta("commander")


@pytest.fixture
def refused() -> Callable[..., Any]:
    """`with refused(thing, Refused, match=...):` asserts the error and that the thing did not change."""

    @contextmanager
    def check(thing: Thing, error: type[BaseException], match: str | None = None, *others: Thing) -> Iterator[Any]:
        watched = (thing, *others)
        before = [(t.version, len(t.pending_events), state_of(t)) for t in watched]
        with pytest.raises(error, match=match) as info:
            yield info
        assert [(t.version, len(t.pending_events), state_of(t)) for t in watched] == before

    return check


@pytest.fixture
def incident(commander: Meta) -> Incident:
    return Incident.report(
        uuid4(), commander, kind="cluster", title="幼儿园聚集性疫情", location=[104.06, 30.67],
        counts={"confirmed": 3, "close_contacts": 20},
    )


@pytest.fixture
def zone(commander: Meta, incident: Incident) -> Zone:
    return Zone.declare(uuid4(), commander, incident, kind="sealed", area=SQUARE, name="锦里小区")


@pytest.fixture
def ambulance(commander: Meta) -> Resource:
    return Resource.register(uuid4(), commander, kind="ambulance", name="120-01", unit=HEALTH, position=[104.05, 30.65])


@pytest.fixture
def dispatch(commander: Meta, incident: Incident) -> Dispatch:
    return Dispatch.request(uuid4(), commander, incident, kind="ambulance")


@pytest.fixture
def task(commander: Meta, now: datetime) -> Task:
    return Task.assign(
        uuid4(), commander, title="密接人员转运", lead=HEALTH, cooperating=[POLICE],
        due=(now + timedelta(days=1)).isoformat(),
    )


# -- the application on a real SQLite file -----------------------------------------------------


@pytest.fixture
def open_app(tmp_path: Any) -> Callable[..., Coordination]:
    """Open a Coordination on this test's data dir (call again to simulate a restart)."""

    def open_(**kwargs: Any) -> Coordination:
        return Coordination(store_env(Settings(data_dir=tmp_path)), **kwargs)

    return open_


@pytest.fixture
def app(open_app: Callable[..., Coordination]) -> Coordination:
    return open_app()


@pytest.fixture
def run(app: Coordination) -> Callable[..., Receipt]:
    """`run("file_report", target, new={...}, meta=..., key=..., version=...)` executes one command."""
    return runner(app)


def runner(app: Coordination) -> Callable[..., Receipt]:
    def run_(
        name: str, target: Any = None, /, *, meta: Meta | None = None, key: str | None = None,
        version: int | None = None, **args: Any,
    ) -> Receipt:
        command = Command(
            name, meta or Meta(actor="cmd", role="commander"), args,
            target=str(target) if target is not None else None, expected_version=version, idempotency_key=key,
        )
        return execute(app, command)

    return run_


def stored_events(app: Coordination, thing: UUID | str | None = None) -> list[Any]:
    """Every stored domain event in log order, or only those of one thing."""
    notifications = app.recorder.select_notifications(1, 1_000_000)
    events = [app.mapper.to_domain_event(n) for n in notifications]
    if thing is None:
        return events
    return [e for e in events if str(e.originator_id) == str(thing)]


@pytest.fixture
def events_in() -> Callable[..., list[Any]]:
    """`events_in(app)` or `events_in(app, thing_id)`: stored domain events, in log order."""
    return stored_events


@pytest.fixture
def make_runner() -> Callable[[Coordination], Callable[..., Receipt]]:
    return runner


@pytest.fixture
def rebuild() -> Callable[[Thing], Thing]:
    return rebuilt


@pytest.fixture
def square() -> dict[str, Any]:
    return copy.deepcopy(SQUARE)
