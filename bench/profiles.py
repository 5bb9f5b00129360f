"""Where the time goes: py-spy samples a process from outside (non-blocking, 100 Hz) while it is measured.

`python -m bench --profile` samples the bench process itself (P4, P5's in-process part, P7) and every
server it starts. Each profile is kept as collapsed stacks (<name>.pyspy) and summarised into
<name>.txt: the share of samples in which each function of ours (and the libraries) is on the stack.
"""
from __future__ import annotations

import collections
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.paths import RESULTS, SCRATCH

ENABLED = "LIANFANG_BENCH_PROFILE"
PLUMBING = ("<frozen", "typer/", "threading.py", "asyncio/runners", "asyncio/base_events", "asyncio/events",
            "uvicorn/main", "uvicorn/server", "uvicorn/_compat", "concurrent/futures", "multiprocessing/", "<module>")
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(:\d+)?\)$")


def enabled() -> bool:
    return bool(os.environ.get(ENABLED))


def directory() -> Path:
    path = RESULTS / "profiles"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def spy(pid: int, name: str) -> Iterator[None]:
    """Sample `pid` for the duration of the block, if profiling is on and py-spy is installed."""
    tool = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not enabled() or not os.access(tool, os.X_OK):
        yield
        return
    raw = SCRATCH / "profiles" / f"{name}.pyspy"  # raw stacks stay out of the repository; the summary goes in
    raw.parent.mkdir(parents=True, exist_ok=True)
    # --gil: only the thread holding the GIL is sampled, so the shares are of Python CPU time, not of waits
    sampler = subprocess.Popen([tool, "record", "-p", str(pid), "-r", "100", "-f", "raw", "-o", str(raw), "--nonblocking", "--gil"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        sampler.send_signal(signal.SIGINT)
        try:
            sampler.wait(timeout=60)
        except subprocess.TimeoutExpired:
            sampler.kill()
        if raw.is_file():
            (directory() / f"{name}.txt").write_text(summarise(raw))


def summarise(raw: Path, top: int = 60) -> str:
    """Inclusive share of GIL-holding samples per function, idle waits and start-up plumbing left out."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_short(f) for f in stack.split(";")]
        if frames and any(idle in frames[-1] for idle in ("wait (threading", "select (selectors", "get (queue")):
            continue
        total += int(count)
        for frame in dict.fromkeys(frames):
            if not any(p in frame for p in PLUMBING):
                inclusive[frame] += int(count)
    rows = [f"{n / total * 100:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)] if total else []
    return f"{total} samples holding the GIL (idle waits left out); share of samples with the function on the stack\n" + "\n".join(rows) + "\n"


def _short(frame: str) -> str:
    found = FRAME.match(frame)
    if not found:
        return frame
    file = found["file"].split("site-packages/")[-1].split("/lib/python3")[-1]
    return f"{found['func']} ({file})"
