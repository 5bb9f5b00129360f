"""`drill run --serve`: the API server on the drill store and the drill's own clock, so the map shows it live.

The drill runner (scenarios/) knows nothing of HTTP: `run_in_store` is handed a `Serve`, which plays the drill
while the API serves its store."""
from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from api.enrolments import Enrolment, new_code, offer_args
from api.main import create_app
from api.runtime import Runtime
from domain.commands import Command
from scenarios.local import LocalTarget, play
from scenarios.runner import Drill, DrillReport, Progress

if TYPE_CHECKING:
    from domain.application import Coordination
    from domain.clock import SimulatedClock
    from domain.application.settings import Settings
    from projections.geography import Geography
    from scenarios.loader import Scenario


@dataclass
class Serve:
    host: str = "127.0.0.1"
    port: int = 8000
    on_ready: Callable[[str], None] | None = None
    hold: bool = True  # keep serving after the drill ends, until Ctrl-C
    on_done: Callable[[DrillReport], None] | None = None  # the drill has ended (the map is still served)
    on_serving: Callable[[Any], None] | None = None  # the drill store's Runtime, once its server is up

    def play(self, scenario: Scenario, run: str, settings: Settings, app: Coordination, clock: SimulatedClock,
             geography: Geography, marker: dict[str, Any], speed: float | None,
             on_step: Callable[[Progress], None] | None) -> DrillReport:
        return serve_drill(scenario, run, settings, app, clock, geography, marker, self, speed, on_step)


def serve_drill(scenario: Scenario, run: str, settings: Settings, app: Coordination, clock: SimulatedClock,
                geography: Geography, marker: dict[str, Any], serve: Serve, speed: float | None,
                on_step: Callable[[Progress], None] | None) -> DrillReport:
    import uvicorn

    runtime = Runtime.build(settings, clock=clock, app=app, geography=geography, drill=marker).start()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, runtime), host=serve.host, port=serve.port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="lianfang-drill-server", daemon=True)
    thread.start()
    with _ctrl_c_stops_it():
        return _play_while_served(scenario, run, settings, app, clock, geography, marker, serve, speed, on_step,
                                  runtime, server, thread)


def _play_while_served(scenario: Scenario, run: str, settings: Settings, app: Coordination, clock: SimulatedClock,
                       geography: Geography, marker: dict[str, Any], serve: Serve, speed: float | None,
                       on_step: Callable[[Progress], None] | None, runtime: Runtime, server: Any,
                       thread: threading.Thread) -> DrillReport:
    projections = runtime.projections
    try:
        while not server.started and thread.is_alive():
            time.sleep(0.05)
        if not thread.is_alive():
            raise RuntimeError(f"the server could not start on {serve.host}:{serve.port}")
        target = LocalTarget(scenario, run, app, clock, projections, geography,
                             lambda c: runtime.writer.submit(c).result(), followed=True)
        if serve.on_serving:
            serve.on_serving(runtime)
        if serve.on_ready:
            serve.on_ready(_viewer_link(target, scenario, f"http://{serve.host}:{serve.port}"))
        report = play(Drill(scenario, target, run, speed, on_step), settings.data_dir, marker)
        if serve.on_done:
            serve.on_done(report)
        if serve.hold:
            _wait_for_interrupt(thread)
        return report
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.stop()


def _viewer_link(target: LocalTarget, scenario: Scenario, base_url: str) -> str:
    """A one-time sign-in link (observer) to the wall map of this drill store: the code in the fragment, only
    its hash recorded. The drill's clock runs fast, so the code lasts the drill's span and a day after, in its time."""
    code = new_code()
    last = max((inject.at for inject in scenario.injects), default=timedelta(0))
    expires_at = scenario.moment(last) + timedelta(days=1)
    target.send(Command("offer_enrolment", target.meta(None, None),
                        offer_args(code, role="observer", unit=None, name="演练观摩", expires_at=expires_at)))
    return Enrolment(code, expires_at).link(base_url, phone=False)


@contextlib.contextmanager
def _ctrl_c_stops_it() -> Iterator[None]:
    """Ctrl-C (or `kill -INT`) ends the drill and its server, as it ends `lianfang serve`, also when the drill was
    started from a script as `cmd &`, which starts it with SIGINT ignored (Python then raises no KeyboardInterrupt).
    Only the main thread may set handlers: the demo's exercise plays in a thread of the live server, which has its own."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def _wait_for_interrupt(thread: threading.Thread) -> None:
    try:
        while thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
