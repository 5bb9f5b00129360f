"""Reliability and security harness (issue 10): crash, retries, races, fuzz, bad inputs, tokens, tamper,
privacy and drill isolation, against real `lianfang` processes, SQLite, PostgreSQL and Redis.

`make test` runs bounded sizes; `make soak` (LIANFANG_SOAK=1) runs the full ones, the `soak`-marked
parameters of the same tests. LIANFANG_CRASH_SEED replays the kill moments of a crash run.
"""
