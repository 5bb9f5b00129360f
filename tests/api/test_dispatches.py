"""Dispatches over HTTP: requested → committed → en route → on scene → released, or cancelled."""
from __future__ import annotations

from conftest import IN_SHIQIAO, World, assert_problem


def states(world: World, position: int) -> dict[str, int]:
    return world.observer.get("/map", min_position=position).json()["counts"]["dispatches"]


def test_a_dispatch_lives_its_whole_life(world: World) -> None:
    incident = world.incident()
    resource = world.resource(kind="sampling_team")
    requested = world.commander.post("/dispatches", {"incident": incident, "kind": "sampling_team", "quantity": 1})
    assert requested.status_code == 201 and requested.headers["location"].endswith(requested.json()["id"])
    dispatch = requested.json()["id"]
    assert states(world, requested.json()["position"]) == {"requested": 1}
    committed = world.commander.ok(f"/dispatches/{dispatch}/commit", {"resource": resource})
    assert committed["version"] == 2 and states(world, committed["position"]) == {"committed": 1}
    world.commander.ok(f"/dispatches/{dispatch}/depart")
    arrived = world.commander.ok(f"/dispatches/{dispatch}/arrive", {"occurred_at": "2026-03-01T09:00:00+08:00"})
    assert states(world, arrived["position"]) == {"on_scene": 1}
    released = world.commander.ok(f"/dispatches/{dispatch}/release", {"reason": "采样完成"})
    assert states(world, released["position"]) == {"released": 1}
    # The resource is free again: a second dispatch can commit it.
    second = world.commander.created("/dispatches", {"incident": incident, "kind": "sampling_team"})
    world.commander.ok(f"/dispatches/{second}/commit", {"resource": resource})


def test_steps_out_of_order_are_409_and_record_nothing(world: World) -> None:
    incident = world.incident()
    resource = world.resource()
    dispatch = world.dispatch(incident)
    before = world.head()
    assert_problem(world.commander.post(f"/dispatches/{dispatch}/depart"), 409, "cannot depart", "committed")
    assert_problem(world.commander.post(f"/dispatches/{dispatch}/arrive"), 409, "cannot arrive")
    assert_problem(world.commander.post(f"/dispatches/{dispatch}/release"), 409, "cannot release")
    assert world.head() == before
    world.commander.ok(f"/dispatches/{dispatch}/commit", {"resource": resource})
    assert_problem(world.commander.post(f"/dispatches/{dispatch}/commit", {"resource": resource}), 409)
    world.commander.ok(f"/dispatches/{dispatch}/depart")
    assert_problem(world.commander.post(f"/dispatches/{dispatch}/cancel", {"reason": "x"}), 409, "cannot be cancelled")


def test_commit_refuses_a_busy_or_wrong_kind_of_resource(world: World) -> None:
    incident = world.incident()
    team = world.resource(kind="sampling_team")
    ambulance = world.resource(kind="ambulance")
    first, second = world.dispatch(incident), world.dispatch(incident)
    assert_problem(world.commander.post(f"/dispatches/{first}/commit", {"resource": ambulance}), 409, "ambulance")
    world.commander.ok(f"/dispatches/{first}/commit", {"resource": team})
    assert_problem(world.commander.post(f"/dispatches/{second}/commit", {"resource": team}), 409, "already committed")


def test_cancelling_frees_the_resource(world: World) -> None:
    incident = world.incident()
    team = world.resource()
    first, second = world.dispatch(incident), world.dispatch(incident)
    world.commander.ok(f"/dispatches/{first}/commit", {"resource": team})
    cancelled = world.commander.ok(f"/dispatches/{first}/cancel", {"reason": "需求撤销"})
    assert states(world, cancelled["position"]) == {"cancelled": 1, "requested": 1}
    world.commander.ok(f"/dispatches/{second}/commit", {"resource": team})


def test_bad_requests_are_422_naming_the_field(world: World) -> None:
    incident = world.incident()
    missing = "00000000-0000-0000-0000-000000000000"
    good = {"incident": incident, "kind": "ambulance"}
    cases = [
        ({**good, "quantity": 0}, "quantity"),
        ({**good, "quantity": -3}, "quantity"),
        ({**good, "kind": "tank"}, "kind"),
        ({**good, "incident": missing}, "incident"),
        ({**good, "destination": [104.1, 300]}, "destination.1"),
        ({"kind": "ambulance"}, "incident"),
    ]
    failed = []
    for body, field in cases:
        try:
            assert_problem(world.commander.post("/dispatches", body), 422, field)
        except AssertionError as error:
            failed.append(f"{field}: {error}")
    assert failed == []
    dispatch = world.dispatch(incident)
    assert_problem(world.commander.post(f"/dispatches/{dispatch}/commit", {"resource": missing}), 422, "resource")
    assert_problem(world.commander.post(f"/dispatches/{dispatch}/commit", {}), 422, "resource")
    assert_problem(world.commander.post(f"/dispatches/{missing}/depart"), 404, missing)
    world.commander.ok(f"/incidents/{incident}/close", {"reason": "结束"})
    assert_problem(world.commander.post("/dispatches", {**good, "destination": IN_SHIQIAO}), 409, "closed")
