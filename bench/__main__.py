"""`python -m bench [--quick] [--only P1,P2] [--scale-out]`: run the benchmarks, print one table, write results.

Each benchmark writes bench/results/<name>.json (<name>-scale-out.json with --scale-out); the table is
also written as Markdown to bench/results/table[-scale-out].md, for the README's Performance section.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import time
import traceback

from rich.console import Console
from rich.table import Table

from bench.common import RESULTS, Result, not_run
from bench.profiles import ENABLED, spy

MODULES = {"P1": "p1_ingest", "P2": "p2_live_latency", "P3": "p3_fanout", "P4": "p4_rebuild",
           "P5": "p5_asof", "P6": "p6_page", "P7": "p7_drill", "C1": "c1_console", "S1": "s1_setup"}
SCALE_OUT = ("P1", "P2")  # the benchmarks that also run on PostgreSQL + Redis


def run_one(name: str, quick: bool, scaled: bool) -> Result:
    module = importlib.import_module(f"bench.{MODULES[name]}")
    if scaled and name not in SCALE_OUT:
        return not_run(name, module.TITLE, module.GOAL, "embedded mode only")
    began, load = time.monotonic(), os.getloadavg()[0]
    os.environ["LIANFANG_BENCH_CURRENT"] = name + ("-scale-out" if scaled else "")
    try:
        with spy(os.getpid(), f"{name}{'-scale-out' if scaled else ''}-bench"):
            result = module.run(quick=quick, scaled=scaled)
    except Exception as error:  # one broken benchmark must not hide the others' figures
        traceback.print_exc()
        result = Result(name, module.TITLE, module.GOAL, "-", False, f"failed: {type(error).__name__}: {error}"[:200])
    result.figures["wall_seconds"] = round(time.monotonic() - began, 1)
    result.figures["load_average_before_after"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    return result


def verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "not run"}[met]


def table(results: list[Result], title: str) -> Table:
    grid = Table(title=title, show_lines=True)
    for column in ("", "what", "size", "goal", "measured", "goal met"):
        grid.add_column(column, overflow="fold")
    for r in results:
        style = {True: "green", False: "red", None: "yellow"}[r.met]
        grid.add_row(r.name, r.title, r.size, r.goal, r.headline, f"[{style}]{verdict(r.met)}[/]")
    return grid


def stored(mode: str, fresh: list[Result]) -> list[Result]:
    """Every benchmark's latest result in this mode: the ones just run, and the rest as bench/results holds them
    (so `--only C1` adds its row to the table instead of replacing the table)."""
    by_name = {r.name: r for r in fresh}
    suffix = "" if mode == "embedded" else f"-{mode}"
    for name in MODULES:
        path = RESULTS / f"{name}{suffix}.json"
        if name not in by_name and path.is_file():
            record = json.loads(path.read_text())
            by_name[name] = Result(**{k: record[k] for k in ("name", "title", "goal", "size", "met", "headline")})
    return [by_name[name] for name in MODULES if name in by_name]


def markdown(results: list[Result]) -> str:
    rows = ["| | what | size | goal | measured | goal met |", "|---|---|---|---|---|---|"]
    rows += [f"| {r.name} | {r.title} | {r.size} | {r.goal} | {r.headline} | {verdict(r.met)} |" for r in results]
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run; figures mean little)")
    parser.add_argument("--only", help="comma-separated benchmark names, e.g. P1,P4")
    parser.add_argument("--scale-out", action="store_true", help="PostgreSQL + Redis mode (P1 and P2)")
    parser.add_argument("--profile", action="store_true", help="sample the bench and its servers with py-spy (results/profiles/)")
    parser.add_argument("--events", type=int, help="size of the generated history for P4 and P5 (default 100,000)")
    args = parser.parse_args()
    if args.events:
        os.environ["LIANFANG_BENCH_EVENTS"] = str(args.events)
    if args.profile:
        os.environ[ENABLED] = "1"
    names = [n.strip().upper() for n in args.only.split(",")] if args.only else list(SCALE_OUT if args.scale_out else MODULES)
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    mode = "scale-out" if args.scale_out else "embedded"
    console = Console(width=None if Console().is_terminal else 200)
    results = []
    for name in names:
        console.print(f"[bold]{name}[/] {MODULES[name]} ({mode}{', quick' if args.quick else ''}) ...")
        result = run_one(name, args.quick, args.scale_out)
        path = result.write(mode, args.quick)
        console.print(f"  {verdict(result.met)}: {result.headline}  → {path}")
        results.append(result)
    console.print(table(results, f"Lianfang benchmarks ({mode}{', quick' if args.quick else ''})"))
    suffix = "" if mode == "embedded" else "-scale-out"
    if args.quick:  # a smoke run's figures mean little: its table holds only what it ran
        (RESULTS / f"table{suffix}-quick.md").write_text(markdown(results))
    else:
        (RESULTS / f"table{suffix}.md").write_text(markdown(stored(mode, results)))


if __name__ == "__main__":
    main()
