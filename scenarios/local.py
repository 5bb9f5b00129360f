"""Running a drill into a drill store of its own, through the Application, on a simulated clock.

Each inject runs as its actor (Meta with source='drill' and the run id), through the writer, which checks
the same policy as for the API (domain/policy.py). Ids are seeded by the scenario's name, so a rerun gives the same ids.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from domain.application import Coordination
from domain.base import Meta
from domain.clock import SeededIds, SimulatedClock
from domain.commands import Command, Receipt
from domain.errors import DomainError
from domain.application.eventstore import store_env
from domain.application.settings import Settings
from domain.application.writer import execute, run_batch
from projections.geography import Geography
from projections.runner import Projections
from scenarios.loader import Actor, Scenario
from scenarios.runner import Drill, DrillReport, InjectRefused, Progress, RefusedByTarget
from scenarios.store import (
    EXPECTATIONS, GEOGRAPHY, check_target, default_store, drill_settings, keep_database_url, new_run_id, write_json,
)
from wiring.layout import DRILL_MARKER

DIRECTOR = "director"  # registers the scenario's units before the first inject


class LocalTarget:
    def __init__(self, scenario: Scenario, run: str, app: Coordination, clock: SimulatedClock,
                 projections: Projections, geography: Geography, send: Callable[[Command], Receipt],
                 followed: bool = False, send_batch: Callable[..., list[Any]] | None = None) -> None:
        self.scenario, self.run, self.app, self.clock = scenario, run, app, clock
        self.projections, self.geography, self.send = projections, geography, send
        self.followed = followed  # a projection thread follows the log (--serve): wait for it, never race it
        self.last_position = 0
        # `send_batch(commands, before)`: domain.application.writer.run_batch's contract, stopping at the first refusal
        self.send_batch = send_batch
        self.batches = send_batch is not None
        self._queued: list[tuple[datetime, Command]] = []

    def sync(self) -> None:
        """The read side has seen every command sent so far."""
        if self.followed:
            self.projections.wait_for(self.last_position, 10)
        else:
            self.projections.catch_up()

    def meta(self, actor: Actor | None, unit: str | None, correlation: str | None = None) -> Meta:
        if actor is None:
            return Meta(actor=DIRECTOR, role="commander", source="drill", drill_run=self.run, actor_name="演练导调")
        return Meta(actor=actor.id, role=actor.role, unit=unit, source="drill", drill_run=self.run,
                    actor_name=actor.name, correlation_id=correlation)

    def register_units(self, units: list[Actor]) -> dict[str, str]:
        ids = {}
        for unit in units:
            fields = {"name": unit.name, "kind": unit.kind, "jurisdiction": unit.jurisdiction}
            receipt = self._send(Command("register_unit", self.meta(None, None), {k: v for k, v in fields.items() if v}))
            ids[unit.id] = str(receipt.id)
        return ids

    def declare_kinds(self, kinds: dict[str, dict[str, tuple[str, str]]]) -> None:
        """The scenario's own kinds, in its drill store's catalogue (recorded by the director, source drill)."""
        for group, declared in kinds.items():
            for code, (zh, en) in declared.items():
                self._send(Command("declare_kind", self.meta(None, None), {"group": group, "code": code, "zh": zh, "en": en}))

    def time_of(self, offset: timedelta) -> str:
        return self.scenario.moment(offset).isoformat()

    def submit(self, name: str, actor: Actor, unit: str | None, args: dict[str, Any], target: str | None, correlation: str) -> str:
        return str(self._send(Command(name, self.meta(actor, unit, correlation), args, target=target)).id)

    def queue(self, moment: datetime, name: str, actor: Actor, unit: str | None, args: dict[str, Any], target: str | None,
              correlation: str) -> None:
        """Keep the inject's command for `flush`, which runs it at `moment` (the writer checks it then)."""
        self._queued.append((moment, Command(name, self.meta(actor, unit, correlation), args, target=target)))

    def flush(self) -> list[str | RefusedByTarget]:
        """Run the queued commands in order, each at its own moment, in one commit; the answers stop at a refusal."""
        queued, self._queued = self._queued, []
        if not queued or self.send_batch is None:
            return []
        moments = {id(command): moment for moment, command in queued}
        outcomes = self.send_batch([command for _, command in queued], lambda command: self.advance(moments[id(command)]))
        answers: list[str | RefusedByTarget] = []
        for outcome in outcomes:
            if isinstance(outcome, DomainError):
                answers.append(RefusedByTarget(outcome.detail))
                break
            if isinstance(outcome, BaseException):
                raise outcome
            self.last_position = max(self.last_position, outcome.position or 0)
            answers.append(str(outcome.id))
        return answers

    def _send(self, command: Command) -> Receipt:
        try:
            receipt = self.send(command)
        except DomainError as error:
            raise RefusedByTarget(error.detail) from None
        self.last_position = max(self.last_position, receipt.position or 0)
        return receipt

    def advance(self, moment: datetime) -> None:
        if moment > self.clock.now():
            self.clock.advance_to(moment)

    def observe(self, moment: datetime) -> dict[str, Any]:
        self.sync()
        self.projections.tick(moment)
        with self.projections.lock:
            return {**self.projections.map.counts(), "tasks": self.projections.ledger.colours(moment)}


