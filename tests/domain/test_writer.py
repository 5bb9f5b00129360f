"""Group commit: many callers, one writer thread, one durable commit per batch."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timezone
from uuid import uuid4

import pytest

from domain.application import Coordination
from domain.base import Meta
from domain.clock import SimulatedClock
from domain.commands import Command, Receipt
from domain.errors import DomainError, IdempotencyKeyReused, InvalidInput
from domain.application.eventstore import CommitSignal, follow, store_env
from domain.incident import IncidentClosedError
from domain.application.settings import Settings
from domain.application.writer import Writer, execute, run_batch

COMMANDER = Meta(actor="cmd", role="commander")
TEAM = Meta(actor="team-7", role="field", unit="unit-township")
INCIDENT = {"kind": "cluster", "title": "幼儿园", "location": [104.06, 30.67]}


class CountingClock(SimulatedClock):
    """A drill clock that also counts how often commands read it (once per command run)."""

    def __init__(self) -> None:
        super().__init__(datetime.now(timezone.utc))
        self.readings = 0

    def now(self) -> datetime:
        self.readings += 1
        return super().now()


@pytest.fixture
def clock():
    return CountingClock()


@pytest.fixture
def app(tmp_path, clock):
    return Coordination(store_env(Settings(data_dir=tmp_path)), clock=clock)


@pytest.fixture
def signal():
    return CommitSignal()


@pytest.fixture
def writer(app, signal):
    started = Writer(app, signal).start()
    yield started
    started.stop()


def report(incident, confirmed=1, **more):
    return Command("file_report", TEAM, {"new": {"confirmed": confirmed}}, target=str(incident), **more)


def open_incidents(app, n):
    return [execute(app, Command("report_incident", COMMANDER, INCIDENT)).id for _ in range(n)]


def submit_from_threads(writer, commands_per_thread):
    """Every thread waits at the gate, then submits its commands as fast as it can."""
    gate = threading.Barrier(len(commands_per_thread))
    futures: list = [None] * len(commands_per_thread)

    def submit(i, commands):
        gate.wait()
        futures[i] = [writer.submit(c) for c in commands]

    threads = [threading.Thread(target=submit, args=(i, cs)) for i, cs in enumerate(commands_per_thread)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return [f for fs in futures for f in fs]


def test_five_hundred_reports_from_eight_threads_are_all_acknowledged_in_fewer_commits(app, writer, signal, events_in):
    # Five incidents are open; eight phones' worth of threads send 500 field reports between them.
    incidents = open_incidents(app, 5)
    plan = [[report(incidents[(t * 7 + i) % 5], confirmed=1 + (i % 3)) for i in range(t * 500 // 8, (t + 1) * 500 // 8)] for t in range(8)]
    futures = submit_from_threads(writer, plan)
    receipts = [f.result(timeout=60) for f in futures]
    # Every report is acknowledged, in fewer commits than commands.
    assert len(receipts) == writer.commands == 500
    assert 0 < writer.batches < writer.commands
    # Each incident's counts are the sum of what was sent to it, and its versions are 1..n without gaps.
    sent = Counter()
    for command in (c for cs in plan for c in cs):
        sent[command.target] += command.args["new"]["confirmed"]
    for incident in incidents:
        assert app.repository.get(incident).counts.confirmed == sent[str(incident)]
        versions = [e.originator_version for e in events_in(app, incident)]
        assert versions == list(range(1, len(versions) + 1))
    # Every receipt names its own event, and readers were told of the last commit.
    assert len({r.position for r in receipts}) == 500
    assert signal.head == app.recorder.max_notification_id() == 505


def test_a_refused_command_inside_a_batch_does_not_stop_the_others_and_records_nothing(app, events_in):
    # One incident is open, one is closed.
    open_, closed = open_incidents(app, 2)
    execute(app, Command("close_incident", COMMANDER, {"reason": "结束"}, target=str(closed)))
    before = app.recorder.max_notification_id()
    # A batch: a good report, a report on the closed incident, a good level change.
    outcomes = run_batch(app, [
        report(open_, 2),
        report(closed, 5),
        Command("set_level", COMMANDER, {"level": "III", "reason": "聚集性"}, target=str(open_)),
    ])
    # The refusal is answered as such; the others are committed together.
    assert isinstance(outcomes[1], IncidentClosedError)
    assert [(o.id, o.version) for o in (outcomes[0], outcomes[2])] == [(open_, 2), (open_, 3)]
    assert [outcomes[0].position, outcomes[2].position] == [before + 1, before + 2]
    assert app.recorder.max_notification_id() == before + 2
    assert len(events_in(app, closed)) == 2
    assert app.repository.get(closed).counts.confirmed == 0


def test_a_domain_refusal_in_a_batch_keeps_the_batch_in_one_pass(app, clock):
    # A batch of three where the middle one is refused by a domain rule.
    open_, closed = open_incidents(app, 2)
    execute(app, Command("close_incident", COMMANDER, {"reason": "结束"}, target=str(closed)))
    clock.readings = 0
    run_batch(app, [report(open_), report(closed), report(open_)])
    # Each command ran once: no one-by-one rerun.
    assert clock.readings == 3


@pytest.mark.parametrize(
    "bad",
    [
        Command("file_report", TEAM, {"new": {"confirmed": 1}, "colour": "red"}, target=str(uuid4())),
        Command("file_report", TEAM, {"new": {"confirmed": 1}, "occurred_at": "yesterday"}, target=str(uuid4())),
    ],
)
def test_a_malformed_command_in_a_batch_keeps_the_batch_in_one_pass(app, clock, bad):
    (incident,) = open_incidents(app, 1)
    clock.readings = 0
    outcomes = run_batch(app, [report(incident), bad, report(incident)])
    assert isinstance(outcomes[1], InvalidInput)
    assert clock.readings == 3


def test_a_command_with_a_list_for_a_kind_is_refused_alone(app):
    (incident,) = open_incidents(app, 1)
    outcomes = run_batch(app, [
        report(incident),
        Command("report_incident", COMMANDER, {**INCIDENT, "kind": ["cluster"]}),
        Command("file_report", TEAM, {"new": 5}, target=str(incident)),
        report(incident),
    ])
    assert [type(o).__name__ for o in outcomes] == ["Receipt", "InvalidInput", "InvalidInput", "Receipt"]


class BrokenOnceClock(SimulatedClock):
    """A clock whose n-th reading fails, to stand for any unexpected error inside one command."""

    def __init__(self, fail_at: int) -> None:
        super().__init__(datetime.now(timezone.utc))
        self.readings, self.fail_at = 0, fail_at

    def now(self) -> datetime:
        self.readings += 1
        if self.readings == self.fail_at:
            raise RuntimeError("clock glitch")
        return super().now()


def test_an_unexpected_error_in_one_command_is_its_answer_alone(tmp_path, events_in):
    app = Coordination(store_env(Settings(data_dir=tmp_path)), clock=BrokenOnceClock(fail_at=3))
    (incident,) = open_incidents(app, 1)
    outcomes = run_batch(app, [report(incident, 1), report(incident, 2), report(incident, 4)])
    assert isinstance(outcomes[1], RuntimeError)
    assert [(o.version, o.position) for o in (outcomes[0], outcomes[2])] == [(2, 2), (3, 3)]
    assert app.repository.get(incident).counts.confirmed == 5


def test_a_refused_command_through_the_writer_is_answered_with_its_error(app, writer):
    open_, closed = open_incidents(app, 2)
    execute(app, Command("close_incident", COMMANDER, {"reason": "结束"}, target=str(closed)))
    futures = [writer.submit(report(open_)), writer.submit(report(closed)), writer.submit(report(open_))]
    assert isinstance(futures[1].exception(timeout=10), IncidentClosedError)
    assert [f.result(timeout=10).version for f in (futures[0], futures[2])] == [2, 3]
    assert app.repository.get(open_).counts.confirmed == 2


def test_a_closure_and_a_late_report_in_one_batch_are_taken_in_order(app):
    (incident,) = open_incidents(app, 1)
    outcomes = run_batch(app, [
        report(incident, 1),
        Command("close_incident", COMMANDER, {"reason": "结束"}, target=str(incident)),
        report(incident, 1),
    ])
    assert [type(o).__name__ for o in outcomes] == ["Receipt", "Receipt", "IncidentClosedError"]
    assert app.repository.get(incident).counts.confirmed == 1


def test_the_same_key_sent_twenty_times_at_once_records_one_event(app, writer, events_in):
    # A phone on a bad network sends the same report 20 times at once.
    (incident,) = open_incidents(app, 1)
    before = app.recorder.max_notification_id()
    futures = submit_from_threads(writer, [[report(incident, 3, idempotency_key="retry-1")] for _ in range(20)])
    receipts = [f.result(timeout=30) for f in futures]
    # Every caller gets the same answer; exactly one report is stored (its key beside it, in the same commit).
    assert {(r.id, r.version, r.position) for r in receipts} == {(incident, 2, before + 1)}
    assert sum(r.replayed for r in receipts) == 19
    assert [type(e).__name__ for e in events_in(app, incident)] == ["IncidentReported", "FieldReportFiled"]
    assert app.recorder.max_notification_id() == before + 1
    assert app.repository.get(incident).counts.confirmed == 3


def test_the_same_key_twice_in_one_batch_with_another_body_is_refused(app, writer):
    (incident,) = open_incidents(app, 1)
    futures = submit_from_threads(writer, [[report(incident, 1, idempotency_key="k"), report(incident, 2, idempotency_key="k")]])
    assert isinstance(futures[0].result(timeout=10), Receipt)
    assert isinstance(futures[1].exception(timeout=10), IdempotencyKeyReused)
    assert app.repository.get(incident).counts.confirmed == 1


def test_followers_are_woken_by_a_commit_and_see_it(app, writer, signal):
    # A reader follows the log from the start.
    stop, seen = threading.Event(), []

    def read():
        for batch in follow(app, 0, signal, stop, poll=30.0):
            seen.extend(n.id for n in batch)
            if len(seen) >= 2:
                stop.set()

    reader = threading.Thread(target=read)
    reader.start()
    # Two commands go through the writer; the reader sees both long before its 30 s poll.
    writer.submit(Command("report_incident", COMMANDER, INCIDENT)).result(timeout=10)
    writer.submit(Command("report_incident", COMMANDER, INCIDENT)).result(timeout=10)
    reader.join(timeout=10)
    stop.set()
    assert seen == [1, 2]
    assert not reader.is_alive()


def test_a_stopped_writer_ends_its_thread(app, signal):
    writer = Writer(app, signal).start()
    assert writer.submit(Command("report_incident", COMMANDER, INCIDENT)).result(timeout=10).version == 1
    writer.stop()
    assert not writer._thread.is_alive()  # noqa: SLF001


def test_a_command_submitted_after_the_writer_stopped_is_refused_at_once(app, signal):
    writer = Writer(app, signal).start()
    writer.stop()
    late = writer.submit(Command("report_incident", COMMANDER, INCIDENT))
    assert isinstance(late.exception(timeout=1), DomainError)


def test_a_batch_until_refused_stops_at_the_refusal_and_records_nothing_after_it(app, tmp_path):
    open_one, closed = open_incidents(app, 2)
    execute(app, Command("close_incident", COMMANDER, {"reason": "done"}, target=str(closed)))
    head = app.recorder.max_notification_id()
    seen = []
    outcomes = run_batch(app, [report(open_one), report(closed), report(open_one)], before=lambda c: seen.append(c.target),
                         until_refused=True)
    assert isinstance(outcomes[0], Receipt) and isinstance(outcomes[1], DomainError) and len(outcomes) == 2
    assert seen == [str(open_one), str(closed)]  # the third was never started
    assert app.recorder.max_notification_id() == head + 1  # only the first report is recorded
