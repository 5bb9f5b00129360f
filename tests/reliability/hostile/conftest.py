"""A fresh store per test in each mode (embedded; scale-out with the real projection worker), an app on it,
and a commander with one township and its field team."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.tokens import issue_token, open_store
from domain.application.settings import Settings
from modes import projection_worker

IN_DONGSHAN = [104.2493, 30.6626]
DONGSHAN = "510199003"


@dataclass
class Hostile:
    client: TestClient
    settings: Settings
    commander: dict[str, str]
    field: dict[str, str]
    unit: str

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(f"/api/v1{path}", json=body, headers={**self.commander, **(headers or {})})

    def incident(self, **more: Any) -> str:
        response = self.post("/incidents", {"kind": "cluster", "title": "幼儿园发热聚集", "location": IN_DONGSHAN, **more})
        assert response.status_code == 201, response.text
        return response.json()["id"]


@pytest.fixture
def settings(tmp_path: Path, backends: dict[str, Any]) -> Iterator[Settings]:
    chosen = Settings(data_dir=tmp_path / "var", read_wait_seconds=2.0, **backends)
    with projection_worker(chosen):
        yield chosen


@pytest.fixture
def hostile(settings: Settings) -> Iterator[Hostile]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with open_store(settings) as store:
            commander = {"Authorization": f"Bearer {issue_token(store, role='commander', unit=None, name='县指挥部')}"}
        unit = client.post("/api/v1/units", json={"name": "东山镇", "kind": "township", "jurisdiction": DONGSHAN},
                           headers=commander).json()["id"]
        with open_store(settings) as store:
            field = {"Authorization": f"Bearer {issue_token(store, role='field', unit=unit, name='采样一组')}"}
        yield Hostile(client, settings, commander, field, unit)
