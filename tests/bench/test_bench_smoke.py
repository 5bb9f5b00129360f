"""The benchmarks still run: a tiny `python -m bench --quick` of P1, P4, P5 and S1 (no timing is asserted)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"name", "title", "goal", "size", "met", "headline", "figures", "note", "mode", "written_at", "machine"}


@pytest.mark.timeout(240)
def test_a_quick_run_writes_every_result_with_its_figures_and_the_machine(tmp_path: Path) -> None:
    env = {**os.environ, "LIANFANG_BENCH_RESULTS": str(tmp_path / "results"), "LIANFANG_BENCH_DIR": str(tmp_path / "scratch")}
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "P1,P4,P5,S1"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=220)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    for name, figure in (("P1", "ratio_to_bare"), ("P4", "ratio_to_raw"), ("P5", "latency_ms"), ("S1", "again_events")):
        result = json.loads((tmp_path / "results" / f"{name}-quick.json").read_text())
        assert KEYS <= set(result), f"{name}.json lacks {KEYS - set(result)}"
        assert not result["headline"].startswith("failed"), result["headline"]
        assert figure in result["figures"]
        assert {"cores", "python", "sqlite", "postgresql"} <= set(result["machine"])
    assert (tmp_path / "results" / "table-quick.md").is_file()
    assert not (tmp_path / "results" / "P1.json").exists(), "a smoke run must not overwrite a real run's figures"
