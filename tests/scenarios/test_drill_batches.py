"""An unpaced drill commits its injects in batches, each command still stamped at its inject's own time."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import scenarios.local as local
from bench.drill_file import write
from domain.application.settings import Settings
from scenarios.loader import load


def test_a_drill_commits_in_batches_at_each_injects_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load(write(tmp_path / "drill.yaml", 120))
    batches: list[list[tuple[Any, str]]] = []
    original = local.run_batch

    def recording(app: Any, commands: list[Any], signal: Any = None, **options: Any) -> list[Any]:
        batch: list[tuple[Any, str]] = []
        batches.append(batch)
        before = options.pop("before")

        def moved(command: Any) -> None:
            before(command)
            batch.append((app.clock.now(), command.name))

        return original(app, commands, signal, before=moved, **options)

    monkeypatch.setattr(local, "run_batch", recording)
    report, _ = local.run_in_store(scenario, tmp_path / "store", live=Settings(data_dir=tmp_path / "live"))
    assert report.injects == 120
    assert max(len(b) for b in batches) > 1 and len(batches) < 120
    sent = [entry for batch in batches for entry in batch]
    assert sent == [(scenario.moment(i.at), i.do) for i in scenario.injects]
