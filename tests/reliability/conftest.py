"""Fixtures of the reliability harness: a real `lianfang serve` subprocess and a world of units on it.

Sizes: each test runs a bounded size in `make test`; its full size is a `soak` variant (LIANFANG_SOAK=1).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reliability.served import Server, World

@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server process on a store of its own, shared by the tests that only need a running API."""
    directory = tmp_path_factory.mktemp("served")
    server = Server(directory / "var", directory / "serve.log", log_level="INFO").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def world(server: Server) -> Iterator[World]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield World.build(server, client)


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A server on a store of this test's own (not started: the test starts, kills and restarts it)."""
    server = Server(tmp_path / "var", tmp_path / "serve.log", log_level="INFO")
    yield server
    server.kill()
