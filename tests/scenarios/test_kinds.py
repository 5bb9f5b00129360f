"""Kinds are the county's own catalogue: a scenario may declare its own in its header, for its drill store;
an undeclared kind is refused with its line and where kinds are declared; export carries the kinds along."""
from __future__ import annotations

from pathlib import Path

import pytest

from domain.application import Coordination
from domain.application.eventstore import store_env
from domain.application.settings import Settings
from scenario_texts import SMALL, write
from scenarios.export import export
from scenarios.loader import ScenarioError, load
from scenarios.local import run_in_store
from scenarios.review import replay

HEADER = """kinds:
  resource:
    pcr_truck: {zh: 核酸检测车, en: PCR testing truck}
actors:"""
DISPATCHING = """  - at: "+01:20"
    by: health
    do: register_resource
    ref: r1
    with: {kind: pcr_truck, name: 县疾控核酸检测车, unit: health, position: [104.06, 30.68], capacity: 2000}
  - at: "+01:30"
    by: cmd
    do: request_dispatch
    ref: d1
    with: {incident: $inc1, kind: pcr_truck, quantity: 1}
  - at: "+01:40"
    by: health
    do: commit_dispatch
    with: {dispatch: $d1, resource: $r1}
expect:"""
TEXT = SMALL.replace("actors:", HEADER, 1).replace("expect:", DISPATCHING, 1).replace(
    "holds: {tasks: {yellow: 1}, dispatches: {}}", "holds: {tasks: {yellow: 1}, dispatches: {committed: 1}}")


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_scenario_dispatches_a_kind_its_header_declares_runs_grades_and_exports(tmp_path: Path) -> None:
    report, store = run_in_store(load(write(tmp_path, TEXT)), tmp_path / "drill", live=Settings(data_dir=tmp_path / "live"))
    assert [c.key for o in report.failed for c in o.checks if not c.held] == []
    assert len(report.outcomes) == 2
    from fastapi.testclient import TestClient

    from api.main import create_app

    with TestClient(create_app(Settings(data_dir=store))) as client:  # the page names the drill store's own kind
        config = client.get("/api/v1/config").json()
    assert config["terms"]["zh"]["resourceKind"]["pcr_truck"] == "核酸检测车"
    assert config["terms"]["en"]["resourceKind"]["pcr_truck"] == "PCR testing truck"
    assert config["order"]["resourceKind"][-1] == "pcr_truck"
    record = replay(store)
    assert record.snapshots[-1].state["kinds"]["resource:pcr_truck"]["zh"] == "核酸检测车"
    again = load(export(store, tmp_path / "exported.yaml"))  # the export declares the same kind: it loads and runs
    assert again.kinds == {"resource": {"pcr_truck": ("核酸检测车", "PCR testing truck")}}
    rerun, _ = run_in_store(again, tmp_path / "rerun", live=Settings(data_dir=tmp_path / "live"))
    assert rerun.failed == [] and rerun.injects == len(again.injects)


def test_an_undeclared_kind_is_refused_with_its_line_and_where_kinds_are_declared(tmp_path: Path) -> None:
    text = TEXT.replace("    pcr_truck: {zh: 核酸检测车, en: PCR testing truck}", "    pcr_van: {zh: 核酸检测车, en: PCR testing van}")
    with pytest.raises(ScenarioError) as refused:
        load(write(tmp_path, text))
    assert refused.value.line == line_of(text, "kind: pcr_truck, name")
    assert "resource kind 'pcr_truck' is unknown" in refused.value.message
    assert "kinds:" in refused.value.message and f"line {line_of(text, 'resource:')}" in refused.value.message
    bare = SMALL.replace("kind: cluster", "kind: anthrax_scare")
    with pytest.raises(ScenarioError) as refused:
        load(write(tmp_path, bare))
    assert refused.value.line == line_of(bare, "anthrax_scare")
    assert "lianfang setup" in refused.value.message and "declares none" in refused.value.message


@pytest.mark.parametrize("kind", ["vaccination_team", "disinfection_team", "mobile_lab", "negative_pressure_ambulance"])
def test_the_default_catalogue_holds_a_countys_public_health_resources(tmp_path: Path, kind: str) -> None:
    scenario = load(write(tmp_path, TEXT.replace(HEADER, "actors:").replace("pcr_truck", kind)))
    assert scenario.kinds == {} and scenario.injects[-2].args["kind"] == kind


def test_a_declared_kind_is_known_to_a_store_reopened_later(tmp_path: Path) -> None:
    from domain.base import Meta
    from domain.commands import Command
    from domain.errors import InvalidInput, Refused
    from domain.application.writer import execute

    meta = Meta(actor="setup", role="commander", source="cli")
    settings = Settings(data_dir=tmp_path / "var")
    app = Coordination(store_env(settings))
    health = execute(app, Command("register_unit", meta, {"name": "县卫健局", "kind": "department"})).id
    resource = {"kind": "drone_team", "name": "无人机消杀组", "unit": str(health), "position": [104.06, 30.68]}
    with pytest.raises(InvalidInput, match="kinds:.*lianfang setup"):
        execute(app, Command("register_resource", meta, resource))
    execute(app, Command("declare_kind", meta, {"group": "resource", "code": "drone_team", "zh": "无人机消杀组", "en": "drone team"}))
    with pytest.raises(Refused, match="already in the catalogue"):
        execute(app, Command("declare_kind", meta, {"group": "resource", "code": "drone_team", "zh": "无人机消杀组", "en": "drone team"}))
    app.close()
    reopened = Coordination(store_env(settings))
    assert execute(reopened, Command("register_resource", meta, resource)).version == 1
    reopened.close()
