"""No input produces a 500: hostile bodies, headers and queries on every command; errors are problem+json."""
from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import IN_DONGSHAN, PROBLEM, SQUARE_IN_DONGSHAN, World, due_in

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def good_bodies(world: World, things: dict[str, str]) -> dict[str, dict[str, Any]]:
    """A valid body for each command path, with {id} standing for the thing acted on."""
    return {
        "/incidents": {"kind": "cluster", "title": "t", "location": IN_DONGSHAN, "counts": {"confirmed": 1}},
        "/incidents/{incident}/reports": {"new": {"confirmed": 1}, "note": "n", "position": IN_DONGSHAN},
        "/incidents/{incident}/level": {"level": "II", "reason": "r"},
        "/zones": {"incident": things["incident"], "kind": "sealed", "area": SQUARE_IN_DONGSHAN},
        "/zones/{zone}/downgrade": {"reason": "r"},
        "/resources": {"kind": "ambulance", "name": "n", "unit": world.units["dongshan"], "position": IN_DONGSHAN},
        "/resources/{resource}/position": {"position": IN_DONGSHAN},
        "/dispatches": {"incident": things["incident"], "kind": "ambulance", "quantity": 1},
        "/dispatches/{dispatch}/commit": {"resource": things["resource"]},
        "/dispatches/{dispatch}/cancel": {"reason": "r"},
        "/tasks": {"title": "t", "lead": world.units["dongshan"], "due": due_in(48), "cooperating": []},
        "/tasks/{task}/supervise": {"notice": "n", "answer_by": due_in(24)},
        "/units": {"name": "n", "kind": "township", "jurisdiction": "510199003"},
    }


def encode(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


def test_no_body_is_a_server_error(world: World) -> None:
    incident = world.incident()
    things = {"incident": incident, "zone": world.zone(incident), "resource": world.resource(kind="ambulance"),
              "dispatch": world.dispatch(incident, kind="ambulance"), "task": world.task()}
    bodies = good_bodies(world, things)
    paths = sorted(bodies)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    @given(path=st.sampled_from(paths), how=st.sampled_from(["field", "extra", "whole"]), value=JSON, data=st.data())
    def hostile(path: str, how: str, value: Any, data: st.DataObject) -> None:
        body = dict(bodies[path])
        if how == "field":
            body[data.draw(st.sampled_from(sorted(body)))] = value
        elif how == "extra":
            body[data.draw(st.text(max_size=8))] = value
        else:
            body = value
        response = world.commander.post(path.format(**things), content=encode(body), headers={"content-type": "application/json"})
        assert response.status_code < 500, (path, body, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith(PROBLEM) and response.json()["detail"], response.text

    hostile()


def test_hostile_headers_and_queries_are_not_server_errors(world: World) -> None:
    incident = world.incident()
    failed = []
    for headers in ({"If-Match": "\u0000"}, {"If-Match": "9" * 400}, {"If-Match": "-1"}, {"Idempotency-Key": "ключ".encode()},
                    {"Content-Type": "application/json; charset=latin-1"}, {"Content-Type": "text/plain"},
                    {"X-Request-Id": "x" * 10_000}):
        response = world.commander.post(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}}, headers)
        if response.status_code >= 500:
            failed.append(f"{headers!s:.60}: {response.status_code}")
    for path, params in (("/map", {"at": "9999-99-99"}), ("/map", {"at": "2026-03-01T08:00:00+99:00"}),
                         ("/incidents", {"min_position": "1e3"}), ("/events", {"limit": math.inf}),
                         ("/audit", {"until": "0001-01-01T00:00:00+00:00"}), ("/ledger", {"at": "1970-01-01T00:00:00+00:00"}),
                         (f"/incidents/{'x' * 65}", {}), ("/incidents/%00", {})):
        response = world.observer.get(path, **params)
        if response.status_code >= 500 or not response.headers["content-type"].startswith(("application/json", PROBLEM)):
            failed.append(f"GET {path} {params}: {response.status_code}")
    assert failed == []
