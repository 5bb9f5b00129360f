"""Fixtures for drill tests: a small scenario file and a live store, under tmp_path."""
from __future__ import annotations

from pathlib import Path

import pytest
from scenario_texts import SMALL, write

from domain.settings import Settings


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write(tmp_path, SMALL, "small.yaml")


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A live store of its own under tmp_path, named by LIANFANG_DATA_DIR as in production."""
    data_dir = tmp_path / "live"
    monkeypatch.setenv("LIANFANG_DATA_DIR", str(data_dir))
    monkeypatch.delenv("LIANFANG_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return Settings()
