"""`lianfang serve --demo` in a process of its own, as `make run` starts it: the live server and its exercise."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def demo_server(tmp_path: Path, speed: float = 3600) -> Iterator[tuple[str, list[str]]]:
    """The live server's address, and the two one-time links it printed (the live map's, the exercise's)."""
    port = free_port_pair()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANFANG_")}
    env |= {"LIANFANG_DATA_DIR": str(tmp_path / "var"), "LIANFANG_PORT": str(port), "LIANFANG_DEMO_DRILL_SPEED": str(speed)}
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--demo"], env=env, stdout=log,
                              stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[1])
    try:
        links = until(lambda: re.findall(r"http://\S+#enrol=\S+", (tmp_path / "serve.log").read_text()) if
                      len(re.findall(r"#enrol=", (tmp_path / "serve.log").read_text())) >= 2 else None
                      if server.poll() is None else pytest.fail((tmp_path / "serve.log").read_text()),
                      "the two sign-in links are printed")
        until(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), "the live server answers")
        yield f"http://127.0.0.1:{port}", links
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C, as at `make run`
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
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
