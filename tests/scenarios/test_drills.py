"""Drills: scenario files refused with their line, run into stores of their own, graded, exported and rerun."""
from __future__ import annotations

import json

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import cli
from scenario_texts import GEOGRAPHY, SCENARIO_FILES, SMALL, write
from domain.application import Coordination
from domain.base import Meta
from domain.commands import Command
from domain.eventstore import store_env
from domain.settings import Settings
from domain.writer import execute
from scenarios.export import export
from scenarios.loader import ScenarioError, load
from scenarios.local import run_in_store
from scenarios.runner import InjectRefused
from scenarios.store import DrillStoreError, event_count

import api.cli_drills  # noqa: F401  (registers the commands)

runner = CliRunner()


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_scenario_runs_with_all_its_expectations_holding(path: Path, tmp_path: Path) -> None:
    scenario = load(path)
    report, store = run_in_store(scenario, tmp_path / "drill", live=Settings(data_dir=tmp_path / "live"))
    failures = [(o.at, c.key, c.expected, c.actual) for o in report.failed for c in o.checks if not c.held]
    assert failures == []
    assert report.injects == len(scenario.injects) >= 40
    assert len(report.outcomes) == len(scenario.expectations)
    assert (store / "expectations.json").is_file()


BROKEN = [
    # (what, old text, new text, the line that carries the fault, words of the message)
    ("unknown actor", "    by: health\n", "    by: nobody\n", "by: nobody", "unknown actor 'nobody'"),
    ("unknown verb", "    do: claim_task\n", "    do: grab_task\n", "do: grab_task", "unknown verb 'grab_task'"),
    ("unknown field", "title: 封控区人员管控,", "title: 封控区人员管控, colour: red,", "colour: red", "has no field 'colour'"),
    ("unknown $ref", "with: {task: $t1}", "with: {task: $t9}", "$t9", "unknown $ref $t9"),
    ("$ref of the wrong kind", "with: {task: $t1}", "with: {task: $z1}", "task: $z1", "$z1 is a zone, not a task"),
    ("unknown unit actor", "lead: health,", "lead: team-a,", "lead: team-a", "'team-a' is not a unit"),
    ("time going backwards", '  - at: "+01:10"', '  - at: "+00:20"', '"+00:20"', "goes back in time"),
    ("due before the inject", 'due: "+30:00"', 'due: "+00:10"', 'due: "+00:10"', "goes back in time"),
    ("invalid geometry", "[104.07, 30.69], [104.05, 30.69]", "[104.05, 30.69], [104.07, 30.69]", "[104.05, 30.69], [104.07, 30.69]", "invalid geometry"),
    ("missing geography", f"geography: {GEOGRAPHY}", "geography: nowhere.geojson", "geography: nowhere", "nowhere.geojson not found"),
    ("schema: unknown kind", "kind: sealed", "kind: closed", "kind: closed", "'closed' is not one of"),
    ("unknown jurisdiction", 'jurisdiction: "510199"}', 'jurisdiction: "519999"}', '"519999"', "unknown jurisdiction code 519999"),
    ("YAML syntax", "    ref: z1\n", "    ref: [z1\n", "ref: [z1", "not valid YAML"),
]


