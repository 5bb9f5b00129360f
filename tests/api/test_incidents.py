"""Incidents over HTTP: report, field reports, level, close; the board and one incident's history."""
from __future__ import annotations

from typing import Any

import pytest

from conftest import IN_DONGSHAN, IN_SHIQIAO, World, assert_problem, key

REPORT = {"kind": "cluster", "title": "幼儿园发热聚集", "location": IN_DONGSHAN, "counts": {"confirmed": 3}}


def test_reporting_an_incident_answers_201_with_id_version_position(world: World) -> None:
    response = world.commander.post("/incidents", {**REPORT, "occurred_at": "2026-03-01T08:05:00+08:00"})
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 1 and body["position"] == world.head()
    assert response.headers["location"].endswith(f"/api/v1/incidents/{body['id']}")
    assert response.headers["etag"] == '"1"'


def test_the_board_and_the_history_read_the_write_at_its_position(world: World) -> None:
    created = world.commander.ok("/incidents", REPORT)
    report = world.as_field["dongshan"].ok(f"/incidents/{created['id']}/reports",
                                           {"new": {"confirmed": 2, "close_contacts": 7}, "note": "复核后新增"})
    board = world.observer.get("/incidents", min_position=report["position"])
    assert board.status_code == 200 and board.json()["position"] >= report["position"]
    [row] = board.json()["incidents"]
    assert row["counts"]["confirmed"] == 5 and row["counts"]["close_contacts"] == 7
    one = world.observer.get(f"/incidents/{created['id']}", min_position=report["position"]).json()
    assert one["incident"]["counts"]["confirmed"] == 5
    assert [h["type"] for h in one["history"]] == ["IncidentReported", "FieldReportFiled"]
    assert one["history"][1]["actor_name"] == "field-dongshan"


def test_history_as_it_stood_before_a_report(world: World) -> None:
    incident = world.incident()
    before = world.commander.get(f"/incidents/{incident}", min_position=world.head()).json()["history"][0]["recorded_at"]
    world.commander.ok(f"/incidents/{incident}/reports", {"new": {"confirmed": 4}})
    then = world.commander.get(f"/incidents/{incident}", at=before).json()
    assert then["incident"]["counts"]["confirmed"] == 3 and len(then["history"]) == 1
    assert_problem(world.commander.get(f"/incidents/{incident}", at="2000-01-01T00:00:00+08:00"), 404, incident)
    assert_problem(world.commander.get("/incidents", at="2026-03-01T08:00:00"), 422, "offset")


def test_level_is_set_and_the_same_level_again_is_refused_with_the_domains_reason(world: World) -> None:
    incident = world.incident()
    assert world.commander.post(f"/incidents/{incident}/level", {"level": "II", "reason": "扩散风险"}).status_code == 200
    assert_problem(world.commander.post(f"/incidents/{incident}/level", {"level": "II", "reason": "再次"}), 409, "already II")
    assert_problem(world.commander.post(f"/incidents/{incident}/level", {"level": "V", "reason": "x"}), 422, "level")


def test_a_closed_incident_takes_no_more_reports(world: World) -> None:
    incident = world.incident()
    world.commander.ok(f"/incidents/{incident}/close", {"reason": "连续14天无新增"})
    before = world.head()
    assert_problem(world.commander.post(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}}), 409, "closed")
    assert_problem(world.commander.post(f"/incidents/{incident}/close", {"reason": "again"}), 409, "closed")
    assert_problem(world.commander.post(f"/incidents/{incident}/close", {}), 422, "reason")
    assert world.head() == before


BAD_REPORTS = [
    ({"new": {"confirmed": -2}}, "new.confirmed"),
    ({"new": {"suspected": 1.5}}, "new.suspected"),
    ({"new": {"fevers": 1}}, "new.fevers"),
    ({"new": {"confirmed": 1}, "position": [204.0, 30.0]}, "position.0"),
    ({"new": {"confirmed": 1}, "position": [104.0, -91]}, "position.1"),
    ({"new": {"confirmed": 1}, "position": [104.0]}, "position"),
    ({}, "new"),
    ({"new": {}}, "new counts or a note"),
    ({"new": {"confirmed": 1}, "note": "联系人 13912345678"}, "mobile number"),
    ({"new": {"confirmed": 1}, "occurred_at": "yesterday"}, "occurred_at"),
]