class Serving(Protocol):
    """Plays the drill while its store is served, so the map shows it live (`drill run --serve`)."""

    def play(self, scenario: Scenario, run: str, settings: Settings, app: Coordination, clock: SimulatedClock,
             geography: Geography, marker: dict[str, Any], speed: float | None,
             on_step: Callable[[Progress], None] | None) -> DrillReport: ...


def run_in_store(scenario: Scenario, store: Path | None = None, *, speed: float | None = None, serve: Serving | None = None,
                 on_step: Callable[[Progress], None] | None = None, live: Settings | None = None,
                 database_url: str | None = None) -> tuple[DrillReport, Path]:
    """Run the scenario into a new drill store; write drill.json and expectations.json there.

    `database_url`: the drill's events, checkpoints and audit trail go to this empty PostgreSQL database of its
    own (named in the store's database.url, never in drill.json); by default, to the store's SQLite file."""
    live = live or Settings()
    run = new_run_id()
    store = Path(store) if store else default_store(scenario.slug, run, live)
    check_target(store, live, database_url)
    store.mkdir(parents=True, exist_ok=True)
    keep_database_url(store, database_url)
    shutil.copyfile(scenario.geography, store / GEOGRAPHY)
    settings = drill_settings(store, store / GEOGRAPHY)
    marker = {"run": run, "scenario": scenario.name, "file": str(scenario.path.resolve()), "start": scenario.start.isoformat(),
              "end": scenario.moment(scenario.end).isoformat(), "geography": GEOGRAPHY, "status": "running"}
    write_json(store / DRILL_MARKER, marker)
    clock = SimulatedClock(scenario.start)
    app = Coordination(store_env(settings, store), clock=clock, ids=SeededIds(scenario.name))
    geography = Geography.load(settings.geography_file)
    if serve is not None:
        report = serve.play(scenario, run, settings, app, clock, geography, marker, speed, on_step)
    else:
        projections = Projections(app, settings, geography, store / "projections", clock=clock)
        target = LocalTarget(scenario, run, app, clock, projections, geography, lambda c: execute(app, c, places=geography),
                             send_batch=lambda commands, before: run_batch(app, commands, before=before, until_refused=True,
                                                                           places=geography))
        try:
            report = play(Drill(scenario, target, run, speed, on_step), store, marker)
        finally:
            projections.stop()
            app.close()
    return report, store


def play(drill: Drill, store: Path, marker: dict[str, Any]) -> DrillReport:
    """Run the drill; the marker (also what a served map's banner shows) says how it ended."""
    try:
        report = drill.run()
    except InjectRefused as refusal:
        marker.update(status="refused", refused=str(refusal))
        raise
    except KeyboardInterrupt:
        marker.update(status="interrupted")
        raise
    else:
        write_json(store / EXPECTATIONS, {"run": drill.run_id, "scenario": marker["scenario"],
                                          "outcomes": [o.as_dict() for o in report.outcomes]})
        # The banner's result: how many of the drill's expectations held.
        marker.update(status="completed", result={"held": len(report.outcomes) - len(report.failed), "expectations": len(report.outcomes)})
    finally:
        write_json(store / DRILL_MARKER, marker)
    return report
