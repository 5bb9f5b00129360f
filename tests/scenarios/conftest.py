"""Fixtures for drill tests: a small scenario file and a live store, under tmp_path.

In scale-out mode the live store is PostgreSQL + Redis (`backends`), and each drill store keeps its events in an
empty PostgreSQL database of its own (`drill_db`, `new_drill_db` in tests/conftest.py).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from scenario_texts import SMALL, write

from domain.application.settings import Settings


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write(tmp_path, SMALL, "small.yaml")


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backends: dict) -> Settings:
    """A live store of its own under tmp_path, named by LIANFANG_DATA_DIR (and, in scale-out mode,
    LIANFANG_DATABASE_URL and LIANFANG_REDIS_URL) as in production."""
    data_dir = tmp_path / "live"
    monkeypatch.setenv("LIANFANG_DATA_DIR", str(data_dir))
    for name in ("database_url", "redis_url", "redis_stream", "drill_database_url"):
        monkeypatch.delenv(f"LIANFANG_{name.upper()}", raising=False)
    for name, value in backends.items():
        monkeypatch.setenv(f"LIANFANG_{name.upper()}", str(value))
    monkeypatch.chdir(tmp_path)
    return Settings()
