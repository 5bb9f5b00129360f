"""`lianfang projections rebuild [NAME]`: build read models from position 0 beside the live ones, then switch.

The rebuilt model is written under a new versioned file name; when it has caught up with the log
it is compared with the live one and the pointer is switched to it (blue/green). A running server
keeps reading its open files until it restarts.
"""
from __future__ import annotations

from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from domain.application import Coordination
from domain.eventstore import store_env
from domain.settings import Settings
from projections.audit import AuditTrail
from projections.checkpoints import CheckpointStore
from projections.events import decode
from projections.files import model_file, next_version, switch_to
from projections.geography import Geography
from projections.runner import MODELS, Projections

NAMES = (*MODELS, "audit")


def rebuild(settings: Settings, name: str | None = None, batch: int = 2000) -> dict[str, bool]:
    """Rebuild one read model (or all); returns, per model, whether it equals the live one."""
    if name is not None and name not in NAMES:
        raise ValueError(f"unknown read model {name!r}; choose one of: {', '.join(NAMES)}")
    directory = Path(settings.data_dir) / "projections"
    app = Coordination(store_env(settings))
    live = Projections(app, settings, Geography.load(settings.geography_file), directory)
    live.catch_up()
    head = app.recorder.max_notification_id() or 0
    results = {}
    for model_name in [name] if name else NAMES:
        filename = next_version(directory, model_name)
        results[model_name] = _rebuild_one(app, live, model_name, directory / filename, head, batch)
        switch_to(directory, model_name, filename)
    live.stop()
    return results


def _rebuild_one(app: Coordination, live: Projections, name: str, path: Path, head: int, batch: int) -> bool:
    audit = AuditTrail(path) if name == "audit" else None
    model = None if audit else live.fresh(name, None)
    store = None if audit else CheckpointStore(path, live.settings.checkpoint_every)
    position = 0
    with Progress(TextColumn(f"rebuilding {name}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as bar:
        job = bar.add_task(name, total=head)
        while notifications := app.recorder.select_notifications(position + 1, batch):
            facts = decode(app, list(notifications))
            if audit:
                audit.append(facts)
            else:
                for fact in facts:
                    model.apply(fact)
                store.save(model.position, model.at, model.dump())  # history checkpoints keep as-of fast
            position = facts[-1].position
            bar.update(job, completed=position)
    if audit:
        equal = audit.query(limit=10**9) == live.audit.query(limit=10**9)
        audit.close()
        return equal
    store.close()
    return model.state == live.models[name].state


__all__ = ["rebuild", "NAMES", "model_file"]
