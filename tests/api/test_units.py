"""Responsible units over HTTP: registered by the commander, listed for everyone."""
from __future__ import annotations

from conftest import World, assert_problem


def test_a_township_unit_is_registered_and_listed(world: World) -> None:
    created = world.commander.post("/units", {"name": "清河镇人民政府", "kind": "township", "jurisdiction": "510199004"})
    assert created.status_code == 201
    listed = world.observer.get("/units", min_position=created.json()["position"])
    assert listed.status_code == 200 and listed.json()["position"] >= created.json()["position"]
    [unit] = [u for u in listed.json()["units"] if u["id"] == created.json()["id"]]
    assert unit["name"] == "清河镇人民政府" and unit["jurisdiction"] == "510199004"


def test_bad_units_are_422_naming_the_field(world: World) -> None:
    before = world.head()
    cases = [
        ({"name": "x", "kind": "village"}, "kind"),
        ({"name": "", "kind": "department"}, "name"),
        ({"kind": "department"}, "name"),
        ({"name": "x", "kind": "township", "jurisdiction": "510199999"}, "jurisdiction"),
        ({"name": "x", "kind": "township", "jurisdiction": 510199003}, "jurisdiction"),
        ({"name": "身份证 110101199003077777", "kind": "department"}, "ID-card"),
    ]
    failed = []
    for body, field in cases:
        try:
            assert_problem(world.commander.post("/units", body), 422, field)
        except AssertionError as error:
            failed.append(f"{field}: {error}")
    assert failed == []
    assert world.head() == before
