"""One authorization matrix, role × command × inside or outside the jurisdiction × own or other unit, run through
the API (real HTTP) and through the drill runner (a drill store of its own): both answer as the table says.

Each case sets up its things as the commander (or a unit), then one actor tries one command. Through the API a
refusal is a 403 that records nothing; in a drill, the inject is refused with the same words.
The places and units are those of tests/api/conftest.py: 东山镇 and 石桥镇 are townships, `health` is the county
health bureau (a department whose jurisdiction is the county).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import COUNTY, DONGSHAN, IN_DONGSHAN, IN_SHIQIAO, SHIQIAO, World, assert_problem, due_in

from domain.application.settings import Settings
from scenarios.loader import load
from scenarios.local import run_in_store
from scenarios.runner import InjectRefused
from scenarios.via import PATHS

GEOGRAPHY = Path(__file__).resolve().parents[2] / "scenarios" / "demo-county.geojson"
TARGETS = {"file_report": "incident", "set_level": "incident", "move_resource": "resource", "commit_dispatch": "dispatch",
           "depart": "dispatch", "arrive": "dispatch", "cancel_dispatch": "dispatch", "claim_task": "task"}
Step = tuple[str, str, dict[str, Any], str | None]  # by, command, fields ("$ref" a thing, "@unit" a unit), ref


def report(at: list[float], **more: Any) -> dict[str, Any]:
    return {"kind": "cluster", "title": "幼儿园发热聚集", "location": at, "counts": {"confirmed": 3}, **more}


def resource(at: list[float] = IN_DONGSHAN) -> dict[str, Any]:
    return {"kind": "sampling_team", "name": "东山镇采样队", "unit": "@dongshan", "position": at}


REQUEST = {"incident": "$incident", "kind": "sampling_team", "quantity": 1}


def given(what: str) -> list[Step]:
    """The things a case acts on, set up before its one command (its incident in 东山镇 unless said otherwise)."""
    incident: list[Step] = [("commander", "report_incident", report(IN_DONGSHAN), "incident")]
    owned: list[Step] = [("commander", "register_resource", resource(), "resource")]
    requested = [*incident, *owned, ("commander", "request_dispatch", REQUEST, "dispatch")]
    committed = [*requested, ("commander", "commit_dispatch", {"dispatch": "$dispatch", "resource": "$resource"}, None)]
    return {
        "nothing": [],
        "an incident": incident,
        "a resource": owned,
        "a committed dispatch": committed,
        "a dispatch the commander requested": requested,
        "a dispatch 东山镇 requested": [*incident, ("unit:dongshan", "request_dispatch", REQUEST, "dispatch")],
        "a task led by 东山镇": [("commander", "assign_task", {"title": "排查", "lead": "@dongshan", "due": "DUE"}, "task")],
    }[what.removesuffix(" in 石桥镇")]


@dataclass(frozen=True)
class Case:
    by: str
    command: str
    fields: dict[str, Any]
    given: str
    allowed: bool

    def __str__(self) -> str:
        return f"{self.command} {self.fields} given {self.given} by {self.by}"


def case(by: str, command: str, fields: dict[str, Any], allowed: bool, on: str = "nothing") -> Case:
    return Case(by, command, fields, on, allowed)


YES, NO = True, False
MATRIX = [
    # incidents: a field team and (new) a unit act only inside their unit's jurisdiction; the county's unit anywhere
    case("field:dongshan", "report_incident", report(IN_DONGSHAN), YES),
    case("field:dongshan", "report_incident", report(IN_SHIQIAO), NO),
    case("unit:dongshan", "report_incident", report(IN_DONGSHAN), YES),
    case("unit:shiqiao", "report_incident", report(IN_DONGSHAN), NO),
    case("unit:dongshan", "report_incident", report(IN_DONGSHAN, jurisdiction=SHIQIAO), NO),
    case("unit:health", "report_incident", report(IN_SHIQIAO, jurisdiction=DONGSHAN), YES),
    case("observer", "report_incident", report(IN_DONGSHAN), NO),
    case("unit:dongshan", "file_report", {"incident": "$incident", "new": {"confirmed": 1}}, YES, "an incident"),
    case("unit:shiqiao", "file_report", {"incident": "$incident", "new": {"confirmed": 1}}, NO, "an incident"),
    case("field:shiqiao", "file_report", {"incident": "$incident", "new": {"confirmed": 1}}, NO, "an incident"),
    case("unit:dongshan", "file_report", {"incident": "$incident", "new": {"confirmed": 1}, "position": IN_SHIQIAO}, NO,
         "an incident"),
    case("unit:dongshan", "set_level", {"incident": "$incident", "level": "II", "reason": "扩散"}, NO, "an incident"),
    case("commander", "set_level", {"incident": "$incident", "level": "II", "reason": "扩散"}, YES, "an incident"),
    # resources: the owning unit, inside its jurisdiction
    case("unit:dongshan", "register_resource", resource(), YES),
    case("unit:dongshan", "register_resource", resource(IN_SHIQIAO), NO),
    case("unit:shiqiao", "register_resource", {**resource(), "position": IN_SHIQIAO}, NO),
    case("unit:dongshan", "move_resource", {"resource": "$resource", "position": IN_SHIQIAO}, NO, "a resource"),
    case("field:dongshan", "move_resource", {"resource": "$resource", "position": IN_DONGSHAN}, YES, "a resource"),
    case("unit:shiqiao", "move_resource", {"resource": "$resource", "position": IN_DONGSHAN}, NO, "a resource"),
    case("commander", "move_resource", {"resource": "$resource", "position": IN_SHIQIAO}, YES, "a resource"),
    # dispatches: requested for a place inside the unit's jurisdiction, stepped by the owner there
    case("unit:dongshan", "request_dispatch", REQUEST, YES, "an incident"),
    case("unit:shiqiao", "request_dispatch", REQUEST, NO, "an incident"),
    case("unit:health", "request_dispatch", REQUEST, YES, "an incident"),
    case("unit:dongshan", "request_dispatch", {**REQUEST, "destination": IN_SHIQIAO}, NO, "an incident"),
    case("field:dongshan", "request_dispatch", REQUEST, NO, "an incident"),
    case("field:dongshan", "depart", {"dispatch": "$dispatch"}, YES, "a committed dispatch"),
    case("unit:shiqiao", "depart", {"dispatch": "$dispatch"}, NO, "a committed dispatch"),
    case("field:dongshan", "depart", {"dispatch": "$dispatch"}, NO, "a committed dispatch in 石桥镇"),
    case("unit:dongshan", "depart", {"dispatch": "$dispatch"}, NO, "a committed dispatch in 石桥镇"),
    case("commander", "depart", {"dispatch": "$dispatch"}, YES, "a committed dispatch in 石桥镇"),
    # cancelling: the unit that requested the dispatch, or the command center
    case("unit:dongshan", "cancel_dispatch", {"dispatch": "$dispatch"}, NO, "a dispatch the commander requested"),
    case("commander", "cancel_dispatch", {"dispatch": "$dispatch"}, YES, "a dispatch 东山镇 requested"),
    case("unit:dongshan", "cancel_dispatch", {"dispatch": "$dispatch"}, YES, "a dispatch 东山镇 requested"),
    case("unit:health", "cancel_dispatch", {"dispatch": "$dispatch"}, NO, "a dispatch 东山镇 requested"),
    # tasks: the lead unit claims
    case("unit:dongshan", "claim_task", {"task": "$task"}, YES, "a task led by 东山镇"),
    case("unit:shiqiao", "claim_task", {"task": "$task"}, NO, "a task led by 东山镇"),
]
Answer = tuple[bool, str | None]  # allowed, and the refusal's words


def steps_of(one: Case) -> list[Step]:
    at = IN_SHIQIAO if one.given.endswith("in 石桥镇") else IN_DONGSHAN
    setup = [(by, name, {**fields, "location": at} if name == "report_incident" else fields, ref)
             for by, name, fields, ref in given(one.given)]
    return [*setup, (one.by, one.command, one.fields, None)]


# -- through the API ---------------------------------------------------------------------------------------------


def through_api(world: World, one: Case) -> Answer:
    made: dict[str, str] = {}
    for number, (by, name, fields, ref) in enumerate(steps := steps_of(one)):
        body = {k: _api_value(world, made, v) for k, v in fields.items() if k != TARGETS.get(name)}
        target = made[fields[TARGETS[name]][1:]] if name in TARGETS else None
        before = world.head()
        response = _api_actor(world, by).post(PATHS[name].to(target), body)
        if number < len(steps) - 1:
            assert response.status_code < 300, f"{one}: setup {name} answered {response.status_code} {response.text}"
        elif response.status_code >= 300:
            assert_problem(response, 403)
            assert world.head() == before, f"{one}: refused, but something was recorded"
            return False, response.json()["detail"]
        if ref:
            made[ref] = response.json()["id"]
    return True, None


def _api_actor(world: World, name: str) -> Any:
    if name in ("commander", "observer"):
        return getattr(world, name)
    role, unit = name.split(":")
    return (world.as_unit if role == "unit" else world.as_field)[unit]


def _api_value(world: World, made: dict[str, str], value: Any) -> Any:
    if value == "DUE":
        return due_in(30)
    if isinstance(value, str) and value[:1] == "$":
        return made[value[1:]]
    if isinstance(value, str) and value[:1] == "@":
        return world.units[value[1:]]
    return value


# -- through the drill runner ------------------------------------------------------------------------------------

ACTORS = {
    "cmd": {"role": "commander", "name": "县指挥部"}, "obs": {"role": "observer", "name": "观察员"},
    "health": {"role": "unit", "name": "health", "kind": "department", "jurisdiction": COUNTY},
    "dongshan": {"role": "unit", "name": "dongshan", "kind": "township", "jurisdiction": DONGSHAN},
    "shiqiao": {"role": "unit", "name": "shiqiao", "kind": "township", "jurisdiction": SHIQIAO},
    **{f"f-{unit}": {"role": "field", "unit": unit, "name": f"field-{unit}"} for unit in ("health", "dongshan", "shiqiao")},
}


def _drill_actor(name: str) -> str:
    if name in ("commander", "observer"):
        return {"commander": "cmd", "observer": "obs"}[name]
    role, unit = name.split(":")
    return unit if role == "unit" else f"f-{unit}"


def _drill_value(value: Any) -> Any:
    if value == "DUE":
        return "+30:00"
    return value[1:] if isinstance(value, str) and value[:1] == "@" else value


def through_drill(folder: Path, number: int, one: Case) -> Answer:
    injects = []
    for minute, (by, name, fields, ref) in enumerate(steps_of(one), start=1):
        inject = {"at": f"+00:{minute:02d}", "by": _drill_actor(by), "do": name,
                  "with": {k: _drill_value(v) for k, v in fields.items()}}
        injects.append({**inject, "ref": ref} if ref else inject)
    scenario = {"scenario": f"权限矩阵{number}", "start": "2026-03-01T08:00:00+08:00", "geography": str(GEOGRAPHY),
                "actors": ACTORS, "injects": injects}
    path = folder / f"case{number}.yaml"
    path.write_text(json.dumps(scenario, ensure_ascii=False), encoding="utf-8")  # JSON is YAML, with no aliases
    try:
        run_in_store(load(path), folder / f"store{number}", live=Settings(data_dir=folder / "live"))
    except InjectRefused as refusal:
        assert refusal.inject.number == len(injects), f"{one}: setup refused: {refusal}"
        return False, refusal.detail
    return True, None


@pytest.fixture(scope="module")
def drill_answers(tmp_path_factory: pytest.TempPathFactory) -> list[Answer]:
    """The drill runner's answer to every case (once: a drill store is SQLite in both modes)."""
    folder = tmp_path_factory.mktemp("matrix")
    return [through_drill(folder, number, one) for number, one in enumerate(MATRIX)]


def test_the_api_and_the_drill_runner_answer_every_case_of_the_matrix_alike(live_world: World,
                                                                          drill_answers: list[Answer]) -> None:
    failed = []
    for one, drilled in zip(MATRIX, drill_answers):
        served = through_api(live_world, one)
        if served[0] != one.allowed or drilled[0] != one.allowed:
            failed.append(f"{one}: expected {'allowed' if one.allowed else 'refused'}; API {served}, drill {drilled}")
        elif served != drilled:
            failed.append(f"{one}: the API and the drill disagree: API {served}, drill {drilled}")
    assert failed == [], "\n".join(failed)
