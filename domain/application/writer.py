"""The write path: commands run in order and share one durable commit (group commit).

One writer thread owns the write path. Commands wait on a queue; the writer takes what is
there (up to a bound), runs each command's domain method in order inside one unit of work,
drops the ones the domain refused (their callers get the error), saves the rest in one
transaction, and only then answers every caller. Nothing is acknowledged before the commit.
"""
from __future__ import annotations

import functools
import inspect
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.command_catalogue import BY_NAME, spec_of
from domain.commands import Command, Receipt
from domain.errors import DomainError, IdempotencyKeyReused, InvalidInput
from domain.application.eventstore import CommitSignal, KeyRow, known_keys, position_of, store_deadline
from domain.application.failures import FAILURES
from domain.idempotency import record_id
from domain.policy import Places
from domain.policy import check as check_policy
from domain.times import occurred_time
from domain.application.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from domain.application.coordination import Coordination

log = logging.getLogger("lianfang.writer")


def STOPPING() -> DomainError:  # noqa: N802  (a fresh error each time, raised into callers)
    return DomainError("the server is stopping; retry with the same Idempotency-Key")


class _Deferred(Exception):
    """The same idempotency key is already in this batch: answer it after this commit."""


class _HalfApplied(Exception):
    """A refused command left events behind: the batch is rerun one command at a time."""


