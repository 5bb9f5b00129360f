"""Large, reproducible histories over the demo county: reports, dispatches, tasks and zones, from a seed.

`commands(seed)` yields batches of commands that keep the story consistent (only open incidents get
reports, only free resources get committed, tasks go assigned → claimed → progress → completed), on
a simulated clock that moves 5 minutes per batch of 100. `build(directory, events, seed)` writes them through
`domain.application.writer.run_batch` (the server's own write path, one durable commit per batch) until the log
holds at least `events` events, and caches the store by (events, seed).
"""
from __future__ import annotations

import json
import random
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from domain.base import Meta
from domain.commands import Command

START = datetime(2026, 1, 5, 8, 0, tzinfo=timezone(timedelta(hours=8)))
KINDS = ("cluster", "food_poisoning", "infectious_disease", "unexplained_illness")
RESOURCES = ("sampling_team", "epi_team", "ambulance", "medical_team", "transport")
CMD = Meta(actor="cmd", role="commander", actor_name="县指挥部")


class Story:
    """What has happened so far, so that every next command makes sense."""

    def __init__(self, seed: int, geography: Any, units: list[str]) -> None:
        self.rng = random.Random(seed)
        box = geography.root().shape.bounds
        self.points = []
        while len(self.points) < 2000:
            p = [round(self.rng.uniform(box[0], box[2]), 5), round(self.rng.uniform(box[1], box[3]), 5)]
            if geography.locate(p):
                self.points.append(p)
        self.units = units
        self.open: list[str] = []
        self.zones: dict[str, str] = {}
        self.free: dict[str, list[str]] = {k: [] for k in RESOURCES}
        self.dispatches: dict[str, tuple[str, str, str | None]] = {}  # dispatch → (step done, kind, resource)
        self.tasks: dict[str, tuple[str, str, int]] = {}  # task → (state, lead, percent)

    def field(self, unit: str) -> Meta:
        return Meta(actor=f"field-{unit[:8]}", role="field", unit=unit, actor_name="采样一组")

    def next_command(self, now: datetime) -> Command:
        r, rng = self.rng.random(), self.rng
        if len(self.open) < 5 or r < 0.02:
            where = rng.choice(self.points)
            return Command("report_incident", self.field(rng.choice(self.units)), {
                "kind": rng.choice(KINDS), "title": f"{rng.choice(('幼儿园', '小学', '工地', '养老院'))}发热聚集",
                "location": where, "counts": {"suspected": rng.randint(1, 9)}})
        incident = rng.choice(self.open)
        if r < 0.50:
            return Command("file_report", self.field(rng.choice(self.units)), {
                "new": {"confirmed": rng.randint(0, 2), "suspected": rng.randint(0, 5), "close_contacts": rng.randint(0, 30)},
                "note": "走访排查新增", "position": rng.choice(self.points)}, target=incident)
        if r < 0.53:
            return Command("set_level", CMD, {"level": rng.choice("I II III IV".split()), "reason": "研判调整"}, target=incident)
        if r < 0.56 and len(self.open) > 8:
            self.open.remove(incident)
            return Command("close_incident", CMD, {"reason": "连续14天无新增"}, target=incident)
        if r < 0.60:
            x, y = rng.choice(self.points)
            ring = [[x, y], [x + 0.004, y], [x + 0.004, y + 0.004], [x, y + 0.004], [x, y]]
            return Command("declare_zone", CMD, {"incident": incident, "kind": rng.choice(("sealed", "controlled")),
                                                 "area": {"type": "Polygon", "coordinates": [ring]}, "name": "封控区"})
        if r < 0.63 and self.zones:
            zone = rng.choice(list(self.zones))
            kind = self.zones.pop(zone)
            if kind != "prevention":
                self.zones[zone] = {"sealed": "controlled", "controlled": "prevention"}[kind]
            return Command("downgrade_zone" if kind != "prevention" else "lift_zone", CMD, {"reason": "连续无新增"}, target=zone)
        if r < 0.72:
            return self._dispatch_step(incident, now)
        if r < 0.87:
            return self._task_step(incident, now)
        return Command("register_resource", CMD, {"kind": rng.choice(RESOURCES), "name": "应急队伍",
                                                  "unit": rng.choice(self.units), "position": rng.choice(self.points)})

    def _dispatch_step(self, incident: str, now: datetime) -> Command:
        moving = [d for d, (step, _, _) in self.dispatches.items() if step != "requested"]
        if moving and self.rng.random() < 0.7:
            dispatch = self.rng.choice(moving)
            step, kind, resource = self.dispatches[dispatch]
            following = {"commit": "depart", "depart": "arrive", "arrive": "release"}[step]
            self.dispatches[dispatch] = (following, kind, resource)
            if following == "release":
                del self.dispatches[dispatch]
                self.free[kind].append(resource)
            return Command(following, CMD, {}, target=dispatch)
        waiting = [d for d, (step, kind, _) in self.dispatches.items() if step == "requested" and self.free[kind]]
        if waiting:
            dispatch = waiting[0]
            kind = self.dispatches[dispatch][1]
            resource = self.free[kind].pop()
            self.dispatches[dispatch] = ("commit", kind, resource)
            return Command("commit_dispatch", CMD, {"resource": resource}, target=dispatch)
        return Command("request_dispatch", CMD, {"incident": incident, "kind": self.rng.choice(RESOURCES), "quantity": 1})

    def _task_step(self, incident: str, now: datetime) -> Command:
        if self.tasks and self.rng.random() < 0.75:
            task = self.rng.choice(list(self.tasks))
            state, lead, percent = self.tasks[task]
            unit = Meta(actor=f"unit-{lead[:8]}", role="unit", unit=lead, actor_name="牵头单位")
            if state == "assigned":
                self.tasks[task] = ("claimed", lead, 0)
                return Command("claim_task", unit, {}, target=task)
            if percent < 100:
                percent = min(100, percent + self.rng.choice((10, 20, 30)))
                self.tasks[task] = ("claimed", lead, percent)
                return Command("report_progress", unit, {"percent": percent, "note": "按计划推进"}, target=task)
            del self.tasks[task]
            return Command("complete_task", unit, {}, target=task)
        due = (now + timedelta(hours=self.rng.choice((12, 36, 72)))).isoformat()
        return Command("assign_task", CMD, {"title": "密接人员排查管控", "lead": self.rng.choice(self.units),
                                            "due": due, "incident": incident})

    def learn(self, command: Command, outcome: Any) -> None:
        """Remember what a committed command created (its id comes back in the receipt)."""
        if isinstance(outcome, Exception):
            return
        thing, name = str(outcome.id), command.name
        if name == "report_incident":
            self.open.append(thing)
        elif name == "declare_zone":
            self.zones[thing] = command.args["kind"]
        elif name == "register_resource":
            self.free[command.args["kind"]].append(thing)
        elif name == "request_dispatch":
            self.dispatches[thing] = ("requested", command.args["kind"], None)
        elif name == "assign_task":
            self.tasks[thing] = ("assigned", command.args["lead"], 0)


