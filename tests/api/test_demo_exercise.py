"""`make run` shows a living county: beside the live store, `serve --demo` plays the bundled drill in a drill store
of its own, served on the next port and marked as an exercise, which a newcomer opens with a one-time link."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

DEADLINE = 60  # seconds for the servers to start, and for the exercise to move on


def free_port_pair() -> int:
    """A port P with P + 1 free too (the live server, then its exercise)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue


def until(condition, what: str):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {DEADLINE} s: {what}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    port = free_port_pair()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANFANG_")}
    env |= {"LIANFANG_DATA_DIR": str(tmp_path / "var"), "LIANFANG_PORT": str(port), "LIANFANG_DEMO_DRILL_SPEED": "3600"}
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--demo"], env=env, stdout=log,
                              stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[2])
    try:
        links = until(lambda: re.findall(r"http://\S+#enrol=\S+", (tmp_path / "serve.log").read_text()) if
                      len(re.findall(r"#enrol=", (tmp_path / "serve.log").read_text())) >= 2 else None
                      if server.poll() is None else pytest.fail((tmp_path / "serve.log").read_text()),
                      "the two sign-in links are printed")
        until(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), "the live server answers")
        yield f"http://127.0.0.1:{port}", links
    finally:
        server.terminate()
        server.wait(20)
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.TransportError:
        return False


def redeem(link: str) -> tuple[str, str]:
    base, code = link.split("/#enrol=")
    answer = httpx.post(f"{base}/api/v1/enrolments/redeem", json={"code": code, "device": "newcomer-laptop"})
    assert answer.status_code == 201, answer.text
    return base, answer.json()["token"]


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
