"""P7: a large generated drill scenario, run as fast as possible into a drill store of its own.

Baseline in the same run: the very commands the drill sent (recorded on the way, with their simulated
times and in the drill's own batches), called directly on a fresh Coordination with `domain.application.writer`'s
`execute` and `run_batch` in the same batches, on the same clock with the same seeded ids; both sides
assert how many commands they recorded. Reading and checking the scenario file is timed apart.
"""
from __future__ import annotations

import time
from typing import Any

from bench.common import ROOT, Result, fresh_dir, not_run
from bench.drill_file import write

NAME, TITLE = "P7", "a large drill scenario as fast as possible"
GOAL = "≥ 0.8× the same commands called directly on the Application"
FULL, QUICK = 10_000, 300


def run(quick: bool = False, scaled: bool = False) -> Result:
    if not (ROOT / "scenarios" / "runner.py").is_file():
        return not_run(NAME, TITLE, GOAL, "scenarios/runner.py missing")
    try:
        import scenarios.local as local
        from scenarios.loader import load
    except ImportError as error:
        return not_run(NAME, TITLE, GOAL, f"drill runner not importable: {error}")
    from domain.application.settings import Settings

    injects = QUICK if quick else FULL
    base = fresh_dir("p7")
    path = write(base / "drill.yaml", injects)
    began = time.perf_counter()
    scenario = load(path)
    load_seconds = time.perf_counter() - began
    batches: list[list[tuple[Any, Any]]] = []  # (simulated time, command) in the batches the drill committed
    original_execute, original_batch = local.execute, local.run_batch

    places: list[Any] = [None]  # the jurisdictions the drill's writer checked places against: the direct calls use them too

    def recording(app: Any, command: Any, signal: Any = None, **given: Any) -> Any:
        batches.append([(app.clock.now(), command)])
        places[0] = given.get("places", places[0])
        return original_execute(app, command, signal, **given)

    def recording_batch(app: Any, commands: list[Any], signal: Any = None, *, before: Any = None, until_refused: bool = False,
                        **given: Any) -> Any:
        places[0] = given.get("places", places[0])
        batch: list[tuple[Any, Any]] = []
        batches.append(batch)

        def moved(command: Any) -> None:
            before(command)
            batch.append((app.clock.now(), command))

        return original_batch(app, commands, signal, before=moved, until_refused=until_refused, **given)

    observing = [0.0]  # seconds the expectations spent catching the read models up (the direct calls have none)
    original_observe = local.LocalTarget.observe

    def observe(target: Any, moment: Any) -> Any:
        began = time.perf_counter()
        try:
            return original_observe(target, moment)
        finally:
            observing[0] += time.perf_counter() - began

    local.execute, local.run_batch, local.LocalTarget.observe = recording, recording_batch, observe  # type: ignore[method-assign]
    try:
        began = time.perf_counter()
        report, _ = local.run_in_store(scenario, base / "drill-store", live=Settings(data_dir=base / "live"))
        drill_seconds = time.perf_counter() - began
    finally:
        local.execute, local.run_batch, local.LocalTarget.observe = original_execute, original_batch, original_observe  # type: ignore[method-assign]
    sent = sum(len(b) for b in batches)
    units = sum(1 for a in scenario.actors.values() if a.role == "unit")
    assert sent == report.injects + units, f"the drill recorded {sent} commands for {report.injects} injects and {units} units"
    direct_seconds, recorded = direct(batches, scenario, base / "direct", places[0])
    assert recorded == sent, f"the direct calls recorded {recorded} of {sent} commands"
    ratio = direct_seconds / drill_seconds
    figures = {"injects": report.injects, "commands": sent, "batches": len(batches), "drill_s": round(drill_seconds, 1),
               "direct_s": round(direct_seconds, 1), "load_and_check_s": round(load_seconds, 2),
               "expectations_catch_up_s": round(observing[0], 1),
               "ratio_without_catch_up": round(direct_seconds / (drill_seconds - observing[0]), 3),
               "ratio_to_direct": round(ratio, 3), "ratio_including_load": round(direct_seconds / (drill_seconds + load_seconds), 3),
               "injects_per_s": round(report.injects / drill_seconds, 1),
               "expectations_held": f"{len(report.outcomes) - len(report.failed)}/{len(report.outcomes)}"}
    headline = (f"{figures['injects_per_s']:,.0f} injects/s = {ratio:.2f}× direct ({sent / direct_seconds:,.0f}/s, same batches); "
                f"file load+check {load_seconds:.1f} s")
    size = f"{injects:,} injects" + ("" if quick else " (not 100,000: see note)")
    return Result(NAME, TITLE, GOAL, size, ratio >= 0.8 and not report.failed, headline, figures)


def direct(batches: list[list[tuple[Any, Any]]], scenario: Any, directory: Any, places: Any = None) -> tuple[float, int]:
    """Seconds to run the batches straight into a fresh store, and how many commands it recorded."""
    from domain.application import Coordination
    from domain.clock import SeededIds, SimulatedClock
    from domain.commands import Receipt
    from domain.application.eventstore import store_env
    from domain.application.settings import Settings
    from domain.application.writer import run_batch

    clock = SimulatedClock(scenario.start)
    app = Coordination(store_env(Settings(data_dir=directory), directory), clock=clock, ids=SeededIds(scenario.name))
    recorded = 0
    began = time.perf_counter()
    for batch in batches:
        moments = {id(command): at for at, command in batch}

        def advance(command: Any) -> None:
            if moments[id(command)] > clock.now():
                clock.advance_to(moments[id(command)])

        outcomes = run_batch(app, [command for _, command in batch], before=advance, until_refused=True, places=places)
        recorded += sum(isinstance(o, Receipt) for o in outcomes)
    seconds = time.perf_counter() - began
    app.close()
    return seconds, recorded
