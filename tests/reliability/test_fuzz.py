"""Fuzz: schemathesis against the OpenAPI schema the server serves, every operation, a token of each role.

No input may produce a 5xx, and every answer must match the schema: its status is documented, its
content type is the documented one, its body has the documented shape. Cases are generated both
within the schema (positive) and outside it (negative), on random ids and on ids that exist.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis import checks as generic
from schemathesis.specs.openapi import checks as openapi

from api.main import create_app
from domain.application.settings import Settings
from reliability.served import IN_DONGSHAN, SQUARE_IN_DONGSHAN, Server, World, sizes

pytestmark = pytest.mark.integration

ROLES = ("commander", "unit", "field", "observer")
TALLY = {"cases": 0, "operations": set()}
CHECKS = [generic.not_a_server_error, openapi.status_code_conformance, openapi.content_type_conformance,
          openapi.response_schema_conformance]


def operation_labels() -> list[str]:
    """The operations of the schema, known at collection time (the served schema is checked to be the same)."""
    schema = create_app(Settings(_env_file=None, data_dir=Path("/nonexistent"))).openapi()
    return [f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, World, dict[str, str]]]:
    """A server of its own (fuzzing fills its store with oddities), with one thing of each kind to aim at."""
    directory = tmp_path_factory.mktemp("fuzz")
    server = Server(directory / "var", directory / "serve.log").start()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        world = World.build(server, client)
        c = world.commander
        incident = world.incident()["id"]
        ids = {
            "incident_id": incident,
            "zone_id": c.created("/zones", {"incident": incident, "kind": "sealed", "area": SQUARE_IN_DONGSHAN})["id"],
            "resource_id": c.created("/resources", {"kind": "ambulance", "name": "120急救车", "unit": world.units["dongshan"],
                                                    "position": IN_DONGSHAN})["id"],
            "dispatch_id": c.created("/dispatches", {"incident": incident, "kind": "ambulance"})["id"],
            "task_id": world.task()["id"],
            "alert_id": c.created("/alerts", {"headline": "发热门诊就诊提示", "severity": "Moderate", "urgency": "Expected",
                                              "certainty": "Likely", "area": SQUARE_IN_DONGSHAN, "incident": incident})["id"],
        }
        yield server, world, ids
    server.stop()
    print(f"fuzz: {TALLY['cases']} cases on {len(TALLY['operations'])} operations × {len(ROLES)} roles")
    errors = [line for line in server.output().splitlines() if "Traceback" in line]
    assert not errors, f"the server logged {len(errors)} tracebacks while fuzzed; see {server.log}"


@pytest.fixture(scope="module")
def served_schema(fuzzed: tuple[Server, World, dict[str, str]]) -> Any:
    server, _, _ = fuzzed
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


def test_the_served_schema_is_the_one_the_app_declares(served_schema: Any) -> None:
    served = {op.ok().label for op in served_schema.get_all_operations()}
    assert served == set(operation_labels())


@pytest.mark.parametrize("examples", sizes(3, 60))
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", operation_labels())
def test_no_input_gives_a_5xx_or_breaks_the_schema(fuzzed: tuple[Server, World, dict[str, str]], served_schema: Any,
                                                  label: str, role: str, examples: int) -> None:
    server, world, ids = fuzzed
    operation = served_schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served schema"
    headers = {"authorization": f"Bearer {world.tokens()[role]}"}
    real = {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids}
    strategies = [operation.as_strategy(mode, headers=headers) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    if real:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, headers=headers, path_parameters=real))
    failures: list[str] = []
    sent = []

    @settings(max_examples=examples * len(strategies), deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=False)
    @given(case=st.one_of(strategies))
    def fuzz(case: Any) -> None:
        response = case.call(base_url=server.url, headers=headers, timeout=30)
        sent.append(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, Exception, BaseExceptionGroup) as failure:  # keep going: report them all
            failures.append(f"{case.as_curl_command(headers=headers)}\n{failure}"[:3000])

    fuzz()
    TALLY["cases"] += len(sent)
    TALLY["operations"].add(label)
    assert sent, "no case was generated"
    assert not failures, f"{len(failures)} of {len(sent)} cases failed:\n\n" + "\n\n".join(failures[:3])
