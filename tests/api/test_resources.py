"""Resources over HTTP: register for a unit, position updates."""
from __future__ import annotations

from conftest import IN_DONGSHAN, IN_SHIQIAO, World, assert_problem


def test_a_resource_is_registered_and_moves_on_the_map(world: World) -> None:
    body = {"kind": "quarantine_site", "name": "东山镇集中隔离点", "unit": world.units["dongshan"], "position": IN_DONGSHAN, "capacity": 120}
    created = world.commander.post("/resources", body)
    assert created.status_code == 201 and created.json()["version"] == 1
    resource = created.json()["id"]
    moved = world.commander.post(f"/resources/{resource}/position", {"position": [104.25, 30.67]}, headers={"If-Match": '"1"'})
    assert moved.status_code == 200 and moved.json()["version"] == 2 and moved.headers["etag"] == '"2"'
    features = world.observer.get("/map", min_position=moved.json()["position"]).json()["features"]
    [feature] = [f for f in features if f["id"].endswith(resource)]
    assert feature["geometry"]["coordinates"] == [104.25, 30.67]


def test_bad_resources_are_422_naming_the_field(world: World) -> None:
    good = {"kind": "ambulance", "name": "120-1", "unit": world.units["health"], "position": IN_SHIQIAO}
    before = world.head()
    cases = [
        ({**good, "capacity": -1}, "capacity"),
        ({**good, "quantity": 2.5}, "quantity"),
        ({**good, "kind": "helicopter"}, "kind"),
        ({**good, "unit": "00000000-0000-0000-0000-000000000000"}, "unit"),
        ({**good, "unit": "not-a-unit"}, "unit"),
        ({**good, "position": [104.1, 95.0]}, "position.1"),
        ({**good, "name": ""}, "name"),
        ({k: v for k, v in good.items() if k != "unit"}, "unit"),
    ]
    failed = []
    for body, field in cases:
        try:
            assert_problem(world.commander.post("/resources", body), 422, field)
        except AssertionError as error:
            failed.append(f"{field}: {error}")
    assert failed == []
    assert world.head() == before


def test_a_resource_registered_to_an_incident_is_not_a_unit(world: World) -> None:
    incident = world.incident()
    body = {"kind": "ambulance", "name": "120-1", "unit": incident, "position": IN_SHIQIAO}
    assert_problem(world.commander.post("/resources", body), 422, "not a unit")


def test_moving_an_unknown_resource_is_not_found_and_a_bad_position_is_422(world: World) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    assert_problem(world.commander.post(f"/resources/{missing}/position", {"position": IN_DONGSHAN}), 404, missing)
    resource = world.resource()
    assert_problem(world.commander.post(f"/resources/{resource}/position", {"position": [181, 30]}), 422, "position.0")
    assert_problem(world.commander.post(f"/resources/{resource}/position", {}), 422, "position")
