"""What the pages learn before and after signing in: the domain's words, colours and the role table, and who a token is."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import World
from fastapi.testclient import TestClient

from api.main import create_app
from api.tokens import create_token

from domain.permissions import MAY
from domain.application.settings import Settings
from domain.values import INCIDENT_KINDS
from domain.zone import ZONE_KINDS


def test_the_config_serves_the_domains_words_colours_and_role_table_without_a_token(world: World) -> None:
    config = world.anonymous.get("/config").json()
    # The words are the domain's own: the same kinds and Chinese names the commands check.
    assert config["terms"]["zh"]["incidentKind"] == INCIDENT_KINDS
    assert config["terms"]["zh"]["zone"] == ZONE_KINDS and config["terms"]["en"]["zone"]["sealed"] == "Sealed zone"
    assert [(row["level"], row["colour"], row["rank"]) for row in config["levels"]] == [
        ("I", "red", 4), ("II", "orange", 3), ("III", "yellow", 2), ("IV", "blue", 1)]
    assert config["palette"]["level"]["red"].startswith("#") and config["zone_steps"] == {"sealed": "controlled", "controlled": "prevention"}
    assert config["may"]["set_level"] == ["commander"] and config["may"]["claim_task"] == ["unit"]
    assert config["may"] == {command: sorted(roles) for command, roles in MAY.items()}


def test_the_config_names_no_path_of_the_server(tmp_path: Path) -> None:
    # A drill store's marker names the scenario file on the server: the banner needs its name, not its path.
    (tmp_path / "drill.json").write_text(json.dumps({
        "run": "r-1", "scenario": "示范县演练", "file": "/srv/secret/scenario.yaml", "geography": "geography.geojson",
        "start": "2026-03-01T08:00:00+08:00", "end": "2026-03-01T12:00:00+08:00", "status": "completed"}))
    token = create_token(Settings(data_dir=tmp_path), role="observer", unit=None, name="大屏")
    with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
        answer = client.get("/api/v1/config")
        situation = client.get("/api/v1/map", headers={"Authorization": f"Bearer {token}"})
        with client.websocket_connect(f"/api/v1/live?access_token={token}") as socket:
            snapshot = socket.receive_text()
    assert answer.json()["drill"] == {"run": "r-1", "scenario": "示范县演练", "start": "2026-03-01T08:00:00+08:00",
                                      "end": "2026-03-01T12:00:00+08:00", "status": "completed"}
    # Nor do the map and the live feed, which carry the same banner to signed-in pages.
    assert situation.json()["drill"] == answer.json()["drill"]
    for text in (answer.text, situation.text, snapshot):
        assert "/srv/secret" not in text and str(tmp_path) not in text


def test_a_token_learns_who_it_is(world: World) -> None:
    me = world.commander.get("/me").json()
    assert (me["role"], me["unit"], me["name"]) == ("commander", None, "县指挥部")
    unit = world.as_unit["dongshan"].get("/me").json()
    assert (unit["role"], unit["unit"]) == ("unit", world.units["dongshan"])
    assert world.observer.get("/me").json()["role"] == "observer"
    assert world.anonymous.get("/me").status_code == 401
