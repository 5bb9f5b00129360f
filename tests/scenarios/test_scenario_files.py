"""The drill scenarios and the demo county they play in: well-formed, nested, and consistent with each other.

These check the files themselves, before any runner: a scenario that fails here would be refused by
`lianfang drill run` (exit status 2) or would fail halfway through a drill.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Iterator

import geojson
import jsonschema
import pytest
import yaml
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
GEOGRAPHY = SCENARIOS / "demo-county.geojson"
GENERATOR = SCENARIOS / "generate_demo_county.py"
SCENARIO_FILES = sorted(SCENARIOS.glob("*.yaml"))
COUNTY_CODE = "510199"

# The level a jurisdiction's parent has, by the child's level.
PARENT_LEVEL = {"township": ("county",), "street": ("county",), "village": ("township", "street"),
                "community": ("township", "street"), "grid": ("village", "community")}
POINT_FIELDS = ("location", "position", "destination")
AREA_FIELDS = ("area",)
# The `with:` fields that name an earlier-created thing, and the kind of thing they name.
THING_FIELDS = {"incident": "incident", "zone": "zone", "resource": "resource", "dispatch": "dispatch", "task": "task"}
UNIT_FIELDS = ("lead", "unit")


@cache
def jurisdictions() -> dict[str, dict[str, Any]]:
    features = json.loads(GEOGRAPHY.read_text(encoding="utf-8"))["features"]
    return {f["properties"]["code"]: {**f["properties"], "shape": shape(f["geometry"])} for f in features}


def shape_of(code: str) -> BaseGeometry:
    return jurisdictions()[code]["shape"]


@cache
def scenario(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML reads an unquoted timestamp (as in the contract's example) as a datetime; the file means the text.
    if isinstance(doc.get("start"), datetime):
        doc["start"] = doc["start"].isoformat()
    return doc


@cache
def verbs() -> dict[str, dict[str, Any]]:
    return json.loads((SCENARIOS / "verbs.json").read_text(encoding="utf-8"))["verbs"]


@cache
def schema() -> dict[str, Any]:
    return json.loads((SCENARIOS / "scenario.schema.json").read_text(encoding="utf-8"))


def minutes(offset: Any) -> int:
    # Unquoted, YAML 1.1 reads +10:30 as the sexagesimal number 630: offsets must be quoted.
    assert isinstance(offset, str), f"time offset {offset!r} is not text: quote it (\"+HH:MM\")"
    hours, mins = offset.lstrip("+").split(":")
    return int(hours) * 60 + int(mins)


def walk(value: Any) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) pair inside a `with:` mapping, at any depth."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield None, inner
            yield from walk(inner)


def places(inject: dict[str, Any]) -> Iterator[tuple[str, BaseGeometry]]:
    """The points and areas an inject puts on the map."""
    for key, value in walk(inject.get("with", {})):
        if key in POINT_FIELDS:
            yield key, shape(value) if isinstance(value, dict) else Point(value)
        elif key in AREA_FIELDS:
            yield key, shape(value)


scenario_files = pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)


# ── the demo county ──────────────────────────────────────────────────────────

def test_geography_is_a_valid_feature_collection() -> None:
    collection = geojson.loads(GEOGRAPHY.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert collection.is_valid, collection.errors()


def test_every_jurisdiction_is_a_valid_polygon_with_coordinates_to_six_decimals() -> None:
    for code, j in jurisdictions().items():
        assert j["shape"].geom_type in ("Polygon", "MultiPolygon"), code
        assert j["shape"].is_valid and not j["shape"].is_empty, code
    for feature in json.loads(GEOGRAPHY.read_text(encoding="utf-8"))["features"]:
        for _, number in walk(feature["geometry"]["coordinates"]):
            if isinstance(number, float):
                assert round(number, 6) == number, feature["properties"]["code"]


def test_codes_are_unique_and_there_is_exactly_one_county() -> None:
    codes = [f["properties"]["code"] for f in json.loads(GEOGRAPHY.read_text(encoding="utf-8"))["features"]]
    assert len(codes) == len(set(codes))
    counties = [j for j in jurisdictions().values() if j["level"] == "county"]
    assert [c["code"] for c in counties] == [COUNTY_CODE]
    assert counties[0].get("parent") is None


def test_every_child_lies_inside_its_parent_one_level_up() -> None:
    for code, j in jurisdictions().items():
        if j["level"] == "county":
            continue
        parent = jurisdictions()[j["parent"]]
        assert parent["level"] in PARENT_LEVEL[j["level"]], code
        assert code.startswith(parent["code"]), code
        assert parent["shape"].contains(j["shape"].representative_point()), code
        # Children are cut from their parent, so nothing of a child may stick out.
        assert j["shape"].difference(parent["shape"]).area < 1e-12, code


def test_children_tile_their_parent_without_overlap() -> None:
    children: dict[str, list[BaseGeometry]] = {}
    for j in jurisdictions().values():
        if j.get("parent"):
            children.setdefault(j["parent"], []).append(j["shape"])
    for parent, shapes in children.items():
        assert sum(s.area for s in shapes) == pytest.approx(shape_of(parent).area, rel=1e-9), parent


def test_the_county_has_eight_townships_each_with_three_to_five_villages() -> None:
    by_parent: dict[str, list[str]] = {}
    for j in jurisdictions().values():
        by_parent.setdefault(j.get("parent") or "", []).append(j["code"])
    townships = by_parent[COUNTY_CODE]
    assert sorted(townships) == [f"{COUNTY_CODE}{n:03d}" for n in range(1, 9)]
    for township in townships:
        assert 3 <= len(by_parent[township]) <= 5, township


def test_the_contracts_example_point_lies_inside_the_county() -> None:
    assert shape_of(COUNTY_CODE).contains(Point(104.06, 30.67))


def test_the_generator_reproduces_the_committed_file(tmp_path: Path) -> None:
    outputs = []
    for run in ("first", "second"):
        out = tmp_path / f"{run}.geojson"
        subprocess.run([sys.executable, str(GENERATOR), "--out", str(out)], check=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0] == GEOGRAPHY.read_bytes(), "demo-county.geojson is stale: run scenarios/generate_demo_county.py"


# ── the schema and the verbs table ───────────────────────────────────────────

def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())


def test_the_schema_and_the_verbs_table_name_the_same_fields() -> None:
    defs = schema()["$defs"]
    assert defs["inject"]["properties"]["do"]["enum"] == list(verbs())
    for verb, fields in verbs().items():
        with_def = defs[f"with_{verb}"]
        assert with_def["required"] == fields["required"], verb
        assert set(with_def["properties"]) == set(fields["required"] + fields["optional"]), verb


# ── the scenarios ────────────────────────────────────────────────────────────

def test_there_are_at_least_three_scenarios() -> None:
    assert len(SCENARIO_FILES) >= 3


@scenario_files
def test_scenario_validates_against_the_schema(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(scenario(path))]
    assert not errors, "\n".join(errors[:10])


@scenario_files
def test_scenario_plays_in_the_demo_county(path: Path) -> None:
    assert (path.parent / scenario(path)["geography"]).resolve() == GEOGRAPHY


@scenario_files
def test_scenario_has_at_least_forty_injects_over_several_days(path: Path) -> None:
    injects = scenario(path)["injects"]
    assert len(injects) >= 40
    assert minutes(injects[-1]["at"]) >= 72 * 60
    assert len(scenario(path).get("expect", [])) >= 3


@scenario_files
def test_scenario_times_never_go_back(path: Path) -> None:
    for key in ("injects", "expect"):
        times = [minutes(item["at"]) for item in scenario(path).get(key, [])]
        assert times == sorted(times), f"{key} go back in time"


@scenario_files
def test_scenario_names_only_declared_actors(path: Path) -> None:
    actors = scenario(path)["actors"]
    units = {name for name, actor in actors.items() if actor["role"] == "unit"}
    for name, actor in actors.items():
        if actor["role"] == "field":
            assert actor["unit"] in units, f"field team {name} belongs to an unknown unit {actor['unit']}"
        if "jurisdiction" in actor:
            assert actor["jurisdiction"] in jurisdictions(), f"{name}: unknown jurisdiction {actor['jurisdiction']}"
    for n, inject in enumerate(scenario(path)["injects"]):
        assert inject["by"] in actors, f"inject {n} ({inject['at']}): unknown actor {inject['by']}"
        with_ = inject.get("with", {})
        for unit in [with_[f] for f in UNIT_FIELDS if f in with_] + with_.get("cooperating", []):
            assert unit in units, f"inject {n} ({inject['at']}): {unit} is not a unit actor"


@scenario_files
def test_scenario_uses_each_verbs_fields(path: Path) -> None:
    for n, inject in enumerate(scenario(path)["injects"]):
        spec = verbs()[inject["do"]]
        given, allowed = set(inject.get("with", {})), set(spec["required"] + spec["optional"])
        assert set(spec["required"]) <= given, f"inject {n} ({inject['at']}): {inject['do']} misses {set(spec['required']) - given}"
        assert given <= allowed, f"inject {n} ({inject['at']}): {inject['do']} takes no {given - allowed}"


@scenario_files
def test_every_ref_is_defined_earlier_and_names_the_right_kind_of_thing(path: Path) -> None:
    made: dict[str, str] = {}  # ref → kind of thing
    for n, inject in enumerate(scenario(path)["injects"]):
        where = f"inject {n} ({inject['at']} {inject['do']})"
        for key, value in walk(inject.get("with", {})):
            if isinstance(value, str) and value.startswith("$"):
                assert value[1:] in made, f"{where}: {value} is not defined by an earlier inject"
                if key in THING_FIELDS:
                    assert made[value[1:]] == THING_FIELDS[key], f"{where}: {key}: {value} is a {made[value[1:]]}"
        if "ref" in inject:
            assert inject["ref"] not in made, f"{where}: ref {inject['ref']} is defined twice"
            assert verbs()[inject["do"]]["creates"], f"{where}: {inject['do']} creates nothing to name"
            made[inject["ref"]] = verbs()[inject["do"]]["creates"]


@scenario_files
def test_every_point_and_area_lies_inside_the_county(path: Path) -> None:
    county = shape_of(COUNTY_CODE)
    for n, inject in enumerate(scenario(path)["injects"]):
        for key, place in places(inject):
            assert county.contains(place), f"inject {n} ({inject['at']}): {key} is outside the county"


@scenario_files
def test_units_and_their_teams_act_inside_their_jurisdiction(path: Path) -> None:
    # The domain refuses a township's team writing outside its township; a drill would stop there.
    actors = scenario(path)["actors"]
    incident_at: dict[str, Point] = {}
    for n, inject in enumerate(scenario(path)["injects"]):
        if inject["do"] == "report_incident" and "ref" in inject:
            incident_at["$" + inject["ref"]] = Point(inject["with"]["location"])
        actor = actors[inject["by"]]
        if actor["role"] not in ("unit", "field"):
            continue
        unit = actor if actor["role"] == "unit" else actors[actor["unit"]]
        home = shape_of(unit.get("jurisdiction", COUNTY_CODE))
        acted_on = [("incident", incident_at[inject["with"]["incident"]])] if inject["do"] == "file_report" else []
        for key, place in [*places(inject), *acted_on]:
            assert home.contains(place), f"inject {n} ({inject['at']}): {inject['by']}'s {key} is outside its unit's jurisdiction"
