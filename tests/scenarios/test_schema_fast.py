"""jsonschema-rs lets a valid scenario through; it must refuse every document jsonschema finds an error in."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_texts import SCENARIO_FILES

import scenarios.checks as checks
from bench.drill_file import write
from scenarios.located import Located
from scenarios.loader import load
from scenarios.vocabulary import schema

SOME = settings(max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
# Draft 2020-12's keywords that the schema may use: jsonschema-rs implements each as the spec says
# (it passes the JSON-Schema-Test-Suite); a keyword outside this list must be checked before it is used.
KEYWORDS = {"$schema", "$id", "$ref", "$defs", "$comment", "title", "description", "type", "enum", "const",
            "properties", "required", "additionalProperties", "propertyNames", "minProperties", "maxProperties",
            "items", "prefixItems", "minItems", "maxItems", "uniqueItems", "minLength", "maxLength", "pattern",
            "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
            "anyOf", "oneOf", "allOf", "not", "if", "then", "else"}
BY_NAME = ("properties", "$defs")  # mappings of names to schemas
ONE = ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else")
MANY = ("anyOf", "oneOf", "allOf", "prefixItems")


def keywords_of(node: Any) -> set[str]:
    if not isinstance(node, dict):
        return set()
    found = set(node)
    for key, value in node.items():
        if key in BY_NAME:
            found |= set().union(*(keywords_of(v) for v in value.values()))
        elif key in ONE:
            found |= keywords_of(value)
        elif key in MANY:
            found |= set().union(*(keywords_of(v) for v in value))
    return found


def test_the_schema_uses_only_keywords_both_validators_implement() -> None:
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert keywords_of(schema()) <= KEYWORDS, keywords_of(schema()) - KEYWORDS


def test_a_valid_file_is_let_through_without_jsonschema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "drill.yaml", 200)
    monkeypatch.setattr(checks, "_validators", lambda: pytest.fail("jsonschema was asked about a valid file"))
    assert len(load(path).injects) == 200


class Doc:
    """A document as check_schema sees it, every part on line 1."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def line(self, path: Any) -> int:
        return 1


def _valid_documents() -> list[Any]:
    docs = [Located(p.read_text(encoding="utf-8")).value for p in SCENARIO_FILES]
    return docs


TRICKY = st.sampled_from([
    "+01:30", "+01:30\n", "+1:30", "+01:60", "+\u0661\u0662:30", "+12345:00", "", " ", "x", "\n", "$inc1", "$", "$1a", "$a\n",
    "A-b", "a b", "a\n", "2026-03-01T08:00:00+08:00", "2026-03-01T08:00+08:00", "2026-13-01T08:00:00+08:00",
    "2026-03-01T08:00:00Z\n", "2026-03-01T25:00:00Z", "2026-02-30T08:00:00+08:00", "510199", "510199\n", "\u0665\u0661\u0660\u0661\u0669\u0669",
    "51019", "I", "V", "sealed", "Point", "Polygon", "MultiPolygon", "cluster", "Cluster", "ab", "a", "x" * 48,
    "commander", "unit", "field", "observer", "department", "township", "Severe", "report_incident", "zh", "en",
])
NUMBERS = st.sampled_from([0, 1, -1, 2, 100, 101, 2**40, -(2**40), 0.0, 1.0, 0.5, -0.5, 180.0, 180.5, -180.5, 90.0, 91.0,
                           float("nan"), float("inf"), True, False])
LEAVES = st.none() | TRICKY | NUMBERS | st.text(max_size=5) | st.integers() | st.floats()
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TRICKY | st.text(max_size=4), inner, max_size=3),
                      max_leaves=8)
NAMES = st.sampled_from(["at", "by", "do", "with", "ref", "kind", "title", "location", "counts", "new", "position", "incident",
                         "area", "type", "coordinates", "jurisdiction", "role", "name", "unit", "holds", "open_incidents",
                         "cooperating", "due", "quantity", "percent", "zh", "en", "extra"]) | st.text(max_size=4)


def _places(node: Any, into: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            into.append((node, key))
            _places(value, into)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            into.append((node, index))
            _places(value, into)
    return into


@st.composite
def mutated(draw: Any) -> Any:
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = _places(doc, [])
        container, key = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add", "copy", "repeat"]))
        if action == "replace":
            container[key] = draw(VALUES)
        elif action == "drop":
            del container[key]
        elif action == "add" and isinstance(container, dict):
            container[draw(NAMES)] = draw(VALUES)
        elif action == "add":
            container.append(draw(VALUES))
        elif action == "copy":
            source, at = draw(st.sampled_from(places))
            if source is not container or at != key:
                try:
                    container[key] = copy.deepcopy(source[at])
                except (KeyError, IndexError):  # that part went with an earlier change
                    pass
        elif isinstance(container, list):
            container.append(copy.deepcopy(container[key]))
    return doc


BASES = _valid_documents()


@pytest.mark.parametrize("doc", BASES, ids=[p.name for p in SCENARIO_FILES])
def test_the_shipped_scenarios_are_taken_by_both(doc: Any) -> None:
    assert checks._taken_quickly(doc) and not checks._schema_problems(Doc(doc))


@SOME
@given(mutated())
def test_jsonschema_rs_refuses_all_that_jsonschema_refuses(doc: Any) -> None:
    try:
        if checks.check_meaning(Doc(doc), Path("drill.yaml")):
            return  # refused before the schema is asked (as `load` does)
    except TypeError:
        return  # check_meaning trips over some shapes (a list as ref:), so the schema is never asked either
    if checks._schema_problems(Doc(doc)):
        assert not checks._taken_quickly(doc)


@pytest.mark.parametrize("start", ["2026-03-01T08:00+08:00", "2026-13-01T08:00:00+08:00", "2026-03-01T08:00:00+08:00\n"])
def test_a_start_jsonschema_would_refuse_is_not_let_through(start: str) -> None:
    doc = copy.deepcopy(BASES[0])
    doc["start"] = start
    assert not checks._taken_quickly(doc)
