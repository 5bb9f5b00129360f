"""The Coordination application on a real SQLite file: narratives, one comment per step."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.access import token_hash
from domain.application import Coordination
from domain.base import Meta
from domain.clock import SeededIds, SimulatedClock
from domain.errors import IdempotencyKeyReused, InvalidInput, NotFound, NotPermitted, StaleVersion
from domain.application.eventstore import store_env
from domain.incident import IncidentClosedError
from domain.application.settings import Settings

PROJECT = Path(__file__).resolve().parents[2]
SQUARE = {"type": "Polygon", "coordinates": [[[104.0, 30.6], [104.1, 30.6], [104.1, 30.7], [104.0, 30.6]]]}
INCIDENT = {"kind": "cluster", "title": "幼儿园", "location": [104.06, 30.67], "counts": {"confirmed": 3}}

READ_IN_NEW_PROCESS = """
import json, sys
from uuid import UUID
from domain.application import Coordination
from domain.application.eventstore import store_env
from domain.application.settings import Settings
app = Coordination(store_env(Settings(data_dir=sys.argv[1])))
notifications = app.recorder.select_notifications(1, 1_000_000)
incident = app.repository.get(UUID(sys.argv[2]))
print(json.dumps({
    "max": app.recorder.max_notification_id(),
    "events": [[n.id, str(n.originator_id), n.originator_version] for n in notifications],
    "counts": incident.counts.as_dict(),
}))
"""

WRITE_THEN_DIE = """
import json, os, sys
from domain.application import Coordination
from domain.base import Meta
from domain.commands import Command
from domain.application.eventstore import store_env
from domain.application.settings import Settings
from domain.application.writer import execute
app = Coordination(store_env(Settings(data_dir=sys.argv[1])))
m = Meta(actor="cmd", role="commander")
r = execute(app, Command("report_incident", m, {"kind": "cluster", "title": "t", "location": [104, 30]}))
receipts = [r] + [execute(app, Command("file_report", m, {"new": {"confirmed": 1}}, target=str(r.id))) for _ in range(5)]
print(json.dumps([[x.position, str(x.id), x.version] for x in receipts]), flush=True)
os._exit(0)  # no close, no checkpoint: as if the power went after the answers were sent
"""


def in_new_process(script: str, *args: str) -> dict | list:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=PROJECT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_acknowledged_event_is_found_by_a_new_process(app, run, tmp_path):
    # A commander reports an incident and field teams file reports.
    reported = run("report_incident", **INCIDENT)
    receipts = [reported] + [run("file_report", reported.id, new={"confirmed": 2}) for _ in range(4)]
    # The commander raises the level and declares a zone.
    receipts.append(run("set_level", reported.id, level="III", reason="聚集性"))
    receipts.append(run("declare_zone", incident=str(reported.id), kind="sealed", area=SQUARE))
    # Another process opens the same data directory.
    seen = in_new_process(READ_IN_NEW_PROCESS, str(tmp_path), str(reported.id))
    # It finds every acknowledged event at the position it was acknowledged with, and the counts add up.
    found = {(position, oid, version) for position, oid, version in seen["events"]}
    assert {(r.position, str(r.id), r.version) for r in receipts} <= found
    assert seen["max"] == app.recorder.max_notification_id() == len(receipts)
    assert seen["counts"] == {"confirmed": 11, "suspected": 0, "asymptomatic": 0, "close_contacts": 0}


def test_what_a_killed_process_acknowledged_is_there_after_it_died(tmp_path, open_app):
    # A process acknowledges six commands and dies without closing its store.
    acknowledged = in_new_process(WRITE_THEN_DIE, str(tmp_path))
    # The store, opened afresh, holds each acknowledged event where its receipt said.
    app = open_app()
    stored = {(n.id, str(n.originator_id), n.originator_version) for n in app.recorder.select_notifications(1, 100)}
    assert {tuple(a) for a in acknowledged} == stored
    assert app.repository.get(UUID(acknowledged[0][1])).counts.confirmed == 5


def test_a_retried_command_after_a_restart_is_answered_from_the_first_time(app, run, open_app, make_runner):
    # A field team files a report with an idempotency key.
    incident = run("report_incident", **INCIDENT).id
    field = Meta(actor="team-7", role="field", unit="unit-township")
    first = run("file_report", incident, meta=field, key="k1", new={"confirmed": 1})
    # The server restarts: a new Coordination on the same directory.
    again = open_app()
    before = again.recorder.max_notification_id()
    # The phone retries the same request with the same key.
    replay = make_runner(again)("file_report", incident, meta=field, key="k1", new={"confirmed": 1})
    # It gets the first answer, marked replayed, and nothing new is recorded.
    assert (replay.id, replay.version, replay.position, replay.replayed) == (first.id, first.version, first.position, True)
    assert again.recorder.max_notification_id() == before
    assert again.repository.get(incident).counts.confirmed == 4
    # The same key with a different body is refused, and records nothing either.
    with pytest.raises(IdempotencyKeyReused, match="'k1' was first used for a different request"):
        make_runner(again)("file_report", incident, meta=field, key="k1", new={"confirmed": 2})
    assert again.recorder.max_notification_id() == before


def test_the_same_key_from_another_actor_is_another_request(run, app):
    # Two teams happen to pick the same key.
    incident = run("report_incident", **INCIDENT).id
    one = run("file_report", incident, meta=Meta(actor="team-1", role="field", unit="u"), key="k", new={"confirmed": 1})
    two = run("file_report", incident, meta=Meta(actor="team-2", role="field", unit="u"), key="k", new={"confirmed": 1})
    # Both are recorded.
    assert (one.version, two.version, two.replayed) == (2, 3, False)


def test_a_stale_expected_version_records_nothing(app, run, events_in):
    # The commander reads the incident at version 1; meanwhile a team files a report (version 2).
    incident = run("report_incident", **INCIDENT).id
    run("file_report", incident, new={"confirmed": 1})
    before = app.recorder.max_notification_id()
    # Setting the level on the strength of version 1 is refused.
    with pytest.raises(StaleVersion, match="at version 2, not 1"):
        run("set_level", incident, version=1, level="II", reason="x")
    # Nothing was recorded; with the current version it goes through.
    assert app.recorder.max_notification_id() == before
    assert run("set_level", incident, version=2, level="II", reason="x").version == 3
    assert [type(e).__name__ for e in events_in(app, incident)] == ["IncidentReported", "FieldReportFiled", "LevelSet"]


@pytest.mark.parametrize("spell", [str.upper, lambda s: UUID(s).hex, lambda s: f"urn:uuid:{s}"], ids=["upper", "hex", "urn"])
def test_a_stale_version_is_caught_however_the_id_is_spelt(app, run, spell):
    incident = run("report_incident", **INCIDENT).id
    run("file_report", incident, new={"confirmed": 1})
    before = app.recorder.max_notification_id()
    with pytest.raises(StaleVersion):
        run("set_level", spell(str(incident)), version=1, level="II", reason="x")
    assert app.recorder.max_notification_id() == before


def test_a_refused_command_records_nothing(app, run):
    # An incident is closed; a late field report arrives.
    incident = run("report_incident", **INCIDENT).id
    run("close_incident", incident, reason="结束")
    before = app.recorder.max_notification_id()
    with pytest.raises(IncidentClosedError):
        run("file_report", incident, new={"confirmed": 1})
    # An observer tries to report a new incident.
    with pytest.raises(NotPermitted):
        run("report_incident", meta=Meta(actor="screen", role="observer"), **INCIDENT)
    assert app.recorder.max_notification_id() == before


@pytest.mark.parametrize(
    "name, target, args, field",
    [
        ("file_report", "random", {"new": {"confirmed": 1}}, "incident"),
        ("file_report", "not-an-id", {"new": {"confirmed": 1}}, "incident"),
        ("downgrade_zone", "random", {}, "zone"),
        ("claim_task", "random", {}, "task"),
        ("depart", "random", {}, "dispatch"),
        ("cancel_alert", "random", {}, "alert"),
        ("revoke_token", "random", {}, "token"),
        ("declare_zone", None, {"incident": "random", "kind": "sealed", "area": SQUARE}, "incident"),
        ("request_dispatch", None, {"incident": "random", "kind": "ambulance"}, "incident"),
        ("register_resource", None, {"kind": "ambulance", "name": "a", "unit": "random", "position": [104, 30]}, "unit"),
        ("assign_task", None, {"title": "t", "lead": "random", "due": "2030-01-01T00:00:00+08:00"}, "lead"),
        ("issue_token", None, {"secret_hash": "h", "role": "unit", "unit": "random"}, "unit"),
    ],
)
def test_an_unknown_id_is_not_found_and_names_its_field(app, run, name, target, args, field):
    target = str(uuid4()) if target == "random" else target
    args = {k: (str(uuid4()) if v == "random" else v) for k, v in args.items()}
    by = Meta(actor="u", role="unit", unit="unit-health") if name == "claim_task" else None  # a unit claims a task
    with pytest.raises(NotFound) as info:
        run(name, target, meta=by, **args)
    assert info.value.field == field
    assert app.recorder.max_notification_id() is None  # the store is still empty


def test_an_id_of_the_wrong_kind_of_thing_is_not_found(run):
    # A zone's id is given where an incident's is expected.
    incident = run("report_incident", **INCIDENT).id
    zone = run("declare_zone", incident=str(incident), kind="sealed", area=SQUARE).id
    with pytest.raises(NotFound, match="is a zone, not a incident") as info:
        run("file_report", zone, new={"confirmed": 1})
    assert info.value.field == "incident"


def test_unknown_or_missing_fields_and_commands_are_invalid_input(run):
    with pytest.raises(InvalidInput, match="report_incident has no field colour, severity; its fields are: kind, title"):
        run("report_incident", colour="red", severity=1, **INCIDENT)
    with pytest.raises(InvalidInput, match="report_incident needs the field title"):
        run("report_incident", kind="cluster", location=[104, 30])
    with pytest.raises(InvalidInput, match="unknown command 'delete_incident'"):
        run("delete_incident", str(uuid4()))
    with pytest.raises(InvalidInput, match="file_report needs the id of the thing it acts on"):
        run("file_report", new={"confirmed": 1})
    with pytest.raises(InvalidInput, match="unknown command 'load'"):
        run("load", str(uuid4()))


def drill(data_dir: Path, start: datetime) -> tuple[list[UUID], list[tuple[str, datetime]]]:
    clock = SimulatedClock(start)
    app = Coordination(store_env(Settings(data_dir=data_dir)), clock=clock, ids=SeededIds("drill-42"))
    from domain.commands import Command
    from domain.application.writer import execute

    meta = Meta(actor="director", role="commander", source="drill", drill_run="run-1")
    ids = [execute(app, Command("report_incident", meta, INCIDENT)).id]
    clock.advance(timedelta(minutes=7))
    execute(app, Command("file_report", meta, {"new": {"confirmed": 2}}, target=str(ids[0])))
    clock.advance(timedelta(hours=1))
    ids.append(execute(app, Command("declare_zone", meta, {"incident": str(ids[0]), "kind": "sealed", "area": SQUARE})).id)
    ids.append(execute(app, Command("register_unit", meta, {"name": "县卫健局", "kind": "department"})).id)
    ids.append(execute(app, Command("assign_task", meta, {"title": "转运", "lead": str(ids[-1]), "due": "2026-03-02T08:00:00+08:00"})).id)
    stamped = [(type(e).__name__, e.timestamp) for e in (app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 100))]
    return ids, stamped


def test_a_drill_rerun_gives_the_same_ids_and_the_simulated_times(tmp_path):
    start = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    # The same scenario runs twice, into two stores.
    first_ids, first_times = drill(tmp_path / "one", start)
    second_ids, second_times = drill(tmp_path / "two", start)
    # Both runs give the same things the same ids, at the same simulated moments.
    assert first_ids == second_ids
    assert first_times == second_times
    assert [t for _, t in first_times] == [
        start, start + timedelta(minutes=7), start + timedelta(minutes=67), start + timedelta(minutes=67), start + timedelta(minutes=67),
    ]


def test_every_event_carries_who_in_which_role_from_where_and_when_in_the_field(app, run, events_in, open_app):
    # A field team reports what it saw at 07:30, sent at once over a bad network.
    field = Meta(actor="team-7", role="field", unit="unit-township", source="api", correlation_id="c-1", actor_name="网格员")
    incident = run("report_incident", **INCIDENT).id
    run("file_report", incident, meta=field, new={"confirmed": 1}, occurred_at="2026-01-05T07:30:00+08:00")
    # Read back after a restart.
    events = events_in(open_app(), incident)
    assert events[0].meta == {"actor": "cmd", "role": "commander", "source": "api"}
    assert events[1].meta == {
        "actor": "team-7", "role": "field", "unit": "unit-township", "source": "api", "correlation_id": "c-1",
        "actor_name": "网格员", "occurred_at": "2026-01-05T07:30:00+08:00",
    }
    assert all(e.timestamp.tzinfo is not None for e in events)


def test_a_field_time_in_the_future_is_refused(run, app):
    incident = run("report_incident", **INCIDENT).id
    with pytest.raises(InvalidInput, match="occurred_at .* is in the future"):
        run("file_report", incident, new={"confirmed": 1}, occurred_at=(datetime.now(timezone.utc) + timedelta(hours=1)).isoformat())
    assert app.recorder.max_notification_id() == 1


def test_a_receipt_names_the_position_of_its_event_in_the_log(app, run):
    receipts = [run("report_incident", **INCIDENT) for _ in range(3)]
    by_position = {n.id: (n.originator_id, n.originator_version) for n in app.recorder.select_notifications(1, 10)}
    assert [by_position[r.position] for r in receipts] == [(r.id, 1) for r in receipts]


def test_the_store_fsyncs_every_commit_in_wal_mode_on_every_thread(app, run):
    # A command is committed, so the pool has made its connections.
    run("report_incident", **INCIDENT)
    answers = []

    def ask():
        with app.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute("PRAGMA synchronous")
            synchronous = cursor.fetchone()[0]
            cursor.execute("PRAGMA journal_mode")
            answers.append((synchronous, cursor.fetchone()[0]))

    ask()
    threads = [threading.Thread(target=ask) for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    # synchronous=2 is FULL: the commit is on disk before it returns.
    assert answers == [(2, "wal")] * 4


def test_a_dispatch_commits_a_unit_resource_and_release_frees_it_across_restarts(app, run, open_app, make_runner):
    # The health bureau registers an ambulance.
    unit = run("register_unit", name="县卫健局", kind="department").id
    bureau = Meta(actor="desk-1", role="unit", unit=str(unit))
    ambulance = run("register_resource", meta=bureau, kind="ambulance", name="120-01", unit=str(unit), position=[104, 30]).id
    # The command center requests an ambulance; the bureau commits its own.
    incident = run("report_incident", **INCIDENT).id
    first = run("request_dispatch", incident=str(incident), kind="ambulance").id
    committed = run("commit_dispatch", first, meta=bureau, resource=str(ambulance))
    assert (committed.id, committed.version) == (first, 2)
    # After a restart, the ambulance is still taken, then released and committed elsewhere.
    again = make_runner(open_app())
    second = again("request_dispatch", incident=str(incident), kind="ambulance").id
    with pytest.raises(Exception, match="already committed"):
        again("commit_dispatch", second, resource=str(ambulance))
    for step in ("depart", "arrive", "release"):
        again(step, first, meta=Meta(actor="crew", role="field", unit=str(unit)))
    assert again("commit_dispatch", second, meta=bureau, resource=str(ambulance)).version == 2


def test_a_field_team_cannot_issue_itself_a_commander_token(app, run):
    unit = run("register_unit", name="城关镇", kind="township").id
    before = app.recorder.max_notification_id()
    field = Meta(actor="team-7", role="field", unit=str(unit))
    with pytest.raises(NotPermitted, match="issuing a token"):
        run("issue_token", meta=field, secret_hash=token_hash("mine"), role="commander")
    assert app.recorder.max_notification_id() == before
    assert app.find_token(token_hash("mine")) is None


def test_a_token_is_issued_found_by_hash_and_revoked(app, run):
    unit = run("register_unit", name="城关镇", kind="township").id
    digest = token_hash("phone-secret")
    issued = run("issue_token", secret_hash=digest, role="field", unit=str(unit), name="网格员甲")
    token = app.find_token(digest)
    assert (token.id, token.role, token.unit, token.revoked) == (issued.id, "field", str(unit), False)
    run("revoke_token", issued.id)
    assert app.find_token(digest).revoked is True
    assert app.find_token(token_hash("unknown")) is None
