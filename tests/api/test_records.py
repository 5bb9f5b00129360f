"""The record: the audit trail and its verification, and the raw global log."""
from __future__ import annotations

from conftest import World, assert_problem


def test_the_raw_log_pages_after_a_position(world: World) -> None:
    incident = world.incident()
    head = world.head()
    page = world.observer.get("/events", after=head - 1, limit=1).json()
    [event] = page["events"]
    assert page["last"] == head and event["position"] == head and event["thing"] == incident
    assert set(event) >= {"position", "type", "thing", "version", "recorded_at", "meta", "data"}
    assert event["meta"]["role"] == "commander" and event["data"]["title"] == "幼儿园发热聚集"
    assert world.observer.get("/events", after=head).json() == {"events": [], "last": head}
    failed = []
    for params in ({"after": -1}, {"limit": 0}, {"limit": 100_000}, {"after": 10**30}, {"after": "x"}):
        response = world.observer.get("/events", **params)
        if response.status_code != 422:
            failed.append(f"{params}: {response.status_code} {response.text[:100]}")
    assert failed == []


def test_a_page_after_the_largest_position_is_empty_not_a_server_error(world: World) -> None:
    world.incident()
    for after in (world.head(), 2**63 - 2, 2**63 - 1):
        page = world.observer.get("/events", after=after)
        assert page.status_code == 200, page.text
        assert page.json() == {"events": [], "last": after}


def test_the_audit_trail_says_who_did_what_and_filters(world: World) -> None:
    incident = world.incident()
    report = world.as_field["dongshan"].ok(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}})
    trail = world.observer.get("/audit", thing=incident, min_position=report["position"])
    assert trail.status_code == 200
    entries = trail.json()["entries"]
    assert [e["type"] for e in entries] == ["IncidentReported", "FieldReportFiled"]
    assert entries[1]["unit"] == world.units["dongshan"] and entries[1]["role"] == "field"
    by_unit = world.observer.get("/audit", unit=world.units["dongshan"]).json()["entries"]
    assert [e["position"] for e in by_unit] == [report["position"]]
    newest = world.observer.get("/audit", newest_first="true", limit=1).json()["entries"]
    assert newest[0]["position"] == report["position"]
    assert world.observer.get("/audit", since="2099-01-01T00:00:00+00:00").json()["entries"] == []
    assert world.observer.get("/audit", since="2999-01-01T00:00:00+00:00").status_code == 422  # beyond every time taken


def test_bad_audit_filters_are_422_not_500(world: World) -> None:
    failed = []
    for params in ({"since": "2026-03-01T08:00:00"}, {"until": "2026-03-01T08:00:00"}, {"after": 10**30},
                   {"limit": 0}, {"since": "soon"}, {"thing": "x" * 65}):
        response = world.observer.get("/audit", **params)
        try:
            assert_problem(response, 422, next(iter(params)))
        except AssertionError as error:
            failed.append(f"{params}: {error}")
    assert failed == []


def test_the_chain_verifies(world: World) -> None:
    world.incident()
    verdict = world.observer.get("/audit/verify")
    assert verdict.status_code == 200
    assert verdict.json()["ok"] is True and verdict.json()["broken_at"] is None and verdict.json()["checked"] >= 1
