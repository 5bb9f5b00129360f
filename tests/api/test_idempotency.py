"""Idempotency-Key and If-Match, exactly as the contract says; a refusal records nothing."""
from __future__ import annotations

from fastapi.testclient import TestClient

from api.main import create_app
from conftest import IN_DONGSHAN, IN_SHIQIAO, Api, World, assert_problem, key

REPORT = {"kind": "cluster", "title": "幼儿园发热聚集", "location": IN_DONGSHAN, "counts": {"confirmed": 3}}


def test_the_same_key_and_body_answer_the_first_answer_again_and_record_nothing(world: World) -> None:
    k = key()
    first = world.as_field["dongshan"].post("/incidents", REPORT, {"Idempotency-Key": k})
    assert first.status_code == 201
    head = world.head()
    for _ in range(3):
        again = world.as_field["dongshan"].post("/incidents", dict(reversed(list(REPORT.items()))), {"Idempotency-Key": k})
        assert (again.status_code, again.json()) == (201, first.json())
    assert world.head() == head
    board = world.observer.get("/incidents", min_position=head).json()["incidents"]
    assert len(board) == 1


def test_the_same_key_with_a_different_body_or_path_is_409_and_records_nothing(world: World) -> None:
    k = key()
    created = world.commander.ok("/incidents", REPORT, {"Idempotency-Key": k})
    head = world.head()
    assert_problem(world.commander.post("/incidents", {**REPORT, "title": "另一起"}, {"Idempotency-Key": k}), 409, k, "different request")
    assert_problem(world.commander.post(f"/incidents/{created['id']}/reports", {"new": {"confirmed": 1}}, {"Idempotency-Key": k}), 409, k)
    assert world.head() == head


def test_a_step_replayed_later_still_answers_its_first_version_and_position(world: World) -> None:
    incident = world.incident()
    k = key()
    first = world.commander.ok(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}}, {"Idempotency-Key": k})
    world.commander.ok(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}})
    head = world.head()
    again = world.commander.post(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}}, {"Idempotency-Key": k, "If-Match": "2"})
    assert again.status_code == 200 and again.json() == first
    assert world.head() == head
    counts = world.observer.get(f"/incidents/{incident}", min_position=head).json()["incident"]["counts"]
    assert counts["confirmed"] == 5


def test_keys_belong_to_their_caller(world: World) -> None:
    k = key()
    mine = world.as_field["dongshan"].ok("/incidents", REPORT, {"Idempotency-Key": k})
    theirs = world.as_field["health"].ok("/incidents", REPORT, {"Idempotency-Key": k})
    assert mine["id"] != theirs["id"]


def test_a_refused_request_does_not_use_up_its_key(world: World) -> None:
    incident = world.incident()
    k = key()
    assert_problem(world.commander.post(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}}, {"Idempotency-Key": k, "If-Match": "7"}), 409)
    retried = world.commander.post(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}}, {"Idempotency-Key": k, "If-Match": "1"})
    assert retried.status_code == 200 and retried.json()["version"] == 2


def test_bad_keys_are_422(world: World) -> None:
    for bad in ("", "k" * 201):
        assert_problem(world.commander.post("/incidents", REPORT, {"Idempotency-Key": bad}), 422, "Idempotency-Key")


def test_a_stale_version_is_409_and_records_nothing(world: World) -> None:
    incident = world.incident()
    world.commander.ok(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}}, {"If-Match": "1"})
    head = world.head()
    failed = []
    for headers, body in (({"If-Match": "1"}, {}), ({"If-Match": '"1"'}, {}), ({"If-Match": 'W/"3"'}, {}), ({"If-Match": "0"}, {}),
                          ({}, {"expected_version": 1}), ({"If-Match": "99999999999999999999"}, {})):
        response = world.commander.post(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}, **body}, headers)
        if response.status_code != 409 or "version 2" not in response.json()["detail"]:
            failed.append(f"{headers} {body}: {response.status_code} {response.text[:120]}")
    assert failed == []
    assert world.head() == head
    assert world.commander.post(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}, "expected_version": 2}).status_code == 200


def test_if_match_applies_to_every_kind_of_thing(world: World) -> None:
    zone = world.zone(world.incident())
    resource = world.resource()
    task = world.task()
    dispatch = world.dispatch(world.incident(), step="committed", resource=resource)
    for path, body, caller in ((f"/zones/{zone}/lift", None, world.commander),
                               (f"/resources/{resource}/position", {"position": IN_DONGSHAN}, world.commander),
                               (f"/tasks/{task}/claim", None, world.as_unit["dongshan"]),
                               (f"/dispatches/{dispatch}/depart", None, world.commander)):
        head = world.head()
        assert_problem(caller.post(path, body, {"If-Match": "9"}), 409, "not 9")
        assert world.head() == head


def test_a_malformed_or_contradictory_version_is_422(world: World) -> None:
    incident = world.incident()
    head = world.head()
    for headers, body in (({"If-Match": "abc"}, {}), ({"If-Match": "*"}, {}), ({"If-Match": "1, 2"}, {}),
                          ({}, {"expected_version": 0}), ({}, {"expected_version": "one"}),
                          ({"If-Match": "1"}, {"expected_version": 2})):
        response = world.commander.post(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}, **body}, headers)
        assert_problem(response, 422)
    assert world.head() == head


def test_a_key_survives_a_restart(world: World) -> None:
    k = key()
    first = world.commander.ok("/incidents", {**REPORT, "location": IN_SHIQIAO}, {"Idempotency-Key": k})
    world.client.__exit__(None, None, None)  # stop this app: writer, projections, store
    with TestClient(create_app(world.settings)) as client:
        again = Api(client, world.commander.token, "commander").post("/incidents", {**REPORT, "location": IN_SHIQIAO}, {"Idempotency-Key": k})
        assert again.status_code == 201 and again.json() == first
        assert client.get("/healthz").json()["store_head"] == first["position"]  # the incident alone: its key is no event
