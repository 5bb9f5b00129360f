"""`lianfang projections rebuild [NAME]`: build read models from position 0 beside the live ones, then switch.

Embedded mode: the rebuilt model is written under a new versioned file name; when it has caught up with
the log it is compared with the live one and the pointer is switched to it (blue/green). A running
server keeps reading its open files until it restarts.
Scale-out mode: the rebuilt models are written to PostgreSQL tables beside the live ones, which take
their content in one transaction; the projection workers must be stopped meanwhile (the rebuild holds
their lock). API processes read the rebuilt audit trail at once, the rebuilt map and ledger when they
restart.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from domain.application import Coordination
from domain.application.eventstore import store_env
from domain.application.settings import Settings
from projections.audit import AuditTrail, as_entry
from projections.checkpoints import CheckpointStore
from projections.events import Undecodable, decode_each
from projections.files import model_file, next_version, switch_to
from projections.geography import Geography
from projections.poison import skip_of
from projections.postgres import REBUILT, PgAuditTrail, PgCheckpointStore, adopt_rebuilt, clear_rebuilt, projection_lock
from projections.runner import MODELS, Projections

NAMES = (*MODELS, "audit")


def rebuild(settings: Settings, name: str | None = None, batch: int = 2000) -> dict[str, bool]:
    """Rebuild one read model (or all, in one pass over the log); per model, whether it equals the live one."""
    if name is not None and name not in NAMES:
        raise ValueError(f"unknown read model {name!r}; choose one of: {', '.join(NAMES)}")
    directory = Path(settings.data_dir) / "projections"
    names = [name] if name else list(NAMES)
    with projection_lock(settings.database_url) if settings.database_url else nullcontext():
        app = Coordination(store_env(settings))
        live = Projections(app, settings, Geography.load(settings.geography_file), directory)
        try:
            live.catch_up()
            with _beside_the_live_ones(settings, directory, names) as (stores, audit, switch):
                results = _rebuild(app, live, stores, audit, batch)
                switch()
        finally:
            live.stop()
            app.close()
    return results


@contextmanager
def _beside_the_live_ones(settings: Settings, directory: Path, names: list[str]) -> Iterator[tuple[dict[str, Any], Any, Callable[[], None]]]:
    """Empty read stores for the rebuilt models (versioned SQLite files, or PostgreSQL tables), and how to switch to them."""
    every = settings.checkpoint_every
    if settings.database_url:
        dsn = settings.database_url
        clear_rebuilt(dsn, names)
        stores = {n: PgCheckpointStore(dsn, n + REBUILT, every) for n in names if n != "audit"}
        audit = PgAuditTrail(dsn, "audit" + REBUILT) if "audit" in names else None
        switch: Callable[[], None] = lambda: adopt_rebuilt(dsn, names)  # noqa: E731
    else:
        files = {n: next_version(directory, n) for n in names}
        stores = {n: CheckpointStore(directory / files[n], every) for n in names if n != "audit"}
        audit = AuditTrail(directory / files["audit"]) if "audit" in names else None

        def switch() -> None:
            for model_name, filename in files.items():
                switch_to(directory, model_name, filename)
    try:
        yield stores, audit, switch
    finally:
        for store in stores.values():
            store.close()
        if audit is not None:
            audit.close()


def _rebuild(app: Coordination, live: Projections, stores: dict[str, Any], audit: Any, batch: int) -> dict[str, bool]:
    models = {n: live.fresh(n, None) for n in stores}
    for model in models.values():
        model.quiet = True  # no one reads a rebuild's deltas
    every, position, head = live.settings.checkpoint_every, 0, app.recorder.max_notification_id() or 0
    named = [*stores, *(["audit"] if audit is not None else [])]
    with Progress(TextColumn(f"rebuilding {', '.join(named)}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as bar:
        job = bar.add_task("rebuild", total=head)
        while notifications := app.recorder.select_notifications(position + 1, batch):
            facts = decode_each(app, list(notifications))  # decoded once for every model
            if audit:
                _chain(app, audit, facts)
            for n, model in models.items():
                for fact in facts:
                    _take(app, n, model, fact)
                # History checkpoints keep as-of fast: only those still kept when the rebuild reaches the head.
                if model.position // every > stores[n].position() // every and stores[n].keeps(model.position, head):
                    stores[n].save_model(model)
            position = facts[-1].position
            bar.update(job, completed=position)
    results = {}
    for n, model in models.items():
        if model.position > stores[n].position():
            stores[n].save_model(model)
        results[n] = model.state == live.models[n].state
    if audit:
        results["audit"] = same_entries(audit, live.audit)
    return results


def same_entries(trail: Any, other: Any, page: int = 5000) -> bool:
    """Whether two audit trails hold the same entries, compared a page of raw rows at a time (a rebuild's
    last check: the trail's `query` parses each row's time and copies it, a sixth of a rebuild at 100,000 events)."""
    after = -1
    while True:
        pages = [[tuple(as_entry(r).values()) for r in t._rows(  # noqa: SLF001
            f"SELECT * FROM {t.table} WHERE position > {t.P} ORDER BY position LIMIT {page}", (after,))]  # noqa: S608
            for t in (trail, other)]
        if pages[0] != pages[1]:
            return False
        if len(pages[0]) < page:
            return True
        after = pages[0][-1][0]


def _refusal(app: Coordination, name: str, fact: Any, error: Exception) -> Any:
    skip = skip_of(app, fact.position)
    if skip is None:
        raise ValueError(f"{name} cannot take the event at position {fact.position} ({type(error).__name__}: {error}); "
                         f"fix the code, or skip it: lianfang projections skip {fact.position} --reason …") from error
    return skip


def _take(app: Coordination, name: str, model: Any, fact: Any) -> None:
    try:
        if isinstance(fact.event, Undecodable):
            raise fact.event.error
        model.apply(fact)
    except Exception as error:  # noqa: BLE001  (skipped only where an operator said so)
        _refusal(app, name, fact, error)
        # It may have half-applied: replay from the start up to it, passing over it (rare: one skipped event).
        model.state, model.position, model.at = _before(app, model, fact.position).state, fact.position, fact.at
        model.forget_touched(None)  # what changed is not known now: its next checkpoint is a whole one
        model.loaded()


def _before(app: Coordination, model: Any, position: int) -> Any:
    """A fresh copy of `model` fed every event before `position` (skipped ones passed over)."""
    fresh = type(model).__new__(type(model))
    fresh.__dict__.update({k: v for k, v in model.__dict__.items() if k not in ("state", "position", "at")})
    fresh.state, fresh.position, fresh.at = fresh.empty(), 0, None
    fresh.loaded()
    start = 1
    while notifications := app.recorder.select_notifications(start, 2000, stop=position - 1):
        for fact in decode_each(app, list(notifications)):
            _take(app, "replay", fresh, fact)
        start = notifications[-1].id + 1
    return fresh


def _chain(app: Coordination, audit: AuditTrail, facts: list[Any]) -> None:
    try:
        if any(isinstance(f.event, Undecodable) for f in facts):
            raise ValueError("undecodable")
        audit.append(facts)
        return
    except Exception:  # noqa: BLE001  (one by one, below)
        pass
    for fact in facts:
        try:
            if isinstance(fact.event, Undecodable):
                raise fact.event.error
            audit.append([fact])
        except Exception as error:  # noqa: BLE001
            audit.skipped = {**getattr(audit, "skipped", {}), fact.position: _refusal(app, "audit", fact, error).reason}
            audit.append([fact])


__all__ = ["rebuild", "NAMES", "model_file"]