class Remembering:
    """Coordination that keeps every thing it staged in memory, so loading skips the store's read and copy.

    Only the generator uses it (one writer, nothing else touches the store): the events it writes are
    the same, because every command still runs the same domain methods and the same `save`.
    """

    @staticmethod
    def wrap(app: Any) -> Any:
        live: dict[Any, Any] = {}
        read, stage = app.repository.get, app.stage

        def get(thing_id: Any, *args: Any, **kwargs: Any) -> Any:
            return live.get(thing_id) or read(thing_id, *args, **kwargs)

        def remember(main: Any, *others: Any) -> Any:
            for thing in (main, *others):
                live[thing.id] = thing
            return stage(main, *others)

        app.repository.get, app.stage = get, remember
        return app


def build(directory: Path, events: int, seed: int = 9, batch: int = 100) -> dict[str, Any]:
    """The store under `directory` with at least `events` events (cached: built once per size and seed)."""
    marker = directory / "history.json"
    if marker.is_file() and json.loads(marker.read_text()).get("key") == [events, seed, 2]:
        return json.loads(marker.read_text())
    shutil.rmtree(directory, ignore_errors=True)
    from domain.access import token_hash
    from domain.application import Coordination
    from domain.clock import SeededIds, SimulatedClock
    from domain.application.eventstore import store_env
    from domain.application.settings import Settings
    from domain.application.writer import run_batch
    from projections.geography import Geography

    settings = Settings(data_dir=directory)
    clock = SimulatedClock(START)
    app = Remembering.wrap(Coordination(store_env(settings), clock=clock, ids=SeededIds(seed)))
    geography = Geography.load(settings.geography_file)
    townships = [j for j in geography if j.level in ("township", "street")]
    setup = [Command("register_unit", CMD, {"name": f"{j.name}办事处", "kind": "township", "jurisdiction": j.code}) for j in townships]
    units = [str(r.id) for r in run_batch(app, setup)]
    token = f"lf_bench-history-{seed}"  # a commander token for reading the history over HTTP
    run_batch(app, [Command("issue_token", CMD, {"secret_hash": token_hash(token), "role": "commander", "name": "bench"})])
    story = Story(seed, geography, units)
    started, head, refused = time.perf_counter(), 0, 0
    while head < events:
        clock.advance(timedelta(minutes=5))
        commands = [story.next_command(clock.now()) for _ in range(batch)]
        for command, outcome in zip(commands, run_batch(app, commands)):
            refused += isinstance(outcome, Exception)
            story.learn(command, outcome)
        head = app.recorder.max_notification_id() or 0
    app.close()
    info = {"key": [events, seed, 2], "events": head, "token": token, "seconds": round(time.perf_counter() - started, 1),
            "refused": refused, "start": START.isoformat(), "end": clock.now().isoformat()}
    marker.write_text(json.dumps(info))
    return info


