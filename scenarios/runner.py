"""The drill runner: plays a scenario's injects in time order and grades its expectations.

A `Drill` does the scenario's bookkeeping (`$ref`s to created ids, unit actors to unit ids, offsets
to times, pacing at `speed`× real time) and hands each command to a target: the drill's own store
(`scenarios.local`) or a running server over HTTP (`scenarios.via`).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from scenarios.expectations import Outcome, evaluate
from scenarios.loader import Actor, Expectation, Inject, Scenario
from scenarios.vocabulary import TIME_FIELDS, format_offset, offset_of, verbs

THING_FIELDS = ("incident", "zone", "resource", "dispatch", "task", "alert")
STEP_SECONDS = 0.25  # while pacing, the simulated clock moves on at least this often
BATCH = 256  # an unpaced drill into its own store commits its injects this many at a time, at most
ALONE = ("release", "cancel_dispatch")  # also touch the dispatch's resource, which the inject does not name


class InjectRefused(Exception):
    """The domain (or the actor's permissions) refused an inject: the drill stops there."""

    def __init__(self, scenario: Scenario, inject: Inject, detail: str) -> None:
        where = f"{scenario.path}:{inject.line}"
        super().__init__(f"{where}: inject {inject.number} ({format_offset(inject.at)}, {inject.by} {inject.do}) was refused: {detail}")
        self.inject, self.detail = inject, detail


class Target(Protocol):
    def register_units(self, units: list[Actor]) -> dict[str, str]: ...
    def declare_kinds(self, kinds: dict[str, dict[str, tuple[str, str]]]) -> None: ...
    def time_of(self, offset: timedelta) -> str: ...
    def submit(self, name: str, actor: Actor, unit: str | None, args: dict[str, Any], target: str | None, correlation: str) -> str: ...
    def advance(self, moment: datetime) -> None: ...
    def observe(self, moment: datetime) -> dict[str, Any]: ...


@dataclass
class Progress:
    done: int
    total: int
    offset: timedelta
    what: str


@dataclass
class DrillReport:
    scenario: Scenario
    run: str
    outcomes: list[Outcome] = field(default_factory=list)
    injects: int = 0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.held]


