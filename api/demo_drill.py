"""`serve --demo`'s exercise: a bundled drill played in real time (sped up) into a drill store of its own, served
beside the live store on the next port, marked as an exercise, for a newcomer to open with a one-time link."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from api.drill_serving import Serve
from api.enrolments import Enrolment, new_code, offer_args
from domain.base import Meta
from domain.commands import Command
from domain.application.settings import PROJECT_ROOT
from scenarios.loader import load
from scenarios.local import run_in_store
from scenarios.store import write_json
from wiring.layout import DRILL_MARKER

if TYPE_CHECKING:
    from pathlib import Path

    from api.runtime import Runtime
    from domain.application.settings import Settings

log = logging.getLogger("lianfang.demo")
SCENARIO = PROJECT_ROOT / "scenarios" / "kindergarten-fever-cluster.yaml"
HOST = Meta(actor="demo", role="commander", source="system", actor_name="示范县演练导调")


@dataclass
class Exercise:
    """The demo's drill as the live server offers it: where it is served, and one-time sign-in links to it."""

    scenario: str
    url: str
    store: Path | None = None
    runtime: Runtime | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    failed: str | None = None

    def public(self) -> dict[str, Any]:
        """What /api/v1/config says about it (the banner's words and the address; never a path)."""
        drill = self.runtime.drill if self.runtime else None
        return {"scenario": self.scenario, "url": self.url, "run": drill and drill.get("run"),
                "status": (drill or {}).get("status", "starting")}

    def sign_in(self, name: str = "演练观摩") -> Enrolment:
        """A one-time code for the exercise's own store (an observer there), valid until the drill is over."""
        if not self.ready.wait(30) or self.runtime is None:
            raise RuntimeError(self.failed or "the exercise has not started")
        rt = self.runtime
        code = new_code()
        # The drill's clock runs fast: the code lasts the drill's whole span, and a day after, in its time.
        expires_at = rt.app.clock.now() + SPAN + timedelta(days=1)
        rt.writer.submit(Command("offer_enrolment", HOST, offer_args(code, role="observer", unit=None, name=name,
                                                                     expires_at=expires_at))).result()
        return Enrolment(code, expires_at)

    def stop(self) -> None:
        """The live server stops (Ctrl-C) while the drill plays: its store says it was interrupted, not running."""
        drill = self.runtime.drill if self.runtime else None
        if drill and drill.get("status") == "running" and self.store is not None:
            drill["status"] = "interrupted"
            write_json(self.store / DRILL_MARKER, drill)


SPAN = timedelta(days=15)  # longer than the bundled drill


def start_exercise(live: Settings) -> Exercise:
    """Play the bundled drill in a thread; its server listens on `demo_drill_port` (default: the live port + 1)."""
    scenario = load(SCENARIO)
    port = live.demo_drill_port or live.port + 1
    exercise = Exercise(scenario.name, f"http://{live.host}:{port}/")

    def serving(runtime: Runtime) -> None:
        exercise.runtime, exercise.store = runtime, runtime.settings.data_dir
        exercise.ready.set()

    def play() -> None:
        try:
            run_in_store(scenario, speed=live.demo_drill_speed, live=live,
                         serve=Serve(live.host, port, hold=True, on_serving=serving))
        except Exception as error:  # noqa: BLE001  (the live server goes on without its exercise)
            exercise.failed = f"the demo drill stopped: {error}"
            log.warning(exercise.failed)
            exercise.ready.set()

    threading.Thread(target=play, name="lianfang-demo-drill", daemon=True).start()
    return exercise
