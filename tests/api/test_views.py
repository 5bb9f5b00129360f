"""What people look at: the situation map, the ledger, the indicators; each says its position."""
from __future__ import annotations

from conftest import IN_DONGSHAN, World, assert_problem


def test_the_map_is_one_feature_collection_with_counts_and_position(world: World) -> None:
    incident = world.incident()
    world.zone(incident)
    resource = world.resource()
    last = world.commander.ok(f"/resources/{resource}/position", {"position": IN_DONGSHAN})
    situation = world.observer.get("/map", min_position=last["position"])
    assert situation.status_code == 200
    body = situation.json()
    assert body["type"] == "FeatureCollection" and body["position"] >= last["position"]
    kinds = {f["properties"].get("layer") or f["id"].split(":")[0] for f in body["features"]}
    assert {"incident", "zone", "resource", "jurisdiction"} <= kinds, kinds
    assert body["counts"]["open_incidents"] == 1 and body["counts"]["cases"]["confirmed"] == 3


def test_the_map_as_it_stood_before_the_first_incident(world: World) -> None:
    early = world.observer.get("/map", at="2000-01-01T00:00:00+00:00")
    assert early.status_code == 200 and early.json()["counts"]["open_incidents"] == 0
    world.incident()
    assert world.observer.get("/map", at="2000-01-01T00:00:00+00:00").json()["counts"]["open_incidents"] == 0
    assert_problem(world.observer.get("/map", at="yesterday"), 422, "at")
    assert_problem(world.observer.get("/map", at="2026-03-01T08:00:00"), 422, "offset")
    assert_problem(world.observer.get("/ledger", at="2026-03-01T08:00:00"), 422, "offset")
    assert_problem(world.observer.get("/map", min_position=-1), 422, "min_position")


def test_the_ledger_counts_colours_and_the_indicators_name_units(world: World) -> None:
    task = world.task()
    claimed = world.as_unit["dongshan"].ok(f"/tasks/{task}/claim")
    ledger = world.observer.get("/ledger", min_position=claimed["position"]).json()
    assert ledger["colours"] == {"green": 1, "yellow": 0, "red": 0} and ledger["position"] >= claimed["position"]
    indicators = world.observer.get("/indicators", min_position=claimed["position"])
    assert indicators.status_code == 200 and indicators.json()["position"] >= claimed["position"]
    assert "dongshan" in str(indicators.json()["units"])
