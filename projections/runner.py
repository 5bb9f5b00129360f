"""The read side of one store: follows the global log live, feeds every read model, publishes deltas.

One thread reads the log once for all read models. Each model keeps its state in memory and
writes checkpoints (state + tracking position in one transaction); after a crash it resumes
from its last checkpoint and replays the rest, so nothing is lost or counted twice.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from domain.clock import Clock
from domain.application.failures import FAILURES
from projections.events import Undecodable, decode_each
from projections.ledger import Ledger
from projections.poison import Halt, describe, halt, publish, skip_of
from projections.readmodel import ReadModel
from projections.situation_map import SituationMap
from projections.stores import MODELS, FixedClock, read_stores, skip_actor

__all__ = ["MODELS", "FixedClock", "Projections", "read_stores"]

if TYPE_CHECKING:
    from domain.application import Coordination
    from domain.application.eventstore import CommitSignal
    from domain.application.settings import Settings
    from projections.broker import Broker
    from projections.geography import Geography

log = logging.getLogger("lianfang.projections")
CATCH_UP_BATCH = 2000


class Projections:
    def __init__(
        self, app: Coordination, settings: Settings, geography: Geography, directory: Path,
        broker: Broker | None = None, signal: CommitSignal | None = None, clock: Clock | None = None,
        *, writes: bool = True,
    ) -> None:
        """`writes`: this process keeps the durable read models (checkpoints, audit trail) up to date.

        In scale-out mode only the active projection worker writes; API processes follow the log
        into memory for their queries and read the shared audit trail.
        """
        self.app, self.settings, self.geography = app, settings, geography
        self.directory = Path(directory)
        self.broker, self.signal, self.clock, self.writes = broker, signal, clock, writes
        self.stores, self.audit = read_stores(settings, self.directory)
        self.models: dict[str, ReadModel] = {}
        for name in MODELS:
            model = self.fresh(name, clock)
            self.stores[name].restore_latest(model)
            self.models[name] = model
        self.halts: dict[str, Halt] = {}  # read models stopped before an event they cannot take
        self._skip_before: dict[str, int] = {}  # a model rewound to its checkpoint passes over this position
        self.audit.skipped = {}
        self._halts_checked = 0.0
        self.lock = threading.RLock()
        self._running = threading.Lock()
        self.listeners: list[Any] = []  # called with every fact, after the read models took it
        self._advanced = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved_at = time.monotonic()
        self.lag_seconds = 0.0

    @property
    def map(self) -> SituationMap:
        return self.models["situation_map"]  # type: ignore[return-value]

    @property
    def ledger(self) -> Ledger:
        return self.models["ledger"]  # type: ignore[return-value]

    def fresh(self, name: str, clock: Clock | None) -> ReadModel:
        s = self.settings
        model: ReadModel
        if name == "situation_map":
            model = SituationMap(self.geography, {"sealed": s.sealed_quiet_days, "controlled": s.controlled_quiet_days})
        else:
            model = Ledger(s.due_soon_hours, s.silence_hours)
        model.clock = clock
        model.loaded()
        return model

    @property
    def position(self) -> int:
        """How far every running read model has come (a halted one waits for an operator, see poison.py)."""
        running = [m.position for n, m in self.models.items() if n not in self.halts]
        if self.writes and "audit" not in self.halts:
            running.append(self.audit.position)
        if running:
            return min(running)
        return min(h.position for h in self.halts.values()) - 1

    # -- following the log --------------------------------------------------------------------

    def start(self) -> Projections:
        self._share_halts()
        self._thread = threading.Thread(target=self._loop, name="lianfang-projections", daemon=True)
        self._thread.start()
        return self

    def stop(self, save: bool = True) -> None:
        """Stop following; `save=False` when the stores are known to be gone (a lost database or lock)."""
        self._stop.set()
        if self.signal is not None:
            self.signal.committed(self.signal.head)
        if self._thread is not None:
            self._thread.join(timeout=10)
        if save:
            self.checkpoint()
        self.audit.close()
        for store in self.stores.values():
            store.close()

    def _loop(self) -> None:
        failed = False
        while not self._stop.is_set():
            try:
                if failed and self.writes:
                    self.reload()
                failed = False
                self.resume_skipped(if_due=True)
                if self.run_once():
                    continue
                self.tick()
                self.checkpoint(if_due=True)
                if self.broker is not None:
                    self.broker.flush()
            except Exception as error:
                failed = True
                FAILURES.failed("projection step", error, f"retrying from position {self.position}")
                self._stop.wait(0.5)
                continue
            FAILURES.recovered("projection step")
            if self.signal is not None:
                self.signal.wait_beyond(self.position, 0.05)
            else:
                time.sleep(0.05)

    def reload(self) -> None:
        """After a failed step: the models as their last checkpoint left them, the audit position as stored.

        A step that failed half-way may have moved some models in memory past what was stored and
        published; from the stored state the step runs again, whole, and publishes every change."""
        with self._running, self.lock:
            for name in MODELS:
                model = self.fresh(name, self.clock)
                self.stores[name].restore_latest(model)
                self.models[name] = model
            self.audit.refresh()

    def run_once(self, limit: int = 1000, head: int | None = None) -> int:
        """Process the next notifications after our position; the number processed.

        `head`: the log's head when a catch-up began; history checkpoints are then written only where
        they will still be kept when it gets there (see checkpoints.kept_at), not at every step."""
        with self._running:  # one reader at a time: catch_up() may run beside the follower thread
            return self._run_once(limit, head)

    def _heard(self) -> bool:
        return self.broker is not None and self.broker.heard()

    def _run_once(self, limit: int, head: int | None = None) -> int:
        notifications = self.app.recorder.select_notifications(self.position + 1, limit)
        if not notifications:
            return 0
        facts = decode_each(self.app, list(notifications))
        with self.lock:
            quiet = not self._heard()  # no one to read the deltas: the models build none
            for model in self.models.values():
                model.quiet = quiet
            entries = self._audit(facts, stored_too=not quiet)
            deltas = []
            saved = {name: self.stores[name].position() for name in self.models} if self.writes else {}
            every = self.settings.checkpoint_every
            for fact in facts:
                changes: list[dict[str, Any]] = []
                for name, model in self.models.items():
                    if name not in self.halts and fact.position > model.position:
                        changes += self._apply(name, model, fact)
                        # Every N events, also under sustained load (the idle loop's timed checkpoint may never come).
                        if (name in saved and name not in self.halts and model.position // every > saved[name] // every
                                and self.stores[name].keeps(model.position, head)):
                            self.stores[name].save_model(model)
                            saved[name] = model.position
                if not quiet:
                    if fact.position in entries:
                        changes.append({"op": "append", "layer": "audit", "entry": entries[fact.position]})
                    deltas.append((fact, changes))
                for listener in self.listeners:
                    try:
                        listener(fact)
                    except Exception:  # noqa: BLE001  (a listener's bug must not stop the read side)
                        log.exception("a listener failed on the event at position %d", fact.position)
        self.lag_seconds = max(0.0, time.time() - facts[-1].at.timestamp()) if self.clock is None else 0.0
        for fact, changes in deltas:
            self._publish(fact.position, fact.at, changes, cause="event")
        with self._advanced:
            self._advanced.notify_all()
        return len(facts)

    # -- poisoned events (projections/poison.py) -------------------------------------------------

    def _apply(self, name: str, model: ReadModel, fact: Any) -> list[dict[str, Any]]:
        """The model takes the fact; if it cannot, it stops before it until an operator skips it (see resume_skipped)."""
        if self._skip_before.get(name) == fact.position:
            del self._skip_before[name]
            model.position, model.at = fact.position, fact.at
            return []
        try:
            if isinstance(fact.event, Undecodable):
                raise fact.event.error
            return model.apply(fact)
        except Exception as error:  # noqa: BLE001
            if skip_of(self.app, fact.position) is None:
                self.halts[name] = halt(name, fact.position, error)
                self._share_halts()
            else:  # skipped already (a restart, a replay): rewound at once, never left half-applied
                self.halts[name] = Halt(name, fact.position, describe(error))
                self._halts_checked = 0.0
            return []

    def _audit(self, facts: list[Any], stored_too: bool = False) -> dict[int, dict[str, Any]]:
        """The audit entries of the facts, chained and stored now; `stored_too`: also those stored before (a step
        run again after a failure or a takeover), so that the deltas carry every entry."""
        if not self.writes or "audit" in self.halts:
            return {}
        stored: dict[int, dict[str, Any]] = {}
        if stored_too and facts[0].position <= self.audit.position:
            through = min(self.audit.position, facts[-1].position)
            stored = {e["position"]: e for e in self.audit.query(after=facts[0].position - 1, through=through, limit=len(facts))}
        return stored | self._chain(facts)

    def _chain(self, facts: list[Any]) -> dict[int, dict[str, Any]]:
        if not any(isinstance(f.event, Undecodable) for f in facts):
            try:
                return {e["position"]: e for e in self.audit.append(facts)}
            except Exception:  # noqa: BLE001  (find the one it cannot take, below)
                log.warning("the audit trail could not take positions %d–%d at once; one by one", facts[0].position, facts[-1].position)
        entries: dict[int, dict[str, Any]] = {}
        for fact in facts:
            if fact.position <= self.audit.position:
                continue
            try:
                if isinstance(fact.event, Undecodable):
                    raise fact.event.error
                taken = self.audit.append([fact])
            except Exception as error:  # noqa: BLE001
                skip = skip_of(self.app, fact.position)
                if skip is None:
                    self.halts["audit"] = halt("audit", fact.position, error)
                    self._share_halts()
                    break
                self.audit.skipped[fact.position] = skip.reason
                taken = self.audit.append([fact])
                log.warning("the audit trail chains the event at position %d with its text escaped, as decided by %s: %s",
                            fact.position, skip_actor(skip), skip.reason)
            entries.update({e["position"]: e for e in taken})
        return entries

    def resume_skipped(self, if_due: bool = False) -> None:
        """Halted models whose event an operator has skipped go on past it."""
        if not self.halts or (if_due and time.monotonic() - self._halts_checked < 0.5):
            return
        self._halts_checked = time.monotonic()
        with self.lock:
            for name, stopped in list(self.halts.items()):
                skip = skip_of(self.app, stopped.position)
                if skip is None:
                    continue
                if name == "audit":
                    self.audit.skipped[stopped.position] = skip.reason
                else:  # the event may have half-applied: start again from the last checkpoint; the replay skips it
                    self._skip_before[name] = stopped.position
                    model = self.fresh(name, self.clock)
                    self.stores[name].restore_latest(model)
                    self.models[name] = model
                del self.halts[name]
                log.warning("read model %s resumes past position %d, skipped by %s: %s", name, stopped.position,
                            skip_actor(skip), skip.reason)
            self._share_halts()

    def _share_halts(self) -> None:
        if self.writes and self.settings.database_url:
            try:
                publish(self.settings.database_url, self.halts)
            except Exception:  # noqa: BLE001  (shown again at the next change; the log has it now)
                log.exception("could not record the read models' halts in PostgreSQL")

    def catch_up(self) -> int:
        """Follow the log to its head now (at start-up: before anyone reads deltas, so none are built)."""
        total, head = 0, self.app.recorder.max_notification_id() or 0
        self.resume_skipped()
        while processed := self.run_once(CATCH_UP_BATCH, head=head):
            total += processed
            self.resume_skipped()
        return total

    def tick(self, now: datetime | None = None) -> None:
        """Publish what changed by the passing of time (task colours, zone quiet days)."""
        now = now or (self.clock.now() if self.clock else None)
        if now is None:
            return
        with self.lock:
            changes = []
            for model in self.models.values():
                upcoming = model.next_change()
                if upcoming is not None and upcoming <= now:
                    changes += model.tick(now)
        if changes:
            self._publish(self.position, now, changes, cause="time")

    def _publish(self, position: int, at: datetime, changes: list[dict[str, Any]], cause: str) -> None:
        if self.broker is None:
            return
        message = {"type": "delta", "position": position, "at": at.isoformat(), "cause": cause, "changes": changes}
        self.broker.publish(position, orjson.dumps(message))

    def checkpoint(self, if_due: bool = False) -> None:
        if not self.writes:
            return
        if if_due and time.monotonic() - self._saved_at < 1.0:
            return
        with self.lock:
            for name, model in self.models.items():
                store = self.stores[name]
                if name not in self.halts and model.position > store.position():  # a halted model may be half-applied
                    store.save_model(model)
        self._saved_at = time.monotonic()

    def wait_for(self, position: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._advanced:
            while self.position < position:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._advanced.wait(remaining)
        return True

    # -- as of time T -------------------------------------------------------------------------

    def as_of(self, at: datetime) -> tuple[int, SituationMap, Ledger]:
        """The map and the ledger as they stood at `at`: nearest checkpoint, then replay to T."""
        models = {}
        for name in MODELS:
            model = self.fresh(name, FixedClock(at))
            model.quiet = True  # replayed for its state only
            self.stores[name].restore_at_or_before(model, at)
            models[name] = model
        position = min(m.position for m in models.values())
        done = False
        while not done:
            notifications = self.app.recorder.select_notifications(position + 1, 1000)
            if not notifications:
                break
            for fact in decode_each(self.app, list(notifications)):
                if not isinstance(fact.event, Undecodable) and fact.at > at:
                    done = True
                    break
                for name, model in models.items():
                    if fact.position > model.position:
                        try:
                            if isinstance(fact.event, Undecodable):
                                raise fact.event.error
                            model.apply(fact)
                        except Exception as error:  # noqa: BLE001  (the live model stops there; see /healthz)
                            log.warning("as of %s: %s passes over the event at position %d it cannot take: %s",
                                        at.isoformat(), name, fact.position, error)
                            model.position = fact.position
                position = fact.position
        last = max(m.position for m in models.values())
        return last, models["situation_map"], models["ledger"]  # type: ignore[return-value]
