"""A worker never dies on a stored event: an event already in the store that a read model cannot take stops that
model at its position (logged, shown in /healthz), the others keep running, and an operator's
`lianfang projections skip POSITION --reason …` (itself an event, source cli) lets it resume; the audit chain
still verifies. Both modes: the poisoned events are written straight into the real store, past the door's checks."""
from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from api.tokens import open_store
from domain.incident import Incident
from reliability.hostile.conftest import IN_DONGSHAN, Hostile

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
LIANFANG = str(Path(sys.executable).parent / "lianfang")


def poison(h: Hostile, *, title: str = "坏数据", location: Any = IN_DONGSHAN) -> int:
    """An IncidentReported appended through the event store itself, as old code or a bug could have left it."""
    with open_store(h.settings) as app:
        incident = Incident._create(  # noqa: SLF001  (past Incident.report's checks on purpose)
            Incident.IncidentReported, id=uuid4(), timestamp=datetime.now(timezone.utc),
            meta={"actor": "old-version", "role": "commander", "source": "api"},
            kind="cluster", title=title, location=location, jurisdiction=None, counts={},
        )
        return app.save(incident)[-1].notification.id


def lianfang(h: Hostile, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"LIANFANG_DATA_DIR": str(h.settings.data_dir), "PATH": "/usr/bin:/bin", "HOME": str(h.settings.data_dir)}
    if h.settings.database_url:
        env["LIANFANG_DATABASE_URL"] = h.settings.database_url
    return subprocess.run([LIANFANG, *args], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)


def until(what: str, check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s: {what}")


def health(h: Hostile) -> dict[str, Any]:
    response = h.client.get("/healthz")
    assert response.status_code == 200, response.text
    return response.json()


def audit_reaches(h: Hostile, position: int) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        verdict = h.client.get("/api/v1/audit/verify", headers=h.commander).json()
        return verdict if verdict["head"] >= position else None
    return until(f"the audit trail reaches {position}", reached)


def on_map(h: Hostile, thing: str) -> bool:
    return thing in h.client.get("/api/v1/map", headers=h.commander).text


def test_an_event_the_map_cannot_take_stops_only_the_map_until_an_operator_skips_it(hostile: Hostile) -> None:
    # An incident whose location no map can place is already in the store.
    poisoned = poison(hostile, location="nowhere")
    later = hostile.post("/incidents", {"kind": "cluster", "title": "食堂聚集", "location": IN_DONGSHAN})
    assert later.status_code == 201
    # The map stops before it and says so; the ledger and the audit trail go on.
    halted = until("/healthz shows the halted map", lambda: [h for h in health(hostile)["halted"] if h["model"] == "situation_map"])
    assert halted[0]["position"] == poisoned and halted[0]["error"], halted
    assert health(hostile)["ok"] is False
    assert audit_reaches(hostile, later.json()["position"])["ok"]
    assert not on_map(hostile, later.json()["id"])
    # The operator skips it: recorded as an event, attributed, from the command line.
    skipped = lianfang(hostile, "projections", "skip", str(poisoned), "--reason", "旧版本写入的坐标无法定位，已核实")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    until("/healthz clears", lambda: health(hostile)["halted"] == [] and health(hostile)["ok"])
    until("the map resumes past the skipped event", lambda: on_map(hostile, later.json()["id"]))
    events = hostile.client.get("/api/v1/events", params={"after": poisoned, "limit": 100}, headers=hostile.commander).json()
    [skip] = [e for e in events["events"] if e["type"] == "EventSkipped"]
    assert skip["data"]["position"] == poisoned and skip["meta"]["source"] == "cli" and skip["meta"]["actor_name"]
    # The chain still verifies, over the skip too, from the API and the command line.
    assert audit_reaches(hostile, skip["position"])["ok"]
    verified = lianfang(hostile, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # A rebuild from position 0 passes over it too. In scale-out mode the worker beside this server writes the
    # read models: a rebuild is refused until it stops (tests/scaleout/test_rebuild.py rebuilds with it stopped).
    rebuilt = lianfang(hostile, "projections", "rebuild", "situation_map")
    if hostile.settings.database_url:
        assert rebuilt.returncode == 2 and "stop `lianfang projections run` first" in rebuilt.stdout + rebuilt.stderr
    else:
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    # A second skip of the same position is refused, and so is a position beyond the log.
    assert lianfang(hostile, "projections", "skip", str(poisoned), "--reason", "again").returncode != 0
    assert lianfang(hostile, "projections", "skip", "999999", "--reason", "no such event").returncode != 0


def test_a_nul_already_in_the_store_never_stops_the_worker(hostile: Hostile, store_mode: str) -> None:
    # The reproduction, written past the new door check: PostgreSQL text cannot hold NUL.
    poisoned = poison(hostile, title="a\u0000b")
    later = hostile.post("/incidents", {"kind": "cluster", "title": "食堂聚集", "location": IN_DONGSHAN})
    assert later.status_code == 201
    if store_mode == "embedded":  # SQLite holds it: nothing stops, the chain verifies
        assert audit_reaches(hostile, later.json()["position"])["ok"] and health(hostile)["halted"] == []
        return
    halted = until("/healthz shows the halted audit trail", lambda: [h for h in health(hostile)["halted"] if h["model"] == "audit"])
    assert halted[0]["position"] == poisoned and "NUL" in halted[0]["error"], halted
    # The map and the ledger keep going meanwhile.
    until("the map takes the later incident", lambda: on_map(hostile, later.json()["id"]))
    skipped = lianfang(hostile, "projections", "skip", str(poisoned), "--reason", "NUL in a title from an old version")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    until("/healthz clears", lambda: health(hostile)["halted"] == [])
    verdict = audit_reaches(hostile, later.json()["position"] + 1)
    assert verdict["ok"], verdict
    [entry] = hostile.client.get("/api/v1/audit", params={"thing": hostile.client.get(
        "/api/v1/events", params={"after": poisoned - 1, "limit": 1}, headers=hostile.commander).json()["events"][0]["thing"]},
        headers=hostile.commander).json()["entries"]
    assert "skipped" in entry["summary_en"]


def test_an_event_no_code_can_decode_stops_every_read_model_until_skipped(hostile: Hostile) -> None:
    # A stored event whose class no longer exists (renamed without an upcast, or written by a newer version).
    from eventsourcing.persistence import StoredEvent

    with open_store(hostile.settings) as app:
        [poisoned] = app.recorder.insert_events([StoredEvent(uuid4(), 1, "domain.incident:Incident.Vanished", b"{}")])
    halted = until("every read model halts", lambda: {h["model"] for h in health(hostile)["halted"]} >= {"situation_map", "ledger", "audit"}
                   and health(hostile)["halted"])
    assert {h["position"] for h in halted} == {poisoned}, halted
    skipped = lianfang(hostile, "projections", "skip", str(poisoned), "--reason", "an event of a removed class")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    until("/healthz clears", lambda: health(hostile)["halted"] == [])
    later = hostile.post("/incidents", {"kind": "cluster", "title": "食堂聚集", "location": IN_DONGSHAN})
    assert audit_reaches(hostile, later.json()["position"])["ok"]
    until("the map goes on", lambda: on_map(hostile, later.json()["id"]))
