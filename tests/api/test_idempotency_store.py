"""Where Idempotency-Keys are kept (issue 21): beside the events, in the same commit, with no aggregate or event
of their own; the key records of stores written before that still give their first answer."""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from domain.application.coordination import Coordination
from domain.application.eventstore import EVENTS_FILE, store_env
from domain.application.settings import Settings
from domain.application.writer import execute
from domain.base import Meta
from domain.commands import Command
from domain.errors import IdempotencyKeyReused
from domain.idempotency import IdempotencyRecord

COMMANDER = Meta(actor="cmd", role="commander")
INCIDENT = {"kind": "cluster", "title": "幼儿园", "location": [104.06, 30.67]}


def open_app(directory):
    return Coordination(store_env(Settings(data_dir=directory), directory))


def test_a_key_costs_no_event_and_is_committed_with_the_command(tmp_path) -> None:
    app = open_app(tmp_path)
    first = execute(app, Command("report_incident", COMMANDER, INCIDENT, idempotency_key="k-1"))
    assert app.recorder.max_notification_id() == first.position  # the incident's event, and nothing after it
    app.close()
    with sqlite3.connect(tmp_path / EVENTS_FILE) as db:
        assert db.execute("SELECT thing, thing_version, command FROM idempotency_keys").fetchall() == [
            (str(first.id), 1, "report_incident")]
    again = open_app(tmp_path)  # after a restart, the same key and body: the first answer, nothing recorded
    replayed = execute(again, Command("report_incident", COMMANDER, INCIDENT, idempotency_key="k-1"))
    assert (replayed.id, replayed.version, replayed.position, replayed.replayed) == (first.id, 1, first.position, True)
    with pytest.raises(IdempotencyKeyReused):
        execute(again, Command("report_incident", COMMANDER, {**INCIDENT, "title": "另一起"}, idempotency_key="k-1"))
    assert again.recorder.max_notification_id() == first.position


def test_a_key_recorded_by_an_older_store_as_an_aggregate_still_gives_its_first_answer(tmp_path) -> None:
    app = open_app(tmp_path)
    first = execute(app, Command("report_incident", COMMANDER, INCIDENT))
    # What the writer saved before keys had a table of their own: an IdempotencyRecord beside the incident.
    command = Command("report_incident", COMMANDER, INCIDENT, idempotency_key="old-key")
    meta = replace(COMMANDER, at=datetime.now(timezone.utc))
    app.save(IdempotencyRecord.record(meta, key="old-key", request_hash=command.request_hash(), command=command.name,
                                      thing=str(first.id), version=first.version))
    head = app.recorder.max_notification_id()
    app.close()
    again = open_app(tmp_path)
    replayed = execute(again, command)
    assert (replayed.id, replayed.version, replayed.position, replayed.replayed) == (first.id, 1, first.position, True)
    with pytest.raises(IdempotencyKeyReused):
        execute(again, Command("report_incident", COMMANDER, {**INCIDENT, "title": "另一起"}, idempotency_key="old-key"))
    assert again.recorder.max_notification_id() == head
