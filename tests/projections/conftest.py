"""Fixtures for read-model tests: a Coordination on a real SQLite file, driven on a simulated clock."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.application import Coordination
from domain.clock import SeededIds, SimulatedClock
from domain.application.eventstore import store_env
from domain.application.settings import DEMO_GEOGRAPHY, Settings
from projections.geography import Geography
from projections.runner import Projections
from story import START, Story


@pytest.fixture(scope="session")
def geography() -> Geography:
    return Geography.load(DEMO_GEOGRAPHY)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
def settings(tmp_path: Path, backends: dict[str, Any]) -> Settings:
    """In each mode: the embedded store, and PostgreSQL (events, checkpoints and audit trail there)."""
    return Settings(data_dir=tmp_path / "store", checkpoint_every=10, **backends)


@pytest.fixture
def app(settings: Settings, clock: SimulatedClock) -> Iterator[Coordination]:
    opened = Coordination(store_env(settings), clock=clock, ids=SeededIds(7))
    yield opened
    opened.close()


@pytest.fixture
def story(app: Coordination, clock: SimulatedClock, settings: Settings) -> Story:
    return Story(app, clock, settings)


@pytest.fixture
def open_projections(app: Coordination, settings: Settings, geography: Geography, clock: SimulatedClock) -> Iterator[Any]:
    """`open_projections()` opens the read side on this store (again, to simulate a restart)."""
    opened: list[Projections] = []

    def open_(directory: Path | None = None, with_settings: Settings | None = None, **kwargs: Any) -> Projections:
        kwargs.setdefault("clock", clock)
        chosen = with_settings or settings
        p = Projections(app, chosen, geography, directory or Path(chosen.data_dir) / "projections", **kwargs)
        opened.append(p)
        return p

    yield open_
    for p in opened:
        if not p._stop.is_set():  # noqa: SLF001  (tests may have stopped it themselves)
            p.stop()


@pytest.fixture
def projections(open_projections: Any) -> Projections:
    return open_projections()
