"""The read side as a whole: resume after a restart or a crash, as-of time T, rebuild, live deltas."""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import inspect
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from domain.application import Coordination
from domain.clock import SimulatedClock
from domain.application.eventstore import CommitSignal, store_env
from domain.application.settings import Settings
from domain.values import Counts
from domain.application.writer import run_batch
from projections.audit import verify
from projections.broker import Broker
from projections.events import decode
from projections.files import model_file
from projections.rebuild import rebuild
from projections.runner import MODELS, Projections

from story import START, Deltas
from story_commands import Plot, RandomChoice

HERE = Path(__file__).resolve().parent
CODE = Path(inspect.getfile(Projections)).resolve().parents[1]  # the code under test, for the child process too


class DrawnChoice:
    """Choices drawn by hypothesis, so a failing story shrinks."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def pick(self, seq):
        return self.data.draw(st.sampled_from(list(seq)))

    def number(self, lo, hi):
        return self.data.draw(st.integers(lo, hi))


def tell(app, plot, choose, commands, clock=None, commit=None, together=1):
    """Run `commands` random commands, up to `together` per commit; the simulated clock moves between commits."""
    while commands > 0:
        batch = [plot.next(choose) for _ in range(min(commands, choose.number(1, together)))]
        for command, outcome in zip(batch, run_batch(app, batch, commit)):
            plot.took(command, outcome)
        commands -= len(batch)
        if clock is not None:
            clock.advance(timedelta(minutes=choose.number(0, 180)))


def crash(p: Projections) -> None:
    """Leave without the final checkpoint, as a killed process would."""
    p._stop.set()  # noqa: SLF001
    p.audit.close()
    for store in p.stores.values():
        store.close()


def assert_same_read_side(a: Projections, b: Projections) -> None:
    for name in MODELS:
        assert a.models[name].position == b.models[name].position
        assert a.models[name].state == b.models[name].state, name
    assert a.audit.query(limit=10**9) == b.audit.query(limit=10**9)


def kept_checkpoints(p: Projections, name: str) -> list[int]:
    return p.stores[name].kept()


# -- resume ---------------------------------------------------------------------------------------


def test_a_restarted_read_side_resumes_from_its_checkpoint_and_replays_only_the_rest(story, open_projections, tmp_path):
    plot, choose = Plot(story.clock.now), RandomChoice(1)
    tell(story.app, plot, choose, 25, story.clock)
    first = open_projections()
    first.catch_up()
    first.stop()
    head = first.position
    # Ten more commands while the read side is down.
    tell(story.app, plot, choose, 10, story.clock)
    second = open_projections()
    assert second.position == head
    assert second.catch_up() == story.app.recorder.max_notification_id() - head
    fresh = open_projections(tmp_path / "fresh")
    fresh.catch_up()
    assert_same_read_side(second, fresh)


def test_checkpoints_are_written_every_n_events_while_catching_up(story, open_projections):
    # 35 commands, caught up in one go; checkpoint_every is 10.
    tell(story.app, Plot(story.clock.now), RandomChoice(2), 35, story.clock)
    p = open_projections()
    p.catch_up()
    head = p.position
    for name in MODELS:
        kept = kept_checkpoints(p, name)
        assert len(kept) >= head // 10 - 1, (name, kept)
    # A crash now (no final checkpoint) loses at most the events since the last one.
    crash(p)
    again = open_projections()
    assert min(m.position for m in again.models.values()) > head - 10
    assert again.catch_up() < 10


def test_a_crash_after_the_audit_commit_neither_loses_nor_doubles_anything(story, open_projections, tmp_path):
    plot, choose = Plot(story.clock.now), RandomChoice(3)
    tell(story.app, plot, choose, 12, story.clock)
    p = open_projections()
    p.catch_up()
    p.checkpoint()
    tell(story.app, plot, choose, 6, story.clock)
    p.run_once()
    crash(p)  # the audit has the last events; the models' checkpoints do not
    again = open_projections()
    assert again.audit.position > min(m.position for m in again.models.values())
    again.catch_up()
    fresh = open_projections(tmp_path / "fresh")
    fresh.catch_up()
    assert_same_read_side(again, fresh)
    positions = [e["position"] for e in again.audit.query(limit=10**9)]
    assert positions == sorted(set(positions)) == list(range(1, story.app.recorder.max_notification_id() + 1))


def test_events_run_again_after_a_crash_still_bring_their_audit_entries_to_the_live_feed(story, open_projections):
    """A worker that stored the audit entries of a step and then failed before publishing it (killed, or its
    database restarted half-way) runs the step again: the viewers connected meanwhile must still get those entries.
    A PostgreSQL restart under load once left a connected viewer two entries short."""
    plot, choose = Plot(story.clock.now), RandomChoice(5)
    tell(story.app, plot, choose, 8, story.clock)
    p = open_projections()
    p.catch_up()
    p.checkpoint()
    tell(story.app, plot, choose, 6, story.clock)
    p.run_once()  # the audit trail has them; no checkpoint and nothing published
    crash(p)
    broker = Broker()
    deltas = Deltas(broker)
    again = open_projections(broker=broker)
    before = again.position
    assert again.audit.position > before, "the step runs again over entries stored before"
    while again.run_once():
        pass
    head = story.app.recorder.max_notification_id()
    audited = [c["entry"]["position"] for m in deltas.take() if m["cause"] == "event" for c in m["changes"] if c["layer"] == "audit"]
    assert audited == list(range(before + 1, head + 1))


# -- live == rebuilt ------------------------------------------------------------------------------


@hypothesis_settings(max_examples=20, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_live_read_models_equal_read_models_rebuilt_from_position_zero(tmp_path_factory, geography, data):
    root = tmp_path_factory.mktemp("live")
    settings = Settings(data_dir=root / "store", checkpoint_every=data.draw(st.sampled_from([5, 20, 2000]), "every"))
    clock = SimulatedClock(START)
    app = Coordination(store_env(settings), clock=clock)
    directory = root / "store" / "projections"
    live = Projections(app, settings, geography, directory, clock=clock)
    plot, choose = Plot(clock.now), DrawnChoice(data)
    # Sixty commands, a few per commit; between commits the read side may catch up, tick, checkpoint, restart or crash.
    for _ in range(20):
        tell(app, plot, choose, 3, clock, together=3)
        action = choose.pick(["none"] * 5 + ["catch_up"] * 3 + ["tick", "checkpoint", "restart", "crash"])
        if action == "catch_up":
            live.run_once(limit=choose.number(1, 20))
        elif action == "tick":
            live.tick()
        elif action == "checkpoint":
            live.checkpoint()
        elif action in ("restart", "crash"):
            live.stop() if action == "restart" else crash(live)
            live = Projections(app, settings, geography, directory, clock=clock)
    live.catch_up()
    fresh = Projections(app, settings, geography, root / "fresh", clock=clock)
    fresh.catch_up()
    try:
        assert_same_read_side(live, fresh)
    finally:
        live.stop()
        fresh.stop()
    assert rebuild(settings) == {"situation_map": True, "ledger": True, "audit": True}
    app.close()


def test_a_rebuild_switches_to_the_rebuilt_files_which_hold_the_same_state(story, open_projections, tmp_path):
    tell(story.app, Plot(story.clock.now), RandomChoice(4), 30, story.clock)
    live = open_projections()
    live.catch_up()
    live.stop()
    assert rebuild(story.settings) == {"situation_map": True, "ledger": True, "audit": True}
    directory = Path(story.settings.data_dir) / "projections"
    if story.settings.database_url:  # the read models the workers and API processes read, never SQLite files beside them
        assert not list(directory.glob("*.v*.sqlite"))
    else:
        assert [model_file(directory, name).name for name in (*MODELS, "audit")] == [
            "situation_map.v1.sqlite", "ledger.v1.sqlite", "audit.v1.sqlite"]
    reopened = open_projections()
    assert reopened.position == live.position
    assert reopened.catch_up() == 0
    fresh = open_projections(tmp_path / "fresh")
    fresh.catch_up()
    assert_same_read_side(reopened, fresh)
    with pytest.raises(ValueError, match="unknown read model"):
        rebuild(story.settings, "tasks")


# -- crash: a separate process killed at random moments -------------------------------------------


def recount(app: Coordination) -> dict:
    """The map's counts, recomputed from the stored events alone."""
    incidents, zones, dispatches = {}, {}, {}
    for fact in decode(app, list(app.recorder.select_notifications(1, 10**7))):
        e = fact.event
        if fact.type == "IncidentReported":
            incidents[fact.thing] = [True, Counts(**e.counts)]
        elif fact.type == "FieldReportFiled":
            incidents[fact.thing][1] = incidents[fact.thing][1] + Counts(**e.new)
        elif fact.type == "IncidentClosed":
            incidents[fact.thing][0] = False
        elif fact.type in ("ZoneDeclared", "ZoneDowngraded"):
            zones[fact.thing] = e.kind
        elif fact.type == "ZoneLifted":
            del zones[fact.thing]
        elif fact.type.startswith("Dispatch"):
            dispatches[fact.thing] = {"Requested": "requested", "Committed": "committed", "Departed": "en_route",
                                      "Arrived": "on_scene", "Released": "released", "Cancelled": "cancelled"}[fact.type[8:]]
    cases = Counts()
    for open_, counts in incidents.values():
        cases = cases + counts if open_ else cases
    return {"open_incidents": sum(o for o, _ in incidents.values()), "zones": dict(Counter(zones.values())),
            "dispatches": dict(Counter(dispatches.values())), "cases": cases.as_dict()}


