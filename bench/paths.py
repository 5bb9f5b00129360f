"""Where the benchmarks keep their results (in the repository) and their scratch stores (outside it)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("LIANFANG_BENCH_RESULTS", ROOT / "bench" / "results"))
SCRATCH = Path(os.environ.get("LIANFANG_BENCH_DIR", "/tmp/lianfang-bench"))
