"""P7: a large generated drill scenario, run as fast as possible into a drill store of its own.

Baseline in the same run: the very commands the drill sent (recorded on the way, with their simulated
times), called directly on a fresh Coordination with `domain.writer.execute`, the same clock and the
same seeded ids. Reading and checking the scenario file is timed apart.
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
    from domain.settings import Settings

    injects = QUICK if quick else FULL
    base = fresh_dir("p7")
    path = write(base / "drill.yaml", injects)
    began = time.perf_counter()
    scenario = load(path)
    load_seconds = time.perf_counter() - began
    sent: list[tuple[Any, Any]] = []
    original = local.execute

    def recording(app: Any, command: Any, signal: Any = None) -> Any:
        sent.append((app.clock.now(), command))
        return original(app, command, signal)

    local.execute = recording
    try:
        began = time.perf_counter()
        report, _ = local.run_in_store(scenario, base / "drill-store", live=Settings(data_dir=base / "live"))
        drill_seconds = time.perf_counter() - began
    finally:
        local.execute = original
    direct_seconds = direct(sent, scenario, base / "direct")
    ratio = direct_seconds / drill_seconds
    figures = {"injects": report.injects, "commands": len(sent), "drill_s": round(drill_seconds, 1),
               "direct_s": round(direct_seconds, 1), "load_and_check_s": round(load_seconds, 1),
               "ratio_to_direct": round(ratio, 3), "ratio_including_load": round(direct_seconds / (drill_seconds + load_seconds), 3),
               "injects_per_s": round(report.injects / drill_seconds, 1),
               "expectations_held": f"{len(report.outcomes) - len(report.failed)}/{len(report.outcomes)}"}
    headline = (f"{figures['injects_per_s']:,.0f} injects/s = {ratio:.2f}× direct ({len(sent) / direct_seconds:,.0f}/s); "
                f"file load+check {load_seconds:.1f} s")
    size = f"{injects:,} injects" + ("" if quick else " (not 100,000: see note)")
    return Result(NAME, TITLE, GOAL, size, ratio >= 0.8 and not report.failed, headline, figures)


def direct(sent: list[tuple[Any, Any]], scenario: Any, directory: Any) -> float:
    from domain.application import Coordination
    from domain.clock import SeededIds, SimulatedClock
    from domain.eventstore import store_env
    from domain.settings import Settings
    from domain.writer import execute

    clock = SimulatedClock(scenario.start)
    app = Coordination(store_env(Settings(data_dir=directory), directory), clock=clock, ids=SeededIds(scenario.name))
    began = time.perf_counter()
    for at, command in sent:
        if at > clock.now():
            clock.advance_to(at)
        execute(app, command)
    seconds = time.perf_counter() - began
    app.close()
    return seconds