def build_map(directory: Path, zones: int, points: int, seed: int = 11, batch: int = 200) -> dict[str, Any]:
    """A store whose map holds `zones` zones and `points` points (half incidents, half resources), for P6."""
    marker = directory / "history.json"
    if marker.is_file() and json.loads(marker.read_text()).get("key") == ["map", zones, points, seed]:
        return json.loads(marker.read_text())
    shutil.rmtree(directory, ignore_errors=True)
    from domain.access import token_hash
    from domain.application import Coordination
    from domain.clock import SeededIds, SimulatedClock
    from domain.application.eventstore import store_env
    from domain.application.settings import Settings
    from domain.application.writer import run_batch
    from projections.geography import Geography

    settings = Settings(data_dir=directory)
    clock = SimulatedClock(START)
    app = Remembering.wrap(Coordination(store_env(settings), clock=clock, ids=SeededIds(seed)))
    geography = Geography.load(settings.geography_file)
    unit = str(run_batch(app, [Command("register_unit", CMD, {"name": "县卫健局", "kind": "department",
                                                              "jurisdiction": geography.root().code})])[0].id)
    token = f"lf_bench-map-{seed}"
    run_batch(app, [Command("issue_token", CMD, {"secret_hash": token_hash(token), "role": "commander", "name": "bench"})])
    story = Story(seed, geography, [unit])
    rng = story.rng
    wanted = [("report_incident", points // 2), ("register_resource", points - points // 2), ("declare_zone", zones)]
    incidents: list[str] = []
    for verb, count in wanted:
        for first in range(0, count, batch):
            clock.advance(timedelta(minutes=1))
            commands = [_map_command(verb, story, incidents, unit) for _ in range(min(batch, count - first))]
            outcomes = run_batch(app, commands)
            if verb == "report_incident":
                incidents += [str(o.id) for o in outcomes if not isinstance(o, Exception)]
    head = app.recorder.max_notification_id() or 0
    app.close()
    info = {"key": ["map", zones, points, seed], "events": head, "token": token, "incident": rng.choice(incidents)}
    marker.write_text(json.dumps(info))
    return info


def _map_command(verb: str, story: Story, incidents: list[str], unit: str) -> Command:
    rng, where = story.rng, story.rng.choice(story.points)
    if verb == "report_incident":
        return Command(verb, CMD, {"kind": "cluster", "title": "发热聚集", "location": where, "counts": {"suspected": 1}})
    if verb == "register_resource":
        return Command(verb, CMD, {"kind": rng.choice(RESOURCES), "name": "应急队伍", "unit": unit, "position": where})
    x, y = where
    ring = [[x, y], [x + 0.002, y], [x + 0.002, y + 0.002], [x, y + 0.002], [x, y]]
    return Command(verb, CMD, {"incident": rng.choice(incidents), "kind": rng.choice(("sealed", "controlled", "prevention")),
                               "area": {"type": "Polygon", "coordinates": [ring]}})
