"""What "as of time T" costs on a 100k-event store: with checkpoints every 2000 events, and without any.

    .venv/bin/python bench/asof_cost.py [--events 100000] [--samples 5] [--seed 1] [--store DIR]

Builds the store with `run_batch` (500 commands per commit, on a simulated clock), catches up a read
side with checkpoints every 2000 events, then times `as_of(T)` for random T on that read side and on
one with no checkpoints at all (a replay from position 0). Prints a table and writes
bench/results/asof_cost.json. Not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.application import Coordination  # noqa: E402
from domain.base import Meta  # noqa: E402
from domain.clock import SeededIds, SimulatedClock  # noqa: E402
from domain.commands import Command, Receipt  # noqa: E402
from domain.application.eventstore import store_env  # noqa: E402
from domain.application.settings import Settings  # noqa: E402
from domain.application.writer import run_batch  # noqa: E402
from projections.geography import Geography  # noqa: E402
from projections.runner import Projections  # noqa: E402

START = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
COMMANDER = Meta(actor="bench", role="commander")
RESULTS = Path(__file__).resolve().parent / "results" / "asof_cost.json"


class Story:
    """Mostly field reports on open incidents, with levels, zones, closures and joint tasks."""

    def __init__(self, geography: Geography, rng: random.Random, clock: SimulatedClock) -> None:
        self.rng, self.clock = rng, clock
        self.points = [[p.x, p.y] for p in (j.shape.representative_point() for j in geography if j.level == "grid")]
        self.units: list[str] = []
        self.incidents: list[str] = []
        self.tasks: dict[str, tuple[str, str]] = {}  # id → (lead, state)

    def command(self) -> Command:
        r, rng = self.rng.random(), self.rng
        if len(self.units) < 5:
            return Command("register_unit", COMMANDER, {"name": f"单位{len(self.units)}", "kind": "department"})
        if not self.incidents or r < 0.04:
            return Command("report_incident", COMMANDER, {"kind": "cluster", "title": "聚集性疫情",
                                                          "location": rng.choice(self.points), "counts": {"confirmed": rng.randint(0, 3)}})
        incident = rng.choice(self.incidents[-300:])
        if r < 0.70:
            new = {rng.choice(["confirmed", "suspected", "asymptomatic", "close_contacts"]): rng.randint(1, 5)}
            return Command("file_report", COMMANDER, {"new": new}, target=incident)
        if r < 0.74:
            return Command("set_level", COMMANDER, {"level": rng.choice("I II III IV".split()), "reason": "研判"}, target=incident)
        if r < 0.76:
            x, y = rng.choice(self.points)
            area = {"type": "Polygon", "coordinates": [[[x - .003, y - .003], [x + .003, y - .003], [x + .003, y + .003],
                                                        [x - .003, y + .003], [x - .003, y - .003]]]}
            return Command("declare_zone", COMMANDER, {"incident": incident, "kind": "sealed", "area": area})
        if r < 0.77:
            return Command("close_incident", COMMANDER, {"reason": "结束"}, target=incident)
        open_tasks = [t for t, (_, state) in self.tasks.items() if state in ("assigned", "claimed")]
        if r < 0.85 or not open_tasks:
            due = self.clock.now() + timedelta(hours=rng.randint(2, 96))
            return Command("assign_task", COMMANDER, {"title": "联防任务", "lead": rng.choice(self.units), "due": due.isoformat()})
        task = rng.choice(open_tasks[-200:])
        lead, state = self.tasks[task]
        meta = Meta(actor=f"unit-{lead}", role="unit", unit=lead)
        if state == "assigned":
            return Command("claim_task", meta, {}, target=task)
        if r < 0.95:
            return Command("report_progress", meta, {"percent": rng.randint(0, 100)}, target=task)
        return Command("complete_task", meta, {}, target=task)

    def took(self, command: Command, outcome: object) -> None:
        if not isinstance(outcome, Receipt):
            return
        thing = str(outcome.id)
        if command.name == "register_unit":
            self.units.append(thing)
        elif command.name == "report_incident":
            self.incidents.append(thing)
        elif command.name == "close_incident":
            self.incidents.remove(command.target)
        elif command.name == "assign_task":
            self.tasks[thing] = (command.args["lead"], "assigned")
        elif command.name in ("claim_task", "complete_task"):
            self.tasks[command.target] = (self.tasks[command.target][0], "claimed" if command.name == "claim_task" else "done")


def build(data_dir: Path, events: int, seed: int) -> tuple[float, int]:
    settings = Settings(data_dir=data_dir)
    clock = SimulatedClock(START)
    app = Coordination(store_env(settings), clock=clock, ids=SeededIds(seed))
    story = Story(Geography.load(settings.geography_file), random.Random(seed), clock)
    began = time.perf_counter()
    while (app.recorder.max_notification_id() or 0) < events:
        commands = [story.command() for _ in range(500)]
        for command, outcome in zip(commands, run_batch(app, commands)):
            story.took(command, outcome)
        clock.advance(timedelta(minutes=20))  # 500 commands per 20 simulated minutes
        done = app.recorder.max_notification_id() or 0
        print(f"\r  building: {done:>7} events", end="", flush=True)
    print()
    app.close()
    return time.perf_counter() - began, done


def timed_as_of(read_side: Projections, at: datetime) -> tuple[float, int, dict]:
    began = time.perf_counter()
    position, situation, ledger = read_side.as_of(at)
    return time.perf_counter() - began, position, {"counts": situation.counts(), "colours": ledger.colours()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--every", type=int, default=2000, help="checkpoint_every of the checkpointed read side")
    parser.add_argument("--store", type=Path, help="reuse (or keep) the store in this directory")
    args = parser.parse_args()
    data_dir = args.store or Path(tempfile.mkdtemp(prefix="asof-bench-"))
    fresh_store = not (data_dir / "events.sqlite").exists()
    if fresh_store:
        build_seconds, _ = build(data_dir, args.events, args.seed)
        (data_dir / "build.json").write_text(json.dumps({"build_seconds": build_seconds, "load_average": os.getloadavg()}))
    built = json.loads((data_dir / "build.json").read_text()) if (data_dir / "build.json").exists() else {}
    build_seconds = built.get("build_seconds")

    settings = Settings(data_dir=data_dir, checkpoint_every=args.every)
    app = Coordination(store_env(settings))
    events = app.recorder.max_notification_id()
    geography = Geography.load(settings.geography_file)
    checkpointed = Projections(app, settings, geography, data_dir / f"projections-every-{args.every}")
    began = time.perf_counter()
    caught_up = checkpointed.catch_up()
    checkpointed.checkpoint()
    if caught_up:  # a reused store keeps the catch-up time of the run that did it
        built["catch_up_seconds"] = time.perf_counter() - began
        (data_dir / "build.json").write_text(json.dumps(built))
    catch_up_seconds = built.get("catch_up_seconds", 0.0)
    bare_dir = Path(tempfile.mkdtemp(prefix="asof-bare-"))
    bare = Projections(app, settings, geography, bare_dir)  # no checkpoints at all

    times = [app.mapper.to_domain_event(n).timestamp for n in (app.recorder.select_notifications(1, 1)[0],
                                                               app.recorder.select_notifications(events, 1)[0])]
    rng = random.Random(args.seed)
    kept = [0, *checkpointed.stores["situation_map"].kept()]  # (thinned with age: not every multiple of `every`)
    rows = []
    for _ in range(args.samples):
        at = times[0] + (times[1] - times[0]) * rng.random()
        with_s, position, seen_with = timed_as_of(checkpointed, at)
        without_s, position_bare, seen_without = timed_as_of(bare, at)
        assert (position, seen_with) == (position_bare, seen_without), "as_of differs with and without checkpoints"
        rows.append({"at": at.isoformat(), "position": position,
                     "replayed_with_checkpoints": position - max(p for p in kept if p <= position),
                     "with_checkpoints_s": round(with_s, 4), "without_checkpoints_s": round(without_s, 4)})

    summary = {
        "median_with_checkpoints_s": round(statistics.median(r["with_checkpoints_s"] for r in rows), 4),
        "median_without_checkpoints_s": round(statistics.median(r["without_checkpoints_s"] for r in rows), 4),
    }
    summary["speedup"] = round(summary["median_without_checkpoints_s"] / summary["median_with_checkpoints_s"], 1)
    result = {
        "events": events, "checkpoint_every": args.every, "build_seconds": build_seconds and round(build_seconds, 1),
        "build_load_average": built.get("load_average"), "build_note": built.get("note"), "reused_store": not fresh_store,
        "catch_up_seconds_with_checkpoints": round(catch_up_seconds, 1), "samples": rows, "summary": summary,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average": os.getloadavg(),
                    "platform": platform.platform()},
        "store": str(data_dir),
    }
    print(f"\n  as_of(T) on {events} events (checkpoint_every={args.every}); build {result['build_seconds']} s, "
          f"catch-up {result['catch_up_seconds_with_checkpoints']} s\n")
    print(f"  {'T':<34} {'position':>9} {'replayed':>9} {'checkpoints':>12} {'none':>9}")
    for r in rows:
        print(f"  {r['at']:<34} {r['position']:>9} {r['replayed_with_checkpoints']:>9} "
              f"{r['with_checkpoints_s']:>11.3f}s {r['without_checkpoints_s']:>8.3f}s")
    print(f"  {'median':<34} {'':>9} {'':>9} {summary['median_with_checkpoints_s']:>11.3f}s "
          f"{summary['median_without_checkpoints_s']:>8.3f}s   ({summary['speedup']}x)\n")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(f"  written to {RESULTS}")
    checkpointed.stop()
    bare.stop()
    shutil.rmtree(bare_dir, ignore_errors=True)
    app.close()


if __name__ == "__main__":
    main()