def execute(app: Coordination, command: Command, signal: CommitSignal | None = None, *,
            places: Places | None = None) -> Receipt:
    """Run one command now, in the caller's thread, and commit it (drills, CLI, tests)."""
    outcome = run_batch(app, [command], signal, places=places)[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def run_batch(app: Coordination, commands: list[Command], signal: CommitSignal | None = None, *,
              before: Callable[[Command], None] | None = None, until_refused: bool = False,
              places: Places | None = None) -> list[Any]:
    """Run commands in order and commit them together; one outcome (Receipt or error) per command.

    Each command is first checked against the policy (domain/policy.py) over the jurisdictions in force
    (`places`; a process without a geography, such as the CLI, checks the roles only).

    `before(command)` is called just before each command runs (a drill moves its simulated clock to the
    inject's own time). `until_refused`: the commands after the first refused one are not run (nor
    committed) and have no outcome, as if they had been sent one at a time by a caller that stops there."""
    try:
        return _run_together(app, commands, signal, before, until_refused, places)
    except (_HalfApplied, IntegrityError):
        # Another process wrote the same thing, or a refusal left debris: one by one, fresh.
        outcomes = []
        for command in commands:
            outcomes.append(_run_alone(app, command, signal, before=before, places=places))
            if until_refused and _refused(outcomes[-1]):
                break
        return outcomes


def _refused(outcome: Any) -> bool:
    return isinstance(outcome, BaseException) and not isinstance(outcome, _Deferred)


def _run_alone(app: Coordination, command: Command, signal: CommitSignal | None, attempts: int = 3,
               before: Callable[[Command], None] | None = None, places: Places | None = None) -> Any:
    for attempt in range(attempts):
        try:
            return _run_together(app, [command], signal, before, places=places)[0]
        except IntegrityError:
            if attempt == attempts - 1:
                return DomainError("the record changed under this command several times; try again")
        except _HalfApplied as error:  # cannot happen alone: the refusal is the answer
            return error.__cause__
    raise AssertionError("unreachable")


def _run_together(app: Coordination, commands: list[Command], signal: CommitSignal | None,
                  before: Callable[[Command], None] | None = None, until_refused: bool = False,
                  places: Places | None = None) -> list[Any]:
    with app.recent.lock:
        head = app.recorder.max_notification_id() or 0
        try:
            outcomes, positions = _commit(app, commands, signal, app.recent.trust(head), before, until_refused, places)
        except BaseException:
            app.recent.forget()  # instances may hold changes that were never saved
            raise
        app.recent.kept(head, positions)
        return outcomes


def _commit(app: Coordination, commands: list[Command], signal: CommitSignal | None, cache: dict,
            before: Callable[[Command], None] | None = None, until_refused: bool = False,
            places: Places | None = None) -> tuple[list[Any], list[int]]:
    outcomes: list[Any] = []
    positions: dict[tuple[Any, int], int] = {}
    with UnitOfWork(cache) as uow:
        uow.known_keys = known_keys(app, [record_id(c.meta.key_scope, c.idempotency_key) for c in commands if c.idempotency_key])
        for command in commands:
            if outcomes and until_refused and _refused(outcomes[-1]):
                break
            if before is not None:
                before(command)
            try:
                outcomes.append(_run_one(app, uow, command, places))
            except _Deferred as deferred:
                outcomes.append(deferred)
            except DomainError as refusal:
                if uow.half_applied():
                    raise _HalfApplied() from refusal
                outcomes.append(refusal)
            except Exception as bug:  # a bug on one input must not fail the other callers' commands
                log.exception("command %s failed unexpectedly", command.name)
                if uow.half_applied():
                    raise _HalfApplied() from bug
                outcomes.append(bug)
        staged = list(uow.staged.values())
        if staged:
            recordings = app.save(*staged, idempotency=list(uow.key_rows.values()))  # the keys: same transaction
            positions = {(r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
                         for r in recordings}
            for receipt in outcomes:
                if isinstance(receipt, Receipt) and not receipt.replayed:
                    receipt.position = positions[(receipt.id, receipt.version)]
            if signal is not None and recordings:
                signal.committed(max(positions.values()))
    return outcomes, sorted(positions.values())


def _canonical(target: str | None) -> str | None:
    """One spelling per id, so version checks and idempotency compare like with like."""
    try:
        return str(UUID(str(target))) if target is not None else None
    except ValueError:
        return target


def _run_one(app: Coordination, uow: UnitOfWork, command: Command, places: Places | None = None) -> Receipt:
    target = _canonical(command.target)
    if target != command.target:
        command = replace(command, target=target)
    uow.begin(command.target, command.expected_version)
    args = dict(command.args)
    check_policy(command.meta, command.name, args, command.target, uow.peek(app.repository), places)
    now = app.clock.now()
    meta = replace(command.meta, at=now, occurred_at=occurred_time(args.pop("occurred_at", None) or command.meta.occurred_at, now))
    key = command.idempotency_key
    request_hash = command.request_hash()
    if key:
        replayed = _replay(app, uow, meta.key_scope, key, request_hash)
        if replayed is not None:
            return replayed
    method = _method(app, command, args)
    positional = (command.target,) if BY_NAME[command.name].targeted else ()  # a known name: _method checked it
    thing_id = method(meta, *positional, **args)
    receipt = Receipt(thing_id, uow.main.version)
    if key:  # the first answer to this key, committed with the command's events (no aggregate of its own)
        rid = record_id(meta.key_scope, key)
        uow.key_rows[rid] = KeyRow(rid, request_hash, command.name, str(thing_id), receipt.version)
        uow.keys.add(rid)
    return receipt


def _replay(app: Coordination, uow: UnitOfWork, actor: str, key: str, request_hash: str) -> Receipt | None:
    rid = record_id(actor, key)
    if rid in uow.keys:
        raise _Deferred()
    if rid not in uow.known_keys:  # looked up for the whole batch in one query
        return None
    record: Any = uow.known_keys[rid]
    if record is None:  # recorded by an older store as an aggregate of its own (IdempotencyRecord)
        try:
            record = app.repository.get(rid)
        except AggregateNotFoundError:
            return None
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} was first used for a different request ({record.command}); "
            "use a new key for a new request"
        )
    thing_id = record.thing
    return Receipt(UUID(thing_id), record.thing_version, position_of(app, thing_id, record.thing_version), replayed=True)


def _method(app: Coordination, command: Command, args: dict[str, Any]) -> Any:
    spec = spec_of(command.name)
    if spec is None:
        raise InvalidInput(f"unknown command {command.name!r}")
    if spec.targeted and not command.target:
        raise InvalidInput(f"{command.name} needs the id of the thing it acts on")
    method = getattr(app, command.name)
    parameters = _parameters(command.name)
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    fields = [n for n, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(args) - set(fields)) if not takes_any else []
    if unknown:
        raise InvalidInput(f"{command.name} has no field {', '.join(unknown)}; its fields are: {', '.join(fields) or 'none'}")
    missing = [n for n in fields if parameters[n].default is inspect.Parameter.empty and n not in args]
    if missing:
        raise InvalidInput(f"{command.name} needs the field {', '.join(missing)}")
    return method


