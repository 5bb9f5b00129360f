"""The live read models caught up from position 0 on the large history (issue 23, item 2 and 3):
`python -m bench.catch_up` (LIANFANG_BENCH_EVENTS, LIANFANG_BENCH_DIR as for P4). Prints and writes
bench/results/catch_up.json: seconds, events/s, the load average, and the bytes of the read models beside the log."""
from __future__ import annotations

import json
import os
import shutil
import time

from bench.common import RESULTS
from bench.p4_rebuild import caught_up, history_store, stored_bytes


def main() -> None:
    directory, info = history_store(quick=False)
    shutil.rmtree(directory / "projections", ignore_errors=True)
    before = os.getloadavg()
    began = time.perf_counter()
    caught_up(directory)
    seconds = time.perf_counter() - began
    figures = {"events": info["events"], "catch_up_seconds": round(seconds, 1), "catch_up_events_per_s": round(info["events"] / seconds),
               "load_average_before": [round(x, 2) for x in before], "load_average_after": [round(x, 2) for x in os.getloadavg()],
               "bytes": stored_bytes(directory), "date": time.strftime("%Y-%m-%d", time.gmtime())}
    print(json.dumps(figures, indent=1))
    (RESULTS / "catch_up.json").write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
