"""`make run` shows a living county: beside the live store, `serve --demo` plays the bundled drill in a drill store
of its own, served on the next port and marked as an exercise, which a newcomer opens with a one-time link."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from demo_server import demo_server, redeem, until


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    with demo_server(tmp_path) as served:
        yield served
    # Stopped while the drill plays (at 3600x it takes six minutes): its store says so, not that it still runs
    (marker,) = (tmp_path / "var" / "drills").glob("kindergarten-fever-cluster-*/drill.json")
    assert json.loads(marker.read_text())["status"] == "interrupted"


def test_the_demo_serves_the_bundled_drill_as_an_exercise_that_moves_on(demo: tuple[str, list[str]]) -> None:
    live_url, (live_link, exercise_link) = demo
    # The live map offers the exercise: its config names it, apart from the live store (which is no drill)
    config = httpx.get(f"{live_url}/api/v1/config").json()
    assert config["drill"] is None
    assert config["exercise"]["scenario"] == "示范县城关街道幼儿园发热聚集性疫情应急演练"
    exercise_url = config["exercise"]["url"].rstrip("/")
    assert exercise_link.startswith(f"{exercise_url}/#enrol=") and exercise_url != live_url
    # A newcomer signed in to the live map gets a one-time link into the exercise from the live server
    _, live_token = redeem(live_link)
    offered = httpx.post(f"{live_url}/api/v1/exercise/sign-in", headers={"Authorization": f"Bearer {live_token}"})
    assert offered.status_code == 201, offered.text
    _, token = redeem(offered.json()["link"])
    # The exercise's own server: marked as an exercise, a drill store, and its position advances as it plays
    drill = httpx.get(f"{exercise_url}/api/v1/config").json()["drill"]
    assert drill["scenario"] == config["exercise"]["scenario"] and drill["status"] in ("running", "completed")
    me = httpx.get(f"{exercise_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["role"] == "observer"

    def situation() -> dict:
        answer = httpx.get(f"{exercise_url}/api/v1/map", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        return answer.json()

    first = situation()
    assert first["drill"]["run"] == drill["run"]
    later = until(lambda: (s := situation())["position"] > first["position"] and s, "the exercise's position advances")
    until(lambda: situation()["counts"]["open_incidents"] > 0 or situation()["drill"]["status"] == "completed",
          "the drill's incident is reported")
    assert later["drill"]["status"] in ("running", "completed")
    # The live store holds none of the exercise's events
    live_map = httpx.get(f"{live_url}/api/v1/map", headers={"Authorization": f"Bearer {live_token}"}).json()
    assert live_map["drill"] is None and live_map["counts"]["open_incidents"] == 0
