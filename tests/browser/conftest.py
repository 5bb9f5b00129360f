"""Browser fixtures: headless Chromium for the session; for each test its own server, store and tab."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from api.tokens import create_token
from domain.application.settings import Settings
from map_support import LiveServer, WallPage, free_port

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
WALL = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")  # not session: its event loop must be gone before later tests use asyncio.run
def browser(chromium_executable: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start a server on a fresh store; `drill` writes the drill marker first."""
    started: list[LiveServer] = []

    def start(drill: dict[str, Any] | None = None) -> LiveServer:
        data_dir = tmp_path / f"store{len(started)}"
        data_dir.mkdir()
        if drill:
            (data_dir / "drill.json").write_text(json.dumps(drill, ensure_ascii=False))
        settings = Settings(data_dir=data_dir)
        server = LiveServer(data_dir, free_port())
        # Tokens are created before the server opens the store, as an administrator would.
        server.commander = create_token(settings, role="commander", unit=None, name="县指挥部值班员")
        server.observer = create_token(settings, role="observer", unit=None, name="指挥大厅大屏")
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(start_server: Callable[..., LiveServer]) -> LiveServer:
    return start_server()


@pytest.fixture
def wall(browser: Browser) -> Iterator[WallPage]:
    context = browser.new_context(viewport=WALL, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    yield WallPage(context.new_page())
    context.close()


@pytest.fixture
def second_wall(browser: Browser) -> Iterator[WallPage]:
    """Another screen watching the same map (a second browser context: its own session, its own socket)."""
    context = browser.new_context(viewport=WALL, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    yield WallPage(context.new_page())
    context.close()
