"""Read your writes for every read model: in scale-out mode the audit trail is the worker's, written at its pace.

The worker is held back by a transaction that holds the audit trail's head row: its next append waits for it,
so the API's own read models move on while the trail (and every delta the worker publishes) stays behind."""
from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from websockets.sync.client import connect

from conftest import LiveServer, World, assert_problem
from domain.application.settings import Settings


@contextlib.contextmanager
def worker_held_back(settings: Settings) -> Iterator[None]:
    if not settings.database_url:
        pytest.skip("only in scale-out mode is the audit trail written by another process")
    with psycopg.connect(settings.database_url) as db, db.transaction():
        db.execute("SELECT 1 FROM lf_read_tracking WHERE application_name = 'audit' FOR UPDATE")
        yield


def test_an_incidents_history_waits_for_the_audit_trail_to_have_the_report(world: World, settings: Settings) -> None:
    incident = world.incident()
    assert world.commander.get(f"/incidents/{incident}", min_position=world.head()).status_code == 200
    with worker_held_back(settings):
        report = world.commander.ok(f"/incidents/{incident}/reports", {"new": {"confirmed": 4}})
        held = world.commander.get(f"/incidents/{incident}", min_position=report["position"])
        assert_problem(held, 503, "audit trail", str(report["position"]))
        assert held.headers["retry-after"] == "1"
    after = world.commander.get(f"/incidents/{incident}", min_position=report["position"])
    assert after.status_code == 200, after.text
    assert after.json()["incident"]["counts"]["confirmed"] == 7
    assert [h["type"] for h in after.json()["history"]] == ["IncidentReported", "FieldReportFiled"]


def test_a_snapshot_taken_while_the_worker_is_behind_has_the_activity_of_its_own_position(
    app: FastAPI, live_server: LiveServer, live_world: World, settings: Settings,
) -> None:
    incident = live_world.incident()
    assert live_world.commander.get(f"/incidents/{incident}", min_position=live_world.head()).status_code == 200
    hub = app.state.hub
    snapshot: dict[str, Any] = {}

    def open_feed() -> None:
        with connect(f"{live_server.ws_url}?access_token={live_world.observer.token}", max_size=None, open_timeout=10) as ws:
            snapshot.update(json.loads(ws.recv()))

    with worker_held_back(settings):
        report = live_world.commander.ok(f"/incidents/{incident}/reports", {"new": {"confirmed": 2}})
        board = live_world.commander.get("/incidents", min_position=report["position"])  # the API's own map has it
        assert board.status_code == 200
        feed = threading.Thread(target=open_feed, daemon=True)
        feed.start()
        deadline = time.monotonic() + 10
        while not hub._building and not snapshot:  # the snapshot is being built while the trail is behind
            assert time.monotonic() < deadline, "no snapshot build started"
            time.sleep(0.005)
    feed.join(timeout=15)
    assert snapshot["type"] == "snapshot" and snapshot["position"] >= report["position"]
    newest = snapshot["activity"][0]
    assert newest["position"] == snapshot["position"], "the activity is the trail as it stood at the snapshot's position"
    assert newest["type"] == "FieldReportFiled"



@pytest.mark.settings(read_wait_seconds=0.3)
def test_a_viewer_whose_snapshot_went_out_ahead_of_the_audit_trail_still_gets_every_entry(
    live_server: LiveServer, live_world: World, settings: Settings,
) -> None:
    """The snapshot cannot wait for the trail for ever: it goes out with the activity the trail had. The entries
    the worker writes later, at positions the snapshot already covers, must still reach the viewer."""
    incident = live_world.incident()
    assert live_world.commander.get(f"/incidents/{incident}", min_position=live_world.head()).status_code == 200
    with contextlib.ExitStack() as stack:
        with worker_held_back(settings):
            report = live_world.commander.ok(f"/incidents/{incident}/reports", {"new": {"confirmed": 2}})
            assert live_world.commander.get("/incidents", min_position=report["position"]).status_code == 200
            viewer = stack.enter_context(connect(f"{live_server.ws_url}?access_token={live_world.observer.token}",
                                                 max_size=None, open_timeout=10))
            snapshot = json.loads(viewer.recv(timeout=20))
            assert snapshot["type"] == "snapshot" and snapshot["position"] >= report["position"]
            assert report["position"] not in [e["position"] for e in snapshot["activity"]], "the trail was behind"
            later = live_world.commander.ok(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}})
        # The worker goes on. The second report's entry marks the end of what must have arrived by then.
        seen: list[int] = []
        while later["position"] not in seen:
            message = json.loads(viewer.recv(timeout=20))
            seen += [c["entry"]["position"] for c in message.get("changes", []) if c.get("layer") == "audit"]
    assert report["position"] in seen, f"the entry at {report['position']} never reached the viewer: {seen}"
    assert seen == sorted(seen), "entries arrive in the order of the log"
