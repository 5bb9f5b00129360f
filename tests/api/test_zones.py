"""Control zones over HTTP: declare with a valid polygon, downgrade one step at a time, lift."""
from __future__ import annotations

from conftest import BOWTIE, SQUARE_IN_DONGSHAN, World, assert_problem

RING = [[104.24, 30.65], [104.26, 30.65], [104.26, 30.67], [104.24, 30.67], [104.24, 30.65]]


def test_a_zone_goes_sealed_controlled_prevention_then_lifted(world: World) -> None:
    incident = world.incident()
    declared = world.commander.post("/zones", {"incident": incident, "kind": "sealed", "area": SQUARE_IN_DONGSHAN, "name": "松林村封控区"})
    assert declared.status_code == 201
    zone = declared.json()["id"]
    counts = world.observer.get("/map", min_position=declared.json()["position"]).json()["counts"]
    assert counts["zones"] == {"sealed": 1}
    assert world.commander.ok(f"/zones/{zone}/downgrade", {"reason": "连续7天无新增"})["version"] == 2
    last = world.commander.ok(f"/zones/{zone}/downgrade")
    assert world.observer.get("/map", min_position=last["position"]).json()["counts"]["zones"] == {"prevention": 1}
    assert_problem(world.commander.post(f"/zones/{zone}/downgrade"), 409, "lowest", "lift")
    lifted = world.commander.ok(f"/zones/{zone}/lift", {"reason": "解除"})
    assert world.observer.get("/map", min_position=lifted["position"]).json()["counts"]["zones"] == {}
    before = world.head()
    assert_problem(world.commander.post(f"/zones/{zone}/lift"), 409, "already lifted")
    assert_problem(world.commander.post(f"/zones/{zone}/downgrade"), 409, "already lifted")
    assert world.head() == before


def test_a_multipolygon_zone_is_accepted(world: World) -> None:
    incident = world.incident()
    other = [[[x + 0.05, y] for x, y in RING]]
    area = {"type": "MultiPolygon", "coordinates": [[RING], other]}
    assert world.commander.post("/zones", {"incident": incident, "kind": "controlled", "area": area}).status_code == 201


def test_bad_areas_are_422_with_the_reason(world: World) -> None:
    incident = world.incident()
    before = world.head()
    cases = [
        (BOWTIE, "Self-intersection"),
        ({"type": "Point", "coordinates": [104.1, 30.6]}, "area.type"),
        ({"type": "Polygon"}, "area.coordinates"),
        ({"type": "Polygon", "coordinates": []}, "linear rings"),
        ({"type": "MultiPolygon", "coordinates": []}, "no coordinates"),
        ({"type": "Polygon", "coordinates": [RING[:-1]]}, "closed"),
        ({"type": "Polygon", "coordinates": [RING[:3]]}, "at least 4"),
        ({"type": "Polygon", "coordinates": [[[204.0, 30.6], *RING[1:-1], [204.0, 30.6]]]}, "out of range"),
        ({"type": "Polygon", "coordinates": [[["a", 30.6], *RING[1:]]]}, "finite numbers"),
        ({"type": "Polygon", "coordinates": [[[104.2, 30.6], [104.3, 30.6], [104.4, 30.6], [104.2, 30.6]]]}, "area"),
        ({"type": "Polygon", "coordinates": [[1, 2, 3, 4]]}, "[lon, lat]"),
        ({"type": "MultiPolygon", "coordinates": [[]]}, "linear rings"),
        ("sealed", "area"),
    ]
    failed = []
    for area, words in cases:
        response = world.commander.post("/zones", {"incident": incident, "kind": "sealed", "area": area})
        try:
            assert_problem(response, 422, words)
        except AssertionError as error:
            failed.append(f"{area!r:.60}: {error}")
    assert failed == []
    assert world.head() == before


def test_nan_in_an_area_is_422_naming_the_area(world: World) -> None:
    incident = world.incident()
    raw = ('{"incident":"%s","kind":"sealed","area":{"type":"Polygon","coordinates":'
           '[[[NaN,30.6],[104.2,30.6],[104.2,30.7],[NaN,30.6]]]}}' % incident).encode()
    response = world.commander.post("/zones", content=raw, headers={"content-type": "application/json"})
    assert_problem(response, 422, "area", "finite")


def test_a_zone_needs_a_known_open_incident_and_a_known_kind(world: World) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    assert_problem(world.commander.post("/zones", {"incident": missing, "kind": "sealed", "area": SQUARE_IN_DONGSHAN}), 422, "incident")
    assert_problem(world.commander.post("/zones", {"incident": "nope", "kind": "sealed", "area": SQUARE_IN_DONGSHAN}), 422, "incident")
    incident = world.incident()
    assert_problem(world.commander.post("/zones", {"incident": incident, "kind": "quarantine", "area": SQUARE_IN_DONGSHAN}), 422, "kind")
    world.commander.ok(f"/incidents/{incident}/close", {"reason": "结束"})
    assert_problem(world.commander.post("/zones", {"incident": incident, "kind": "sealed", "area": SQUARE_IN_DONGSHAN}), 409, "closed")
    assert_problem(world.commander.post(f"/zones/{missing}/lift"), 404, missing)
