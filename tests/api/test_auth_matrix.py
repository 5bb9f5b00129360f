"""Who may do what: role × endpoint × inside/outside the field team's jurisdiction.

Each cell sets up a fresh thing as the commander, then one actor tries one command on it. A denied
command answers 403 and records nothing; no token, or an unknown or revoked one, is 401.
The things belong to 东山镇 (township unit `dongshan`, its field team inside 东山镇); `health` is the county
health bureau (a department over the whole county) and cooperates on 东山镇's tasks; `shiqiao` is a
township with nothing to do with them.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from modes import stored_bytes
from conftest import IN_DONGSHAN, IN_SHIQIAO, SQUARE_IN_DONGSHAN, Api, World, assert_problem, due_in, revoke
from domain.access import token_hash

Setup = Callable[[World], tuple[str, Any]]


def actor(world: World, name: str) -> Api:
    if name in ("commander", "observer"):
        return getattr(world, name)
    role, unit = name.split(":")
    return (world.as_unit if role == "unit" else world.as_field)[unit]


def check(world: World, cells: list[tuple[str, str, int, Setup]]) -> None:
    """Every cell: (label, actor, expected status, setup → (path, body)). Collect every mismatch."""
    failed = []
    for label, name, expected, setup in cells:
        path, body = setup(world)
        before = world.head()
        response = actor(world, name).post(path, body)
        if response.status_code != expected:
            failed.append(f"{label} as {name}: {response.status_code} (expected {expected}) {response.text[:160]}")
        elif expected == 403:
            assert_problem(response, 403)
            if world.head() != before:
                failed.append(f"{label} as {name}: 403 but something was recorded")
    assert failed == [], "\n".join(failed)


def cells(label: str, setup: Setup, **expected: int) -> list[tuple[str, str, int, Setup]]:
    """One command tried by several actors: cells("claim", setup, **{"unit:dongshan": 200, ...})."""
    return [(label, name, status, setup) for name, status in expected.items()]


ONLY_COMMANDER = {"commander": 200, "unit:dongshan": 403, "unit:health": 403, "field:dongshan": 403, "observer": 403}


def test_incident_commands_by_role_and_place(world: World) -> None:
    report = {"kind": "cluster", "title": "发热", "location": IN_DONGSHAN}
    check(world, [
        *cells("report_incident inside 东山镇", lambda w: ("/incidents", report),
               **{"commander": 201, "unit:dongshan": 201, "unit:shiqiao": 403, "field:dongshan": 201, "field:health": 201,
                  "unit:health": 201, "observer": 403}),
        *cells("report_incident inside 石桥镇", lambda w: ("/incidents", {**report, "location": IN_SHIQIAO}),
               **{"commander": 201, "field:dongshan": 403, "field:shiqiao": 201}),
        *cells("report_incident in 东山镇 naming 石桥镇's code", lambda w: ("/incidents", {**report, "jurisdiction": "510199005"}),
               **{"commander": 201, "field:dongshan": 403}),
        *cells("file_report on an incident in 东山镇", lambda w: (f"/incidents/{w.incident()}/reports", {"new": {"confirmed": 1}}),
               **{"commander": 200, "unit:dongshan": 200, "field:dongshan": 200, "field:health": 200,
                  "field:shiqiao": 403, "observer": 403}),
        *cells("file_report on 东山镇's incident from a point in 石桥镇",
               lambda w: (f"/incidents/{w.incident()}/reports", {"new": {"confirmed": 1}, "position": IN_SHIQIAO}),
               **{"commander": 200, "field:dongshan": 403}),
        *cells("file_report on 石桥镇's incident from a point in 东山镇",
               lambda w: (f"/incidents/{w.incident(at=IN_SHIQIAO)}/reports", {"new": {"confirmed": 1}, "position": IN_DONGSHAN}),
               **{"field:dongshan": 403, "field:shiqiao": 403, "field:health": 200}),
        *cells("set_level", lambda w: (f"/incidents/{w.incident()}/level", {"level": "II", "reason": "扩散"}), **ONLY_COMMANDER),
        *cells("close_incident", lambda w: (f"/incidents/{w.incident()}/close", {"reason": "结束"}), **ONLY_COMMANDER),
    ])


def test_a_field_report_on_an_incident_just_reported_elsewhere_is_refused_at_once(world: World) -> None:
    """The jurisdiction check must not depend on the read side having caught up."""
    failed = []
    for _ in range(5):
        incident = world.incident(at=IN_SHIQIAO)
        response = world.as_field["dongshan"].post(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}})
        if response.status_code != 403:
            failed.append(response.status_code)
    assert failed == []


def test_zone_commands_are_the_commanders(world: World) -> None:
    declare = lambda w: ("/zones", {"incident": w.incident(), "kind": "sealed", "area": SQUARE_IN_DONGSHAN})  # noqa: E731
    check(world, [
        *cells("declare_zone", declare, **{**ONLY_COMMANDER, "commander": 201}),
        *cells("downgrade_zone", lambda w: (f"/zones/{w.zone(w.incident())}/downgrade", None), **ONLY_COMMANDER),
        *cells("lift_zone", lambda w: (f"/zones/{w.zone(w.incident())}/lift", {"reason": "解除"}), **ONLY_COMMANDER),
    ])


def test_resource_commands_by_owner_and_place(world: World) -> None:
    register = lambda w: ("/resources", {"kind": "ambulance", "name": "120", "unit": w.units["dongshan"], "position": IN_DONGSHAN})  # noqa: E731
    check(world, [
        *cells("register_resource for 东山镇", register,
               **{"commander": 201, "unit:dongshan": 201, "unit:shiqiao": 403, "field:dongshan": 403, "observer": 403}),
        *cells("move 东山镇's resource within 东山镇", lambda w: (f"/resources/{w.resource()}/position", {"position": IN_DONGSHAN}),
               **{"commander": 200, "unit:dongshan": 200, "unit:shiqiao": 403, "field:dongshan": 200,
                  "field:shiqiao": 403, "field:health": 403, "observer": 403}),
        *cells("move 东山镇's resource into 石桥镇", lambda w: (f"/resources/{w.resource()}/position", {"position": IN_SHIQIAO}),
               **{"commander": 200, "unit:dongshan": 403, "field:dongshan": 403, "field:shiqiao": 403}),
    ])


def test_dispatch_commands_by_owner_and_place(world: World) -> None:
    def committed(step: str, at: list[float] = IN_DONGSHAN) -> Setup:
        def setup(w: World) -> tuple[str, Any]:
            dispatch = w.dispatch(w.incident(at=at), step=step, resource=w.resource())
            return f"/dispatches/{dispatch}/{ {'committed': 'depart', 'en_route': 'arrive', 'on_scene': 'release'}[step]}", None
        return setup

    def to_commit(w: World) -> tuple[str, Any]:
        return f"/dispatches/{w.dispatch(w.incident())}/commit", {"resource": w.resource()}

    def to_cancel(w: World) -> tuple[str, Any]:
        return f"/dispatches/{w.dispatch(w.incident(), step='committed', resource=w.resource())}/cancel", {"reason": "撤销"}

    def to_cancel_own(w: World) -> tuple[str, Any]:
        dispatch = w.as_unit["dongshan"].created("/dispatches", {"incident": w.incident(), "kind": "sampling_team"})
        return f"/dispatches/{dispatch}/cancel", {"reason": "撤销"}

    steps = {"commander": 200, "unit:dongshan": 200, "field:dongshan": 200, "unit:shiqiao": 403, "field:shiqiao": 403,
             "field:health": 403, "observer": 403}
    check(world, [
        *cells("request_dispatch", lambda w: ("/dispatches", {"incident": w.incident(), "kind": "sampling_team"}),
               **{"commander": 201, "unit:dongshan": 201, "unit:shiqiao": 403, "unit:health": 201, "field:dongshan": 403,
                  "observer": 403}),
        *cells("commit 东山镇's resource", to_commit,
               **{"commander": 200, "unit:dongshan": 200, "unit:shiqiao": 403, "field:dongshan": 403, "observer": 403}),
        *cells("depart", committed("committed"), **steps),
        *cells("arrive", committed("en_route"), **steps),
        *cells("release", committed("on_scene"), **steps),
        *cells("depart to an incident in 石桥镇", committed("committed", IN_SHIQIAO),
               **{"commander": 200, "unit:dongshan": 403, "field:dongshan": 403}),
        *cells("arrive at an incident in 石桥镇", committed("en_route", IN_SHIQIAO), **{"field:dongshan": 403}),
        *cells("cancel_dispatch the commander requested", to_cancel,
               **{"commander": 200, "unit:dongshan": 403, "unit:shiqiao": 403, "field:dongshan": 403, "observer": 403}),
        *cells("cancel_dispatch 东山镇 requested", to_cancel_own,
               **{"commander": 200, "unit:dongshan": 200, "unit:shiqiao": 403, "unit:health": 403, "field:dongshan": 403}),
    ])


def test_task_commands_by_lead_and_cooperating_units(world: World) -> None:
    def on_task(step: str, body: Any = None, claimed: bool = True, supervised: bool = False) -> Setup:
        def setup(w: World) -> tuple[str, Any]:
            task = w.task(lead="dongshan", cooperating=("health",))
            if claimed:
                w.as_unit["dongshan"].ok(f"/tasks/{task}/claim")
            if supervised:
                w.commander.ok(f"/tasks/{task}/supervise", {"notice": "请报告", "answer_by": due_in(24)})
            return f"/tasks/{task}/{step}", body
        return setup

    lead_only = {"unit:dongshan": 200, "unit:health": 403, "unit:shiqiao": 403, "commander": 403, "field:dongshan": 403, "observer": 403}
    assign = lambda w: ("/tasks", {"title": "排查", "lead": w.units["dongshan"], "due": due_in(48)})  # noqa: E731
    check(world, [
        *cells("assign_task", assign, **{**ONLY_COMMANDER, "commander": 201}),
        *cells("claim_task", on_task("claim", claimed=False), **lead_only),
        *cells("report_progress", on_task("progress", {"percent": 30}), **{**lead_only, "unit:health": 200}),
        *cells("complete_task", on_task("complete"), **lead_only),
        *cells("refuse_task", on_task("refuse", {"reason": "非本单位职责"}, claimed=False), **lead_only),
        *cells("supervise_task", on_task("supervise", {"notice": "请于明日前报告", "answer_by": due_in(24)}), **ONLY_COMMANDER),
        *cells("answer_supervision", on_task("answer", {"answer": "已部署"}, supervised=True), **lead_only),
    ])


def test_units_and_alerts_are_the_commanders(world: World) -> None:
    alert = {"headline": "东山镇松林村实行封控", "severity": "Severe", "urgency": "Immediate", "certainty": "Observed",
             "area": SQUARE_IN_DONGSHAN}
    check(world, [
        *cells("register_unit", lambda w: ("/units", {"name": "县民政局", "kind": "department", "jurisdiction": "510199"}),
               **{**ONLY_COMMANDER, "commander": 201, "unit:health": 403}),
        *cells("issue_alert", lambda w: ("/alerts", alert), **{**ONLY_COMMANDER, "commander": 201}),
    ])


READS = ["/map", "/incidents", "/ledger", "/indicators", "/audit", "/audit/verify", "/events", "/units"]


def test_every_role_reads_and_nobody_reads_without_a_valid_token(world: World) -> None:
    incident = world.incident()
    paths = [*READS, f"/incidents/{incident}"]
    failed = []
    for path in paths:
        for name in ("commander", "observer", "unit:shiqiao", "field:dongshan"):
            if (status := actor(world, name).get(path).status_code) != 200:
                failed.append(f"{name} GET {path}: {status}")
        for headers in ({}, {"Authorization": "Bearer lf_not-a-token"}, {"Authorization": "Basic dXNlcjpwYXNz"},
                        {"Authorization": "Bearer " + "x" * 5000}):
            response = world.client.get(f"/api/v1{path}", headers=headers)
            if response.status_code != 401 or response.headers.get("www-authenticate") != "Bearer":
                failed.append(f"GET {path} with {headers!s:.40}: {response.status_code}")
    assert failed == []


COMMANDS = [
    ("/incidents", {"kind": "cluster", "title": "t", "location": IN_DONGSHAN}),
    ("/incidents/{id}/reports", {"new": {"confirmed": 1}}), ("/incidents/{id}/level", {"level": "I", "reason": "r"}),
    ("/incidents/{id}/close", {"reason": "r"}), ("/zones", {}), ("/zones/{id}/downgrade", None), ("/zones/{id}/lift", None),
    ("/resources", {}), ("/resources/{id}/position", {"position": IN_DONGSHAN}), ("/dispatches", {}),
    *[(f"/dispatches/{{id}}/{step}", None) for step in ("commit", "depart", "arrive", "release", "cancel")],
    ("/tasks", {}), *[(f"/tasks/{{id}}/{step}", None) for step in ("claim", "progress", "complete", "refuse", "supervise", "answer")],
    ("/units", {"name": "x", "kind": "department"}), ("/alerts", {}),
]


def test_every_command_without_a_valid_token_is_401_and_records_nothing(world: World) -> None:
    incident = world.incident()
    revoked = world.token("commander")
    assert world.client.get("/api/v1/map", headers={"Authorization": f"Bearer {revoked}"}).status_code == 200
    revoke(world.settings, revoked)
    # Revoked by the CLI, another writer of the store: the API trusts a token it checked for TOKEN_TRUST_SECONDS
    # (0.5 s) unless its own read side has seen the TokenRevoked; wait for that, then every command is a 401.
    deadline = time.monotonic() + 10
    while world.client.get("/api/v1/map", headers={"Authorization": f"Bearer {revoked}"}).status_code != 401:
        assert time.monotonic() < deadline, "a revoked token was still accepted 10 s later"
        time.sleep(0.05)
    before = world.head()
    failed = []
    for token in (None, "lf_unknown", revoked):
        for path, body in COMMANDS:
            response = Api(world.client, token, "caller").post(path.format(id=incident), body)
            if response.status_code != 401:
                failed.append(f"{path} with {token!s:.12}: {response.status_code}")
    assert failed == []
    assert world.head() == before


def test_a_token_is_stored_only_as_its_hash(world: World) -> None:
    secret = world.token("field", "dongshan")
    assert Api(world.client, secret, "field").post("/incidents", {"kind": "cluster", "title": "t", "location": IN_DONGSHAN}).status_code == 201
    world.head()
    stored = stored_bytes(world.settings)
    assert secret.encode() not in stored
    assert token_hash(secret).encode() in stored
    log = world.observer.get("/events", limit=5000).text
    assert secret not in log
