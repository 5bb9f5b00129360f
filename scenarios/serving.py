"""`drill run --serve`: the API server on the drill store and the drill's own clock, so the map shows it live."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from api.auth import new_secret
from api.runtime import Runtime
from projections.broker import make_broker
from domain.access import token_hash
from domain.commands import Command
from domain.eventstore import CommitSignal
from domain.writer import Writer
from projections.runner import Projections
from scenarios.runner import Drill, DrillReport, Progress

if TYPE_CHECKING:
    from domain.application import Coordination
    from domain.clock import SimulatedClock
    from domain.settings import Settings
    from projections.geography import Geography
    from scenarios.loader import Scenario
    from scenarios.local import LocalTarget, Serve


def serve_drill(scenario: Scenario, run: str, settings: Settings, app: Coordination, clock: SimulatedClock,
                geography: Geography, marker: dict[str, Any], serve: Serve, speed: float | None,
                on_step: Callable[[Progress], None] | None) -> DrillReport:
    import uvicorn

    from api.main import create_app
    from scenarios.local import LocalTarget, _play  # noqa: F811

    signal = CommitSignal()
    broker = make_broker(settings)
    projections = Projections(app, settings, geography, settings.data_dir / "projections", broker=broker, signal=signal, clock=clock)
    runtime = Runtime(settings, app, signal, Writer(app, signal, settings.batch_max), projections, broker, geography, marker).start()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, runtime), host=serve.host, port=serve.port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="lianfang-drill-server", daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            time.sleep(0.05)
        if not thread.is_alive():
            raise RuntimeError(f"the server could not start on {serve.host}:{serve.port}")
        target = LocalTarget(scenario, run, app, clock, projections, geography,
                             lambda c: runtime.writer.submit(c).result(), followed=True)
        if serve.on_serving:
            serve.on_serving(runtime)
        token = _viewer_token(target) if serve.on_ready else None
        if serve.on_ready:
            serve.on_ready(f"http://{serve.host}:{serve.port}/?access_token={token}")
        report = _play(Drill(scenario, target, run, speed, on_step), settings.data_dir, marker)
        if serve.on_done:
            serve.on_done(report)
        if serve.hold:
            _wait_for_interrupt(thread)
        return report
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.stop()


def _viewer_token(target: LocalTarget) -> str:
    """An observer token for the wall map of this drill store (only its hash is recorded)."""
    secret = new_secret()
    fields = {"secret_hash": token_hash(secret), "role": "observer", "name": "演练观摩"}
    target.send(Command("issue_token", target.meta(None, None), fields))
    return secret


def _wait_for_interrupt(thread: threading.Thread) -> None:
    try:
        while thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
