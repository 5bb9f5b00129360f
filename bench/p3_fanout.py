"""P3: fan-out to 5,000 concurrent viewers on one node, then the same with 10% of them stalled.

A stalled viewer connects, takes its snapshot and stops reading (its socket is paused): the server's
kernel buffers fill, then its bounded backlog, and it should be closed with 4008, never waited for.
Baseline in the same run: the healthy viewers' latencies with 0% stalled. Memory per connection is
the server's RSS growth while the feeds connect, divided by their number.
"""
from __future__ import annotations

import os

from bench.common import Result
from bench.p2_live_latency import live_run

NAME, TITLE = "P3", "fan-out to 5,000 viewers, 10% stalled"
FULL = 5_000  # the size (LIANFANG_BENCH_VIEWERS=N for a smaller run, which the size column then says)
GOAL = "every delta to every healthy viewer ≤ 1 s; ≤ 30 KiB/connection; p99 with 10% stalled ≤ 1.5× p99 without"


def run(quick: bool = False, scaled: bool = False) -> Result:
    viewers, rate, seconds = (100, 10, 3) if quick else (int(os.environ.get("LIANFANG_BENCH_VIEWERS", FULL)), 20, 10)
    calm = live_run(viewers, 0, rate, seconds, scaled, "p3-calm")
    stalled = live_run(viewers, viewers // 10, rate, seconds, scaled, "p3-stalled")
    figures = {"no_stalled": _public(calm), "stalled_10pct": _public(stalled), "rate_per_s": rate, "seconds": seconds}
    base, hit = calm["latency_ms"], stalled["latency_ms"]
    worst = max(base["max"] or 1e9, hit["max"] or 1e9)
    within = worst <= 1000 and calm["missed"] == 0 and stalled["missed"] == 0
    kib = max(calm["kib_per_connection"], stalled["kib_per_connection"])
    unchanged = hit["p99"] is not None and base["p99"] is not None and hit["p99"] <= 1.5 * base["p99"]
    all_connected = calm["connected"] == viewers and stalled["connected"] == viewers
    figures.update({"within_1s": within, "memory_ok": kib <= 30, "p99_unchanged": unchanged, "all_connected": all_connected})
    headline = (f"p99 {base['p99']} ms (0% stalled) vs {hit['p99']} ms (10% stalled), max {worst:.0f} ms; "
                f"{kib:.1f} KiB/conn; missed {calm['missed'] + stalled['missed']}; the 2xx itself p99 "
                f"{calm['ack_latency_ms']['p99']} / {stalled['ack_latency_ms']['p99']} ms (from the POST sent)")
    valid = calm["valid"] and stalled["valid"]
    figures["valid"] = valid
    if not valid:
        headline = "NOT VALID (clients saturated); " + headline
    headline += (f"; server {calm['server_cpu_ms_per_command_per_1000_viewers']} CPU-ms/command/1,000 viewers; viewer "
                 f"processes ≤ {max(calm['viewer_process_cpu_share'] + stalled['viewer_process_cpu_share']):.0%} of a core")
    met = within and kib <= 30 and unchanged and all_connected and valid
    size = f"{viewers:,} viewers{'' if quick or viewers >= 5000 else ' (not 5,000: see note)'}, {rate}/s × {seconds} s"
    return Result(NAME, TITLE, GOAL, size, met, headline, figures)


def _public(run: dict) -> dict:
    return {k: v for k, v in run.items() if k != "values"}