class Drill:
    def __init__(self, scenario: Scenario, target: Target, run: str, speed: float | None = None,
                 on_step: Callable[[Progress], None] | None = None) -> None:
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive")
        self.scenario, self.target, self.run_id, self.speed = scenario, target, run, speed
        self.on_step = on_step or (lambda _: None)
        self.created: dict[str, str] = {}
        self.units: dict[str, str] = {}
        # Unpaced, into a target that takes batches: injects wait here until one needs a thing they create,
        # an expectation comes, BATCH are waiting or the drill ends; each still runs at its own simulated time.
        self.batching = speed is None and getattr(target, "batches", False)
        self._waiting: list[Inject] = []
        self._waiting_refs: set[str] = set()  # refs the waiting injects create
        self._waiting_things: set[str] = set()  # refs of the things they act on or name

    def steps(self) -> list[Inject | Expectation]:
        """Injects and expectations in time order; at the same time, the injects first."""
        both = [(i.at, 0, i.number, i) for i in self.scenario.injects]
        both += [(e.at, 1, e.number, e) for e in self.scenario.expectations]
        return [item for *_, item in sorted(both, key=lambda s: s[:3])]

    def run(self) -> DrillReport:
        report = DrillReport(self.scenario, self.run_id)
        if self.scenario.kinds:
            self.target.declare_kinds(self.scenario.kinds)
        units = [a for a in self.scenario.actors.values() if a.role == "unit"]
        self.units = self.target.register_units(units)
        steps = self.steps()
        self._real_start = time.monotonic()
        for done, step in enumerate(steps, start=1):
            if isinstance(step, Inject):
                if self.batching:
                    self._queue(step)
                else:
                    self._wait_until(step.at)
                    self._inject(step)
                report.injects += 1
                self.on_step(Progress(done, len(steps), step.at, f"{step.by} {step.do}"))
            else:
                self._flush()
                self._wait_until(step.at)
                report.outcomes.append(self._expect(step))
                self.on_step(Progress(done, len(steps), step.at, f"expectation {step.number}"))
        self._flush()
        return report

    def _wait_until(self, offset: timedelta) -> None:
        moment = self.scenario.moment(offset)
        if self.speed is not None:
            due = self._real_start + offset.total_seconds() / self.speed
            while (remaining := due - time.monotonic()) > 0:
                time.sleep(min(remaining, STEP_SECONDS))
                elapsed = timedelta(seconds=(time.monotonic() - self._real_start) * self.speed)
                self.target.advance(min(self.scenario.start + elapsed, moment))
        self.target.advance(moment)

    def _inject(self, inject: Inject) -> None:
        actor = self.scenario.actors[inject.by]
        unit = self.units.get(actor.id) if actor.role == "unit" else self.units.get(actor.unit or "")
        args, target = self.arguments(inject)
        correlation = f"drill-{self.run_id}-{inject.number}"
        try:
            thing = self.target.submit(inject.do, actor, unit, args, target, correlation)
        except RefusedByTarget as refusal:
            raise InjectRefused(self.scenario, inject, refusal.detail) from None
        if inject.ref:
            self.created[inject.ref] = thing

    def _queue(self, inject: Inject) -> None:
        """Hand the inject to the target's batch; its permission is checked now, against what is committed."""
        needs = {str(v)[1:] for k, v in inject.args.items() if k in THING_FIELDS}
        # A thing touched twice in one batch would have its events saved together, before those of the things
        # touched between (group commit saves thing by thing): such a batch is cut, so that the log keeps the
        # injects' order and times.
        if len(self._waiting) >= BATCH or needs & (self._waiting_refs | self._waiting_things) or inject.do in ALONE:
            self._flush()
        actor = self.scenario.actors[inject.by]
        unit = self.units.get(actor.id) if actor.role == "unit" else self.units.get(actor.unit or "")
        args, target = self.arguments(inject)
        try:
            self.target.queue(self.scenario.moment(inject.at), inject.do, actor, unit, args, target,
                              f"drill-{self.run_id}-{inject.number}")
        except RefusedByTarget as refusal:
            self._flush()  # the injects before it are recorded first (and one of them may be refused)
            raise InjectRefused(self.scenario, inject, refusal.detail) from None
        self._waiting.append(inject)
        self._waiting_things |= needs
        if inject.ref:
            self._waiting_refs.add(inject.ref)
        if inject.do in ALONE:
            self._flush()

    def _flush(self) -> None:
        if not self._waiting:
            return
        waiting, self._waiting, self._waiting_refs, self._waiting_things = self._waiting, [], set(), set()
        for inject, answer in zip(waiting, self.target.flush()):
            if isinstance(answer, RefusedByTarget):
                raise InjectRefused(self.scenario, inject, answer.detail)
            if inject.ref:
                self.created[inject.ref] = answer

    def arguments(self, inject: Inject) -> tuple[dict[str, Any], str | None]:
        """The command's fields as the API takes them, and the id of the thing it acts on."""
        target_field = verbs()[inject.do]["target"]
        args: dict[str, Any] = {}
        target = None
        for key, value in inject.args.items():
            if key in THING_FIELDS:
                value = self.created[value[1:]]
            elif key in ("lead", "unit"):
                value = self.units[value]
            elif key == "cooperating":
                value = [self.units[u] for u in value]
            elif key in TIME_FIELDS or (key == "occurred_at" and offset_of(value) is not None):
                value = self.target.time_of(offset_of(value))
            if key == target_field:
                target = value
            else:
                args[key] = value
        return args, target

    def _expect(self, expectation: Expectation) -> Outcome:
        moment = self.scenario.moment(expectation.at)
        actual = self.target.observe(moment)
        checks = evaluate(expectation.holds, actual)
        return Outcome(expectation.number, expectation.line, format_offset(expectation.at), moment.isoformat(), checks)


class RefusedByTarget(Exception):
    """A target's word for a refused command (domain error, 403, 4xx problem)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