@pytest.mark.parametrize(("what", "old", "new", "needle", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_scenario_is_refused_with_its_line(tmp_path: Path, what: str, old: str, new: str, needle: str, words: str) -> None:
    assert old in SMALL
    text = SMALL.replace(old, new, 1)
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as refused:
        load(path)
    assert refused.value.file == str(path)
    assert words in refused.value.message
    expected_line = line_of(text, needle) if what != "YAML syntax" else line_of(text, needle) + 1
    assert refused.value.line == expected_line, refused.value.message


def test_an_inject_the_domain_refuses_stops_the_drill_at_its_line(small: Path, tmp_path: Path) -> None:
    # The commander cannot claim a task: only its lead unit can.
    text = SMALL.replace("    by: health\n    do: claim_task", "    by: cmd\n    do: claim_task")
    path = write(tmp_path, text)
    with pytest.raises(InjectRefused) as refused:
        run_in_store(load(path), tmp_path / "drill", live=Settings(data_dir=tmp_path / "live"))
    assert refused.value.inject.line == line_of(text, "do: claim_task") - 2
    assert "claim_task is for unit" in str(refused.value)


def test_a_field_team_cannot_report_outside_its_units_jurisdiction(tmp_path: Path) -> None:
    text = SMALL.replace('jurisdiction: "510199"}', 'jurisdiction: "510199003"}')  # 东山镇; the report is in 城关街道
    with pytest.raises(InjectRefused, match="outside"):
        run_in_store(load(write(tmp_path, text)), tmp_path / "drill", live=Settings(data_dir=tmp_path / "live"))


def test_a_drill_leaves_the_live_store_untouched(small: Path, live: Settings) -> None:
    # A live store with a unit in it
    app = Coordination(store_env(live))
    execute(app, Command("register_unit", Meta(actor="ops", role="commander"), {"name": "县卫健局", "kind": "department"}))
    app.close()
    before = event_count(live.data_dir)
    # The drill runs into ./var-like <live>/drills/<slug>-<run>, not into the live store
    result = runner.invoke(cli, ["drill", "run", str(small), "--as-fast-as-possible"])
    assert result.exit_code == 0, result.output
    assert event_count(live.data_dir) == before == 1
    (drill_store,) = (live.data_dir / "drills").iterdir()
    assert drill_store.name.startswith("small-")
    assert event_count(drill_store) > 4
    # Targeting the live store, or a store that holds events but no drill.json, is refused
    refused = runner.invoke(cli, ["drill", "run", str(small), "--store", str(live.data_dir)])
    assert refused.exit_code == 2 and "live store" in refused.output
    foreign = live.data_dir.parent / "foreign"
    app = Coordination(store_env(Settings(data_dir=foreign)))
    execute(app, Command("register_unit", Meta(actor="ops", role="commander"), {"name": "县公安局", "kind": "department"}))
    app.close()
    with pytest.raises(DrillStoreError, match="not a drill store"):
        run_in_store(load(small), foreign, live=live)
    assert event_count(live.data_dir) == before


def test_reruns_give_the_same_ids(small: Path, tmp_path: Path) -> None:
    live = Settings(data_dir=tmp_path / "live")
    ids = []
    for name in ("one", "two"):
        _, store = run_in_store(load(small), tmp_path / name, live=live)
        app = Coordination(store_env(Settings(data_dir=store)))
        ids.append([str(n.originator_id) for n in app.recorder.select_notifications(1, 1000)])
        app.close()
    assert ids[0] == ids[1] and len(ids[0]) > 4


def test_the_command_line_exits_0_1_or_2(small: Path, tmp_path: Path, live: Settings) -> None:
    held = runner.invoke(cli, ["drill", "run", str(small), "--store", str(tmp_path / "a")])
    assert held.exit_code == 0, held.output
    assert "2 of 2 expectations held" in held.output
    wrong = write(tmp_path, SMALL.replace("cases: {confirmed: 3}", "cases: {confirmed: 4}"), "wrong.yaml")
    failed = runner.invoke(cli, ["drill", "run", str(wrong), "--store", str(tmp_path / "b")])
    assert failed.exit_code == 1, failed.output
    assert "confirmed 4" in failed.output and "confirmed 3" in failed.output  # expected against actual
    broken = write(tmp_path, SMALL.replace("    do: claim_task", "    do: grab_task"), "broken.yaml")
    refused = runner.invoke(cli, ["drill", "run", str(broken), "--store", str(tmp_path / "c")])
    assert refused.exit_code == 2
    assert f"broken.yaml:{line_of(SMALL, 'do: claim_task')}" in refused.output
    assert not (tmp_path / "c").exists()  # refused before anything ran


def test_speed_paces_the_drill_against_real_time(small: Path, tmp_path: Path) -> None:
    # 8 simulated hours at 28 800× real time take about one second
    started = time.monotonic()
    report, _ = run_in_store(load(small), tmp_path / "drill", speed=28_800, live=Settings(data_dir=tmp_path / "live"))
    assert 0.9 <= time.monotonic() - started < 5
    assert not report.failed


@pytest.mark.parametrize("path", SCENARIO_FILES[:1], ids=lambda p: p.stem)
def test_an_exported_record_replays_to_the_same_map_and_ledger(path: Path, tmp_path: Path) -> None:
    live = Settings(data_dir=tmp_path / "live")
    report, store = run_in_store(load(path), tmp_path / "first", live=live)
    exported = export(store, tmp_path / "exported.yaml")
    again = load(exported)
    assert len(again.injects) == len(load(path).injects)
    rerun, _ = run_in_store(again, tmp_path / "second", live=live)
    # The exported file carries the first run's expectations: every one holds again, with the same numbers
    assert [o.checks for o in rerun.outcomes] == [o.checks for o in report.outcomes]
    assert rerun.outcomes and not rerun.failed


def test_via_sends_every_inject_through_the_http_api(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.tokens import create_token
    from scenarios.via import run_via

    server = Settings(data_dir=tmp_path / "server")
    (tmp_path / "server").mkdir(parents=True, exist_ok=True)
    marker = {"run": "via", "scenario": "via", "status": "running"}  # a drill store: --via refuses a live one
    (tmp_path / "server" / "drill.json").write_text(json.dumps(marker))
    commander = create_token(server, role="commander", unit=None, name="演练导调")
    # The unit exists before the drill, so that it can hold a token of its own
    app = Coordination(store_env(server))
    execute(app, Command("register_unit", Meta(actor="ops", role="commander"), {"name": "县卫健局", "kind": "department"}))
    app.close()
    health = create_token(server, role="unit", unit="县卫健局", name="卫健局值班")
    wall_clock = write(tmp_path, SMALL.split('  - at: "+08:00"')[0], "wall.yaml")  # colours at +08:00 need the simulated clock
    with TestClient(create_app(server)) as client:
        report = run_via(load(wall_clock), client, [commander, f"health={health}"])
        assert report.injects == 4 and report.outcomes and not report.failed
        events = client.get("/api/v1/events", params={"after": 0, "limit": 100}, headers={"Authorization": f"Bearer {commander}"}).json()
        # Without the unit's own token the claim is the commander's, and the server refuses it
        with pytest.raises(InjectRefused, match="HTTP 403"):
            run_via(load(wall_clock), client, [commander])
    stamped = {e["meta"].get("correlation_id") for e in events["events"] if e["meta"].get("source") == "api"}
    assert {f"drill-{report.run}-{n}" for n in range(1, 5)} <= stamped  # X-Request-Id of each inject
    assert json.loads((tmp_path / "server" / "drill.json").read_text()) == marker  # --via writes no marker of its own


def test_serve_shows_the_drill_on_the_map_while_it_runs(tmp_path: Path) -> None:
    import socket
    import threading
    from urllib.parse import parse_qs, urlparse

    import httpx

    from scenarios.local import Serve

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    later_claim = write(tmp_path, SMALL.replace('  - at: "+01:10"', '  - at: "+06:00"'), "later.yaml")
    urls: list[str] = []
    done: dict[str, object] = {}
    serve = Serve(port=port, on_ready=urls.append, hold=False)
    drill = threading.Thread(target=lambda: done.update(result=run_in_store(
        load(later_claim), tmp_path / "drill", speed=14_400, serve=serve, live=Settings(data_dir=tmp_path / "live"))))
    drill.start()
    deadline = time.monotonic() + 20
    while not urls and time.monotonic() < deadline:
        time.sleep(0.02)
    token = parse_qs(urlparse(urls[0]).query)["access_token"][0]
    seen = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}) as browser:
        while drill.is_alive():
            try:
                answer = browser.get("/api/v1/map", timeout=5)
            except httpx.ConnectError:  # the drill ended and its server closed between the check and the request
                break
            if answer.status_code == 200:
                seen.append((answer.json()["position"], answer.json()["at"], answer.json()["drill"]["run"]))
            time.sleep(0.05)
    drill.join()
    report, _ = done["result"]
    assert not report.failed
    positions = [p for p, _, _ in seen]
    assert len(set(positions)) > 1 and positions == sorted(positions)  # the map moved on as the drill ran
    assert all(at.startswith("2026-03-01") for _, at, _ in seen)  # on the drill's simulated clock
    assert {run for _, _, run in seen} == {report.run}


def test_a_live_record_exports_to_a_scenario_that_replays_the_same(tmp_path: Path) -> None:
    from uuid import uuid4

    from scenarios.review import replay

    # A live store as the API leaves it: actors are token ids, times are the wall clock's
    live = Settings(data_dir=tmp_path / "live")
    app = Coordination(store_env(live))
    desk = Meta(actor=str(uuid4()), role="commander", actor_name="值班指挥员")
    unit = execute(app, Command("register_unit", desk, {"name": "城关街道办事处", "kind": "township", "jurisdiction": "510199001"})).id
    grid = Meta(actor=str(uuid4()), role="field", unit=str(unit), actor_name="北街社区网格员")
    office = Meta(actor=str(uuid4()), role="unit", unit=str(unit), actor_name="街道值班室")
    incident = execute(app, Command("report_incident", grid, {"kind": "cluster", "title": "发热聚集", "location": [104.058, 30.685],
                                                             "counts": {"suspected": 4}})).id
    execute(app, Command("file_report", grid, {"new": {"confirmed": 2}, "note": "首轮检测"}, target=str(incident)))
    due = (datetime.now(timezone(timedelta(hours=8))) + timedelta(hours=30)).isoformat()
    task = execute(app, Command("assign_task", desk, {"title": "入户排查", "lead": str(unit), "due": due})).id
    execute(app, Command("claim_task", office, {}, target=str(task)))
    app.close()
    # Exported, it is a valid scenario whose replay shows the same map and ledger
    result = runner.invoke(cli, ["drill", "export", str(live.data_dir), "-o", str(tmp_path / "incident.yaml")])
    assert result.exit_code == 0, result.output
    scenario = load(tmp_path / "incident.yaml")
    assert {a.role for a in scenario.actors.values()} == {"commander", "unit", "field"}
    assert [i.do for i in scenario.injects] == ["report_incident", "file_report", "assign_task", "claim_task"]
    _, store = run_in_store(scenario, tmp_path / "drill", live=live)
    original, again = replay(live.data_dir).samples[-1], replay(store).samples[-1]
    assert again.counts == original.counts and again.colours == original.colours
    assert runner.invoke(cli, ["drill", "export", str(tmp_path / "nothing")]).exit_code == 2