def test_killing_the_process_at_random_moments_loses_and_doubles_nothing(tmp_path, geography):
    data_dir = tmp_path / "store"
    rng = random.Random(5)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(CODE), str(HERE)])}
    reached = []
    for cycle in range(3):
        process = subprocess.Popen([sys.executable, str(HERE / "crashing_writer.py"), str(data_dir), str(cycle)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=CODE)
        first = process.stdout.readline()  # started and caught up: now kill it at a random moment
        assert first, process.stderr.read()
        time.sleep(rng.uniform(0.05, 0.6))
        process.send_signal(signal.SIGKILL)
        output = first + process.stdout.read()
        process.wait()
        reached.append(int(output.split()[-1]))
    assert reached == sorted(reached) and reached[-1] > reached[0]
    # Restarted: every event is projected exactly once.
    settings = Settings(data_dir=data_dir, checkpoint_every=7)
    app = Coordination(store_env(settings))
    p = Projections(app, settings, geography, data_dir / "projections")
    p.catch_up()
    head = app.recorder.max_notification_id()
    assert p.position == head
    assert p.map.counts() == recount(app)
    db = sqlite3.connect(p.audit.path)
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT position), MIN(position), MAX(position) FROM entries").fetchone() == (head, head, 1, head)
    db.close()
    assert verify(app, p.audit).ok
    fresh = Projections(app, settings, geography, tmp_path / "fresh")
    fresh.catch_up()
    assert_same_read_side(p, fresh)
    p.stop()
    fresh.stop()
    app.close()


