"""Bad inputs beyond what the schema says: each gets a clear 4xx problem, and nothing is recorded."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reliability.served import IN_DONGSHAN, PROBLEM, SQUARE_IN_DONGSHAN, World, due_in, key

pytestmark = pytest.mark.integration

BOWTIE = {"type": "Polygon", "coordinates": [[[104.24, 30.65], [104.26, 30.67], [104.26, 30.65], [104.24, 30.67], [104.24, 30.65]]]}
UNCLOSED = {"type": "Polygon", "coordinates": [[[104.24, 30.65], [104.26, 30.65], [104.26, 30.67], [104.24, 30.67]]]}
TOO_FEW = {"type": "Polygon", "coordinates": [[[104.24, 30.65], [104.26, 30.65], [104.24, 30.65]]]}
OUT_OF_RANGE = {"type": "Polygon", "coordinates": [[[184.24, 30.65], [184.26, 30.65], [184.26, 30.67], [184.24, 30.67], [184.24, 30.65]]]}
HOLE_OUTSIDE = {"type": "Polygon", "coordinates": [SQUARE_IN_DONGSHAN["coordinates"][0],
                                                   [[105.0, 31.0], [105.1, 31.0], [105.1, 31.1], [105.0, 31.1], [105.0, 31.0]]]}
OVERLAPPING = {"type": "MultiPolygon", "coordinates": [SQUARE_IN_DONGSHAN["coordinates"], SQUARE_IN_DONGSHAN["coordinates"]]}
A_POINT = {"type": "Point", "coordinates": IN_DONGSHAN}
EMPTY = {"type": "Polygon", "coordinates": []}
INCIDENT = {"kind": "cluster", "title": "幼儿园发热聚集", "location": IN_DONGSHAN}


def raw_incident(location: str = "[104.2493, 30.6626]", title: str = '"t"', extra: str = "") -> bytes:
    return f'{{"kind": "cluster", "title": {title}, "location": {location}{extra}}}'.encode()


def nested(depth: int) -> bytes:
    return b'{"kind": ' + b"[" * depth + b"]" * depth + b', "title": "t", "location": [104.2493, 30.6626]}'


def ten_megabytes() -> Iterator[bytes]:
    chunk = b" " * 65536
    yield b'{"kind": "cluster", "title": "'
    for _ in range(160):
        yield chunk
    yield b'", "location": [104.2493, 30.6626]}'


def zone(area: Any) -> dict[str, Any]:
    return {"kind": "sealed", "area": area}


def alert(area: Any) -> dict[str, Any]:
    return {"headline": "发热门诊就诊提示", "severity": "Moderate", "urgency": "Expected", "certainty": "Likely", "area": area}


# (name, path template, JSON body or raw bytes, expected status, words the detail must hold)
CASES: list[tuple[str, str, Any, int, tuple[str, ...]]] = [
    ("self-intersecting zone", "/zones", zone(BOWTIE), 422, ()),
    ("self-intersecting alert area", "/alerts", alert(BOWTIE), 422, ()),
    ("unclosed ring", "/zones", zone(UNCLOSED), 422, ()),
    ("ring of three points", "/zones", zone(TOO_FEW), 422, ()),
    ("polygon out of range", "/zones", zone(OUT_OF_RANGE), 422, ()),
    ("hole outside its shell", "/zones", zone(HOLE_OUTSIDE), 422, ()),
    ("overlapping multipolygon", "/zones", zone(OVERLAPPING), 422, ()),
    ("a point for an area", "/zones", zone(A_POINT), 422, ()),
    ("an empty polygon", "/zones", zone(EMPTY), 422, ()),
    ("NaN longitude", "/incidents", raw_incident("[NaN, 30.6626]"), 422, ("NaN",)),
    ("Infinity latitude", "/incidents", raw_incident("[104.2493, Infinity]"), 422, ("Infinity",)),
    ("-Infinity in a polygon", "/zones", b'{"incident": "{incident}", "kind": "sealed", "area": {"type": "Polygon", '
                                        b'"coordinates": [[[104.24, 30.65], [-Infinity, 30.65], [104.26, 30.67], [104.24, 30.65]]]}}', 422, ()),
    ("1e999 count", "/incidents/{incident}/reports", b'{"new": {"confirmed": 1e999}}', 422, ()),
    ("longitude 200", "/incidents", {**INCIDENT, "location": [200, 30.66]}, 422, ()),
    ("latitude 95", "/incidents", {**INCIDENT, "location": [104.25, 95]}, 422, ()),
    ("lat/lon swapped", "/incidents", {**INCIDENT, "location": [30.6626, 104.2493]}, 422, ()),
    ("three coordinates", "/incidents", {**INCIDENT, "location": [104.2, 30.6, 500]}, 422, ()),
    ("deeply nested JSON", "/incidents", nested(100_000), 422, ("nested",)),
    ("moderately nested JSON", "/incidents", nested(200), 422, ("nested",)),
    ("invalid UTF-8", "/incidents", b'{"kind": "cluster", "title": "\xff\xfe", "location": [104.2493, 30.6626]}', 422, ("UTF-8",)),
    ("an unpaired surrogate", "/incidents", raw_incident(title='"\\ud800 fever"'), 422, ("surrogate",)),
    ("an unpaired surrogate inside an area", "/zones", b'{"incident": "{incident}", "kind": "sealed", "area": {"type": "Polygon", '
                                                     b'"\\udcff": 1, "coordinates": []}}', 422, ("surrogate",)),
    ("occurred_at in 1900", "/incidents/{incident}/reports", {"new": {"confirmed": 1}, "occurred_at": "1900-01-01T00:00:00+08:00"}, 422, ()),
    ("occurred_at in year 1", "/incidents", {**INCIDENT, "occurred_at": "0001-01-01T00:00:00+00:00"}, 422, ()),
    ("occurred_at in 9999", "/incidents/{incident}/reports", {"new": {"confirmed": 1}, "occurred_at": "9999-12-31T23:59:59+00:00"}, 422, ()),
    ("occurred_at tomorrow", "/incidents/{incident}/reports", {"new": {"confirmed": 1}, "occurred_at": due_in(24)}, 422, ()),
    ("occurred_at without offset", "/incidents/{incident}/reports", {"new": {"confirmed": 1}, "occurred_at": "2026-03-01T08:00:00"}, 422, ()),
    ("a task due in year 1", "/tasks", {"title": "转运", "lead": "{unit}", "due": "0001-01-01T00:00:00-12:00"}, 422, ()),
    ("a task due in 9999", "/tasks", {"title": "转运", "lead": "{unit}", "due": "9999-12-31T23:59:59+14:00"}, 422, ()),
    ("a task due yesterday", "/tasks", {"title": "转运", "lead": "{unit}", "due": due_in(-24)}, 422, ()),
    ("a count of 10^12", "/incidents/{incident}/reports", {"new": {"confirmed": 10**12}}, 422, ()),
    ("a count of 10^30", "/incidents", {**INCIDENT, "counts": {"confirmed": 10**30}}, 422, ()),
    ("a negative count", "/incidents/{incident}/reports", {"new": {"close_contacts": -5}}, 422, ()),
    ("a fractional count", "/incidents/{incident}/reports", {"new": {"confirmed": 1.5}}, 422, ()),
    ("a quantity of 10^20", "/dispatches", {"incident": "{incident}", "kind": "ambulance", "quantity": 10**20}, 422, ()),
    ("a 2^70 coordinate", "/zones", zone({"type": "Polygon", "coordinates": [[[2**70, 30.65], [104.26, 30.65], [104.26, 30.67], [2**70, 30.65]]]}), 422, ()),
    ("duplicate keys", "/incidents", raw_incident(extra=', "kind": "food_poisoning"'), 422, ("twice",)),
    ("duplicate nested keys", "/incidents/{incident}/reports", b'{"new": {"confirmed": 1, "confirmed": 100}}', 422, ("twice",)),
    ("a JSON array", "/incidents", b"[]", 422, ()),
    ("JSON null", "/incidents", b"null", 422, ()),
    ("an empty body", "/incidents", b"", 422, ()),
    ("not JSON", "/incidents", b"{kind: cluster}", 422, ()),
    ("an unknown field", "/incidents", {**INCIDENT, "patient_name": "张三"}, 422, ()),
    ("a megabyte title", "/incidents", {**INCIDENT, "title": "发" * 300_000}, 422, ()),
    ("an unknown incident", "/incidents/00000000-0000-0000-0000-000000000000/reports", {"new": {"confirmed": 1}}, 404, ()),
    ("an id that is not an id", "/incidents/'%20OR%201=1--/reports", {"new": {"confirmed": 1}}, 404, ()),
    ("expected_version 0", "/incidents/{incident}/reports", {"new": {"confirmed": 1}, "expected_version": 0}, 422, ()),
    ("expected_version 2^80", "/incidents/{incident}/reports", {"new": {"confirmed": 1}, "expected_version": 2**80}, 422, ()),
]


@pytest.fixture(scope="module")
def things(world: World) -> dict[str, str]:
    return {"incident": world.incident()["id"], "unit": world.units["dongshan"]}


def fill(value: Any, things: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, thing in things.items():
            value = value.replace("{" + name + "}", thing)
        return value
    if isinstance(value, bytes):
        return fill(value.decode("latin-1"), things).encode("latin-1")
    if isinstance(value, dict):
        return {k: fill(v, things) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, things) for v in value]
    return value


def assert_refused(response: httpx.Response, status: int, words: tuple[str, ...]) -> None:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == status and problem["title"] and len(problem["detail"]) > 10, problem
    for word in words:
        assert word in problem["detail"], problem["detail"]


@pytest.mark.parametrize(("name", "path", "body", "status", "words"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_input_is_a_clear_4xx_and_records_nothing(world: World, things: dict[str, str], name: str, path: str,
                                                         body: Any, status: int, words: tuple[str, ...]) -> None:
    head = world.server.head()
    content = fill(body, things) if isinstance(body, bytes) else json.dumps(fill(body, things), ensure_ascii=False).encode()
    token = world.commander.token if not path.endswith("/reports") else world.field_tokens["dongshan"]
    response = world.client.post(f"/api/v1{fill(path, things)}", content=content, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key()})
    assert_refused(response, status, words)
    assert world.server.head() == head, f"{name}: something was recorded"


@pytest.mark.parametrize("content_type", [None, "application/merge-patch+json", "application/json; charset=utf-8"])
def test_duplicate_keys_are_refused_whatever_the_json_media_type(world: World, content_type: str | None) -> None:
    head = world.server.head()
    headers = {"Authorization": f"Bearer {world.commander.token}", **({"Content-Type": content_type} if content_type else {})}
    response = world.client.post("/api/v1/incidents", content=raw_incident(extra=', "kind": "food_poisoning"'), headers=headers)
    assert 400 <= response.status_code < 500 and response.status_code != 201, response.text
    assert world.server.head() == head


@pytest.mark.parametrize("chunked", [False, True], ids=["with Content-Length", "chunked"])
def test_a_ten_megabyte_body_is_413_and_records_nothing(world: World, chunked: bool) -> None:
    head = world.server.head()
    content: Any = ten_megabytes() if chunked else b"".join(ten_megabytes())
    response = world.client.post("/api/v1/incidents", content=content, headers={
        "Authorization": f"Bearer {world.commander.token}", "Content-Type": "application/json"})
    assert_refused(response, 413, ("bytes",))
    assert world.server.head() == head


@pytest.mark.parametrize("header", ["x" * 1000, ""], ids=["1000 characters", "empty"])
def test_a_bad_idempotency_key_is_422(world: World, header: str) -> None:
    head = world.server.head()
    response = world.commander.post("/incidents", INCIDENT, **{"Idempotency-Key": header})
    assert_refused(response, 422, ("Idempotency-Key",))
    assert world.server.head() == head


@pytest.mark.parametrize("version", ['"abc"', "99999999999999999999999999", "-1", "1.5"])
def test_a_bad_if_match_is_a_4xx(world: World, things: dict[str, str], version: str) -> None:
    head = world.server.head()
    response = world.client.post(f"/api/v1/incidents/{things['incident']}/level", json={"level": "III", "reason": "升级"},
                                 headers={"Authorization": f"Bearer {world.commander.token}", "If-Match": version})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert world.server.head() == head


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1900-01-01T00:00:00Z",
                                "2026-13-45T99:99:99Z", "yesterday", "0001-01-01T00:00:00"])
@pytest.mark.parametrize("view", ["/map", "/ledger", "/incidents", "/indicators", "/alerts"])
def test_views_at_far_away_or_broken_times_answer_without_a_server_error(world: World, view: str, at: str) -> None:
    response = world.commander.get(view, at=at)
    assert response.status_code < 500, response.text[:300]
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("params", [{"after": 2**70}, {"after": -1}, {"limit": 0}, {"limit": 10**9},
                                    {"min_position": 2**62}, {"since": "0001-01-01T00:00:00+14:00"}])
@pytest.mark.parametrize("view", ["/events", "/audit", "/map"])
def test_views_with_out_of_range_numbers_answer_without_a_server_error(world: World, view: str, params: dict[str, Any]) -> None:
    response = world.commander.get(view, **params)
    assert response.status_code < 500, response.text[:300]