MALFORMED = [
    (b'{"kind":"cluster","title":"t","location":[NaN,30.6]}', "location.0"),
    (b'{"kind":"cluster","title":"t","location":[104.1,Infinity]}', "location.1"),
    (b'{"kind":"cluster","title":"t","location":[1e400,30.6]}', "location.0"),
    (b'{"kind":"cluster","title":"t","location":[104.1,30.6],"counts":{"confirmed":-Infinity}}', "counts.confirmed"),
    (b'{"kind":"cluster","title":"t","location":[30.6,104.1]}', "location.1"),
    (b'{"kind":"cluster","title":"t","location":[104.1,30.6],"counts":{"confirmed":100000000000}}', "counts.confirmed"),
    (b'{"kind":"meteor","title":"t","location":[104.1,30.6]}', "kind"),
    (b'{"kind":"cluster","title":"","location":[104.1,30.6]}', "title"),
    (b'{"kind":"cluster","title":"t","location":[104.1,30.6],"extra":1}', "extra"),
    (b'{"kind":"cluster","title":"t","location":[104.1,30.6],"jurisdiction":"999999"}', "jurisdiction"),
    (b'{"kind":"cluster",', "body"),
    (b'{"kind":"cluster","title":"t","location":[104.1,30.6],}', "body"),
    (b"[]", "body"),
    (b"null", "body"),
    (b"", "body"),
    (b'{"kind":"\xff\xfe"}', "body"),
    (b"[" * 100_000 + b"]" * 100_000, "body"),
]


def failures_of(cases: list, send: object) -> list[str]:
    """Run every case; the ones that did not answer a 422 problem naming their field."""
    failed = []
    for body, field in cases:
        response = send(body)  # type: ignore[operator]
        try:
            assert_problem(response, 422, field)
        except AssertionError as error:
            failed.append(f"{body!r:.80}: {error}")
    return failed


def test_bad_field_reports_are_422_naming_the_field_and_record_nothing(world: World) -> None:
    incident = world.incident()
    before = world.head()
    assert failures_of(BAD_REPORTS, lambda body: world.commander.post(f"/incidents/{incident}/reports", body)) == []
    assert world.head() == before


def test_malformed_reports_are_422_naming_the_bad_field_never_400_or_500(world: World) -> None:
    before = world.head()
    send = lambda raw: world.commander.post("/incidents", content=raw, headers={"content-type": "application/json"})  # noqa: E731
    assert failures_of(MALFORMED, send) == []
    assert world.head() == before


def test_unknown_incidents_are_not_found(world: World) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    assert_problem(world.commander.post(f"/incidents/{missing}/reports", {"new": {"confirmed": 1}}), 404, missing)
    assert_problem(world.commander.post("/incidents/not-an-id/level", {"level": "I", "reason": "x"}), 404, "not-an-id")
    assert_problem(world.commander.get(f"/incidents/{missing}"), 404, missing)
    zone = world.zone(world.incident())
    assert_problem(world.commander.post(f"/incidents/{zone}/close", {"reason": "x"}), 404, "not a incident")


@pytest.mark.settings(read_wait_seconds=0.2)
def test_a_query_waits_for_its_position_then_answers_503_with_retry_after(app: Any, world: World) -> None:
    incident = world.incident()
    projections = app.state.runtime.projections
    with projections.lock:  # the read side is stuck: it cannot apply what comes next
        written = world.commander.ok(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}})["position"]
        for path in ("/incidents", f"/incidents/{incident}", "/map", "/ledger", "/indicators", "/audit", "/units"):
            response = world.observer.get(path, min_position=written)
            assert_problem(response, 503, str(written))
            assert response.headers["retry-after"] == "1"
    board = world.observer.get("/incidents", min_position=written).json()
    assert board["position"] >= written and board["incidents"][0]["counts"]["confirmed"] == 4
    assert_problem(world.observer.get("/map", min_position=written + 1000), 422, "min_position")


def test_every_command_answer_carries_the_position_of_its_event(world: World) -> None:
    incident = world.incident()
    first = world.commander.ok(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}}, {"Idempotency-Key": key()})
    second = world.commander.ok(f"/incidents/{incident}/level", {"level": "III", "reason": "x"})
    events = world.commander.get("/events", after=first["position"] - 1, limit=10).json()["events"]
    by_position = {e["position"]: e for e in events}
    assert by_position[first["position"]]["type"] == "FieldReportFiled" and by_position[first["position"]]["version"] == 2
    assert by_position[second["position"]]["type"] == "LevelSet" and by_position[second["position"]]["thing"] == incident
    assert second["position"] == world.head()


def test_a_report_elsewhere_in_the_county_keeps_its_own_jurisdiction(world: World) -> None:
    incident = world.incident(at=IN_SHIQIAO, jurisdiction="510199005")
    row = world.commander.get(f"/incidents/{incident}", min_position=world.head()).json()["incident"]
    assert row["jurisdiction"] == "510199005"
