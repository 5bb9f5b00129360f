"""Hostile input: no number and no time gives a 500 (issue 15, item 2), over HTTP in both modes and from a scenario file."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reliability.hostile.served import IN_DONGSHAN, SQUARE, Served, assert_problem, lianfang, served  # noqa: F401

pytestmark = pytest.mark.integration

DIGITS_5000 = "7" * 5000
GOOGOL_400 = "1" + "0" * 400  # 1e400 written out: a whole number no float can hold
COUNTY = Path(__file__).resolve().parents[3] / "scenarios" / "demo-county.geojson"


def incident_body(location: str = "[104.2493, 30.6626]", counts: str = "{}", extra: str = "") -> str:
    return f'{{"kind": "cluster", "title": "t", "location": {location}, "counts": {counts}{extra}}}'


@pytest.mark.parametrize("body", [
    incident_body(location=f"[{DIGITS_5000}, 30.6626]"),
    incident_body(counts=f'{{"confirmed": {DIGITS_5000}}}'),
    incident_body(counts=f'{{"confirmed": -{DIGITS_5000}}}'),
    incident_body(extra=f', "unknown": [[{{"deep": {DIGITS_5000}}}]]'),
], ids=["location", "count", "negative", "nested-unknown-field"])
def test_a_5000_digit_integer_anywhere_in_a_body_is_refused_not_a_500(served: Served, body: str) -> None:
    head = served.head()
    with_token = served.client.post("/api/v1/incidents", content=body, headers={**served.auth, "Content-Type": "application/json"})
    assert_problem(with_token, 422, "too large")
    without = served.client.post("/api/v1/incidents", content=body, headers={"Content-Type": "application/json"})
    assert without.status_code in (401, 422), without.text[:300]  # 401 once authentication comes before the body
    assert served.head() == head


def test_a_coordinate_of_1_followed_by_400_zeros_is_refused_over_http(served: Served) -> None:
    incident = served.created("/incidents", {"kind": "cluster", "title": "t", "location": IN_DONGSHAN})["id"]
    ring = '[[[%s, 30.65], [104.26, 30.65], [104.26, 30.67], [104.24, 30.67], [104.24, 30.65]]]' % GOOGOL_400
    zone = f'{{"incident": "{incident}", "kind": "sealed", "area": {{"type": "Polygon", "coordinates": {ring}}}}}'
    head = served.head()
    for path, body in (("/zones", zone), ("/incidents", incident_body(location=f"[{GOOGOL_400}, 30.6626]"))):
        response = served.client.post(f"/api/v1{path}", content=body, headers={**served.auth, "Content-Type": "application/json"})
        assert_problem(response, 422, "too large")
        # and past the JSON guard, as a second Content-Type header once let it through: a refusal, never a 500
        bypass = [("authorization", served.auth["Authorization"]), ("content-type", "application/json"), ("content-type", "text/plain")]
        assert_problem(served.client.post(f"/api/v1{path}", content=body, headers=bypass), 422)
    assert served.head() == head


EXTREMES = ["9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59+00:00", "2100-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00",
            "1999-12-31T00:00:00Z"]


@pytest.fixture(scope="module")
def with_a_zone(served: Served) -> dict[str, Any]:
    incident = served.created("/incidents", {"kind": "cluster", "title": "幼儿园发热聚集", "location": IN_DONGSHAN})
    zone = served.created("/zones", {"incident": incident["id"], "kind": "sealed", "area": {"type": "Polygon", "coordinates": SQUARE}})
    return {"incident": incident["id"], "position": zone["position"]}


@pytest.mark.parametrize("at", EXTREMES)
def test_an_extreme_time_is_a_422_on_every_view_once_a_zone_exists(served: Served, with_a_zone: dict[str, Any], at: str) -> None:
    wait = {"min_position": with_a_zone["position"]}
    for path, params in (("/map", {"at": at, **wait}), ("/ledger", {"at": at, **wait}), ("/incidents", {"at": at, **wait}),
                         ("/alerts", {"at": at, **wait}), ("/indicators", {"at": at, **wait}),
                         (f"/incidents/{with_a_zone['incident']}", {"at": at, **wait}),
                         ("/audit", {"since": at}), ("/audit", {"until": at})):
        response = served.client.get(f"/api/v1{path}", params=params, headers=served.auth)
        assert_problem(response, 422, "2000" if at < "2000" else "2100")


def test_the_bounds_are_the_edges_of_what_is_taken(served: Served, with_a_zone: dict[str, Any]) -> None:
    for at in ("2000-01-01T00:00:00Z", "2099-12-31T23:59:59+00:00"):
        assert served.client.get("/api/v1/map", params={"at": at, "min_position": with_a_zone["position"]},
                                 headers=served.auth).status_code == 200


def scenario(tmp_path: Path, *, start: str = "2026-03-01T08:00:00+08:00", location: str = "[104.06, 30.67]",
             first: str = "104.05") -> Path:
    path = tmp_path / "drill.yaml"
    path.write_text(f"""scenario: 数字与时间
start: {start}
geography: {COUNTY}
actors:
  cmd: {{role: commander, name: 县指挥部}}
injects:
  - at: "+00:05"
    by: cmd
    do: report_incident
    ref: inc1
    with: {{kind: cluster, title: t, location: {location}}}
  - at: "+00:30"
    by: cmd
    do: declare_zone
    with: {{incident: $inc1, kind: sealed, area: {{type: Polygon, coordinates: [[[{first}, 30.66], [104.07, 30.66], [104.07, 30.68], [104.05, 30.68], [104.05, 30.66]]]}}}}
""", encoding="utf-8")
    return path


@pytest.mark.parametrize("case,line,words", [
    ({"location": f"[{GOOGOL_400}, 30.67]"}, 11, "too large"),
    ({"first": GOOGOL_400}, 15, "too large"),
    ({"first": DIGITS_5000}, 15, "too large"),
    ({"start": "9999-12-31T23:59:59-14:00"}, 2, "2100"),
    ({"start": "1970-01-01T00:00:00Z"}, 2, "2000"),
], ids=["location-1e400", "area-1e400", "area-5000-digits", "start-9999", "start-1970"])
def test_a_scenario_file_with_such_a_number_or_time_is_refused_at_its_line(tmp_path: Path, case: dict[str, str], line: int,
                                                                           words: str) -> None:
    ran = lianfang("drill", "run", str(scenario(tmp_path, **case)), "--store", str(tmp_path / "store"))
    assert ran.status == 2, ran.out[-2000:]
    assert f"drill.yaml:{line}:" in ran.out and words in ran.out and "Traceback" not in ran.out, ran.out[-2000:]
    assert len(ran.out) < 2000


def test_review_at_an_extreme_time_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert lianfang("drill", "run", str(scenario(tmp_path)), "--store", str(store)).status == 0
    for at in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"):
        ran = lianfang("review", str(store), "--at", at)
        assert ran.status == 2 and "Traceback" not in ran.out and ("2100" in ran.out or "2000" in ran.out), ran.out[-2000:]
