"""P4: rebuild all projections (`lianfang projections rebuild`) from a large generated history.

Baseline in the same run: a raw read + decode of the same log (select_notifications in batches,
then the mapper), which is the least any rebuild must do. The live read models are caught up
first (untimed), as they are on a running system, so the timed part is the rebuild itself.
"""
from __future__ import annotations

import contextlib
import io
import os
import time
from pathlib import Path

from bench.common import SCRATCH, Result
from bench.history import build

NAME, TITLE = "P4", "rebuild all projections from a large history"
GOAL = "≥ 0.3× the raw read + decode rate"
FULL, QUICK = 100_000, 3_000


def history_store(quick: bool) -> tuple[Path, dict]:
    size = QUICK if quick else int(os.environ.get("LIANFANG_BENCH_EVENTS", FULL))
    directory = SCRATCH / f"history-{size}"
    return directory, build(directory, size)


def caught_up(directory: Path) -> None:
    """The live read models at the head, with their checkpoints saved (what a stopped server leaves)."""
    from domain.application import Coordination
    from domain.application.eventstore import store_env
    from domain.application.settings import Settings
    from projections.geography import Geography
    from projections.runner import Projections

    settings = Settings(data_dir=directory)
    app = Coordination(store_env(settings))
    projections = Projections(app, settings, Geography.load(settings.geography_file), directory / "projections")
    projections.catch_up()
    projections.stop()
    app.close()


def raw_rate(directory: Path, batch: int = 2000) -> tuple[int, float]:
    from domain.application import Coordination
    from domain.application.eventstore import store_env
    from domain.application.settings import Settings
    from projections.events import decode

    app = Coordination(store_env(Settings(data_dir=directory)))
    started, position, count = time.perf_counter(), 0, 0
    while notifications := app.recorder.select_notifications(position + 1, batch):
        facts = decode(app, list(notifications))
        position, count = facts[-1].position, count + len(facts)
    seconds = time.perf_counter() - started
    app.close()
    return count, count / seconds


def rebuild_once(directory: Path) -> float:
    from domain.application.settings import Settings
    from projections.rebuild import rebuild

    for old in [*directory.glob("projections/*.v*.sqlite*"), directory / "projections" / "current.json"]:
        old.unlink(missing_ok=True)
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        equal = rebuild(Settings(data_dir=directory))
    seconds = time.perf_counter() - started
    if not all(equal.values()):
        raise AssertionError(f"a rebuilt read model differs from the live one: {equal}")
    return seconds


def stored_bytes(directory: Path) -> dict[str, int]:
    """Bytes on disk (WAL and free pages counted) of the log and of the read models a rebuild left in use."""
    from projections.files import model_file
    from projections.rebuild import NAMES

    def size(path: Path) -> int:
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.is_file())

    models = {n: size(model_file(directory / "projections", n)) for n in NAMES}
    return {"log": size(directory / "events.sqlite"), "read_models": sum(models.values()), **models}


def run(quick: bool = False, scaled: bool = False) -> Result:
    directory, info = history_store(quick)
    began = time.perf_counter()
    caught_up(directory)  # from position 0 on a fresh store, or from where the last run left it
    catch_up_seconds = time.perf_counter() - began
    count, raw = raw_rate(directory)
    seconds = rebuild_once(directory)
    disk = stored_bytes(directory)
    raws = sorted([raw, raw_rate(directory)[1], raw_rate(directory)[1]])  # it swings by 2× within a run: the median of three
    raw_mean = raws[1]
    rate = count / seconds
    ratio = rate / raw_mean
    figures = {"events": count, "rebuild_seconds": round(seconds, 1), "rebuild_events_per_s": round(rate),
               "raw_read_decode_per_s": [round(r) for r in raws], "raw_median_per_s": round(raw_mean), "ratio_to_raw": round(ratio, 3),
               "load_average": [round(x, 2) for x in os.getloadavg()], "live_catch_up_seconds": round(catch_up_seconds, 1),
               "bytes": disk, "history": info, "models": "situation_map, ledger, audit (each from position 0)"}
    headline = (f"{rate:,.0f} ev/s = {ratio:.2f}× raw read+decode (median of three: {raw_mean:,.0f} ev/s); {seconds:.0f} s for {count:,} events; "
                f"read models {disk['read_models'] / 1e6:,.0f} MB beside a {disk['log'] / 1e6:,.0f} MB log")
    size = f"{count:,} events" + ("" if quick or count >= 1_000_000 else " (not 1,000,000: see note)")
    return Result(NAME, TITLE, GOAL, size, ratio >= 0.3, headline, figures)
