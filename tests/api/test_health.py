"""Liveness and Prometheus metrics; the 413 body limit that comes before any parsing."""
from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from conftest import World, assert_problem
from domain.application.settings import Settings


def test_healthz_says_the_store_is_reachable_without_a_token(world: World) -> None:
    world.incident()
    health = world.anonymous.client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["ok"] is True and health.json()["store_head"] == world.head()


def test_metrics_are_prometheus_text(world: World) -> None:
    world.incident()
    assert world.client.get("/metrics").status_code == 401, "the metrics say how the county's system is used: a token"
    metrics = world.client.get("/metrics", headers=world.observer.headers())
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert "lianfang_requests_total" in metrics.text and 'status="201"' in metrics.text


def test_a_body_over_the_default_limit_is_413_before_parsing(world: World) -> None:
    before = world.head()
    too_big = b"{" + b" " * (1024 * 1024) + b"}"
    assert_problem(world.commander.post("/incidents", content=too_big, headers={"content-type": "application/json"}), 413, "1048576")
    # Without a token too: the limit comes before authentication and parsing.
    assert_problem(world.anonymous.post("/incidents", content=too_big, headers={"content-type": "application/json"}), 413)
    assert world.head() == before


@pytest.mark.settings(max_body_bytes=2000)
def test_a_chunked_body_over_the_limit_is_413_too(world: World) -> None:
    def chunks():
        yield b'{"kind":"cluster","title":"'
        for _ in range(40):
            yield b"x" * 100
        yield b'","location":[104.1,30.6]}'

    before = world.head()
    response = world.commander.post("/incidents", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(response, 413, "2000")
    small = world.commander.post("/incidents", {"kind": "cluster", "title": "t", "location": [104.1, 30.6]})
    assert small.status_code == 201
    assert world.head() == before + 1


def test_unknown_paths_and_methods_are_problems_too(world: World) -> None:
    assert_problem(world.commander.get("/nowhere"), 404)
    assert_problem(world.commander.client.delete("/api/v1/incidents", headers=world.commander.headers()), 405)


def test_the_body_limit_is_a_setting_from_the_environment(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANFANG_MAX_BODY_BYTES", "300")
    settings = Settings(data_dir=tmp_path)
    assert settings.max_body_bytes == 300
    with TestClient(create_app(settings)) as client:
        response = client.post("/api/v1/incidents", content=b"{" + b" " * 300 + b"}", headers={"content-type": "application/json"})
        assert_problem(response, 413, "300")
