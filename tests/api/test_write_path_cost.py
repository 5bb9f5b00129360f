"""What the write path must not spend per request (issue 21): costs no test can time, held by their cause."""
from __future__ import annotations

import inspect

from api.deps import get_actor, get_runtime


def test_the_runtime_and_the_actor_are_found_on_the_event_loop() -> None:
    # FastAPI runs a plain `def` dependency in a worker thread: two thread hops for every request.
    for dependency in (get_runtime, get_actor):
        assert inspect.iscoroutinefunction(dependency), f"{dependency.__name__} is a sync dependency (a thread hop per request)"
