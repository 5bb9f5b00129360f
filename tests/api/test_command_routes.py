"""Every route that sends a command is the catalogue's: its method and path, its body's fields (OpenAPI as served)."""
from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from api.main import create_app
from domain.command_catalogue import COMMANDS

API = "/api/v1"
# POSTs that send no command: a preview that records nothing, a sign-in link to another store.
NOT_COMMANDS = {("post", "/alerts/preview"), ("post", "/exercise/sign-in")}
ROUTED = [c for c in COMMANDS if c.route]


@cache
def openapi() -> dict[str, Any]:
    return create_app().openapi()


def body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    ref = next((s["$ref"] for s in schema.get("anyOf", [schema]) if "$ref" in s), None)
    return openapi()["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def test_every_writing_route_is_a_command_of_the_catalogue() -> None:
    served = {(method, path.removeprefix(API)) for path, operations in openapi()["paths"].items() if path.startswith(API)
              for method in operations if method not in ("get", "head")}
    catalogued = {(c.route.method.lower(), c.route.path) for c in ROUTED}
    assert served - NOT_COMMANDS == catalogued


@pytest.mark.parametrize("spec", ROUTED, ids=lambda c: c.name)
def test_a_commands_route_takes_the_catalogues_fields(spec: Any) -> None:
    operation = openapi()["paths"][API + spec.route.path][spec.route.method.lower()]
    if spec.route.body not in ("json", "json or none"):
        assert f"application/{spec.route.body}" in operation["requestBody"]["content"]
        assert not spec.fields
        return
    schema = body_schema(operation)
    assert schema is not None, f"{spec.name} has no JSON body"
    fields = set(schema.get("properties", {})) - {"expected_version"}
    assert fields == {f.name for f in spec.fields}, spec.name
    assert set(schema.get("required", [])) == {f.name for f in spec.fields if f.required}, spec.name
    assert bool(operation["requestBody"].get("required")) == (spec.route.body == "json"), spec.name
    assert ("{" in spec.route.path) == spec.targeted, spec.name