@functools.cache
def _parameters(name: str) -> Any:
    from domain.application.coordination import Coordination

    return inspect.signature(getattr(Coordination, name)).parameters


BATCH_STORE_SECONDS = 1.5  # how long after its first command arrived a batch may retry a lost store connection


class Writer:
    """The single writer thread of this process; `submit` returns a Future of the Receipt."""

    def __init__(self, app: Coordination, signal: CommitSignal, max_batch: int = 512,
                 places: Callable[[], Places | None] = lambda: None) -> None:
        self.app = app
        self.signal = signal
        self.max_batch = max_batch
        self.places = places  # the jurisdictions in force now (county setup may draw new ones)
        self._queue: queue.Queue[tuple[Command, Future[Receipt]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="lianfang-writer", daemon=True)
        self.batches = 0
        self.commands = 0
        self._stopped = False
        self.batch_started: float | None = None  # time.monotonic() of the batch being committed now
        self.last_failed = False

    def struggling(self, seconds: float = 1.0) -> bool:
        """The store is not taking writes: the last commit failed, or the one under way has run for `seconds`.

        A caller that waited this long may then withdraw its command (Future.cancel) if not yet started."""
        started = self.batch_started
        return self.last_failed or (started is not None and time.monotonic() - started > seconds)

    def start(self) -> Writer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped = True
        self._queue.put(None)
        self._thread.join(timeout=10)
        while not self._queue.empty():  # whatever arrived after the last batch: refused, not lost in silence
            item = self._queue.get_nowait()
            if item is not None and not item[1].cancelled():
                item[1].set_exception(STOPPING())

    def submit(self, command: Command) -> Future[Receipt]:
        future: Future[Receipt] = Future()
        future.submitted = time.monotonic()  # type: ignore[attr-defined]  (its batch's store deadline counts from it)
        if self._stopped:
            future.set_exception(STOPPING())
            return future
        self._queue.put((command, future))
        return future

    def _loop(self) -> None:
        carried: list[tuple[Command, Future[Receipt]]] = []
        while True:
            batch = carried
            carried = []
            if not batch:
                first = self._queue.get()
                if first is None:
                    return
                batch.append(first)
            stopping = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            carried = self._commit(batch)
            if stopping:
                for _, future in carried:
                    future.set_exception(STOPPING())
                return

    def _commit(self, batch: list[tuple[Command, Future[Receipt]]]) -> list[tuple[Command, Future[Receipt]]]:
        # A caller that gave up (its request answered 503) withdrew its command: it is never run.
        batch = [(c, f) for c, f in batch if f.running() or f.set_running_or_notify_cancel()]
        if not batch:
            return []
        self.batch_started = time.monotonic()
        # While the store is away, the batch gives up when its longest-waiting caller should have its answer (one
        # attempt at least): a command taken into a batch after waiting in the queue still gets its 503 in ~2 s.
        waited_since = min(getattr(future, "submitted", self.batch_started) for _, future in batch)
        give_up_at = max(waited_since + BATCH_STORE_SECONDS, self.batch_started + 0.2)
        try:
            with store_deadline(give_up_at):
                outcomes = run_batch(self.app, [command for command, _ in batch], self.signal, places=self.places())
        except Exception as failure:  # the store itself failed: nobody is acknowledged
            self.last_failed = True
            FAILURES.failed("commit", failure, f"{len(batch)} commands, none acknowledged")
            for _, future in batch:
                future.set_exception(failure)
            return []
        finally:
            self.batch_started = None
        self.last_failed = False
        FAILURES.recovered("commit")
        self.batches += 1
        carried = []
        for (command, future), outcome in zip(batch, outcomes):
            if isinstance(outcome, _Deferred):
                carried.append((command, future))
            elif isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                self.commands += 1
                future.set_result(outcome)
        return carried