# -- as of time T ---------------------------------------------------------------------------------


@pytest.mark.parametrize("checkpoints", ["with checkpoints", "without checkpoints"])
def test_the_map_and_ledger_as_of_T_are_what_was_seen_live_at_T(story, open_projections, tmp_path, checkpoints):
    live = open_projections()
    plot, choose = Plot(story.clock.now), RandomChoice(6)
    seen = []
    # Eighty commands over simulated days; every tenth step, look at the live map and ledger.
    for step in range(80):
        tell(story.app, plot, choose, 1)
        if step % 10 == 9:
            live.catch_up()
            live.tick()
            seen.append((story.now, live.position, live.map.feature_collection(), live.map.counts(), live.ledger.rows()))
        story.later(minutes=choose.number(0, 240))
    source = live if checkpoints == "with checkpoints" else open_projections(tmp_path / "empty")
    if source is live:
        assert len(kept_checkpoints(live, "situation_map")) >= 5
    for at, position, collection, counts, rows in seen:
        got_position, situation, ledger = source.as_of(at)
        assert got_position == position
        assert situation.feature_collection() == collection
        assert situation.counts() == counts
        assert ledger.rows() == rows
    # Before the first event, the map is empty.
    position, situation, _ = source.as_of(START - timedelta(seconds=1))
    assert (position, situation.counts()["open_incidents"]) == (0, 0)


# -- live deltas ----------------------------------------------------------------------------------


def test_a_subscriber_receives_one_delta_per_event_in_order_with_its_position(story, open_projections):
    broker, commit = Broker(), CommitSignal()
    deltas = Deltas(broker)
    p = open_projections(broker=broker, signal=commit).start()
    tell(story.app, Plot(story.clock.now), RandomChoice(7), 40, commit=commit)
    head = story.app.recorder.max_notification_id()
    assert p.wait_for(head, timeout=10)
    deadline = time.monotonic() + 5
    while sum(m["cause"] == "event" for m in deltas.messages) < head and time.monotonic() < deadline:
        time.sleep(0.01)
    events = [m for m in deltas.messages if m["cause"] == "event"]
    assert [m["position"] for m in events] == list(range(1, head + 1))
    facts = story.facts()
    for message, fact in zip(events, facts, strict=True):
        assert message["type"] == "delta" and message["at"] == fact.at.isoformat()
        (entry,) = [c["entry"] for c in message["changes"] if c["layer"] == "audit"]
        assert (entry["position"], entry["type"]) == (fact.position, fact.type)
    # Waiting for a position nobody has written yet times out.
    assert not p.wait_for(head + 1, timeout=0.1)
