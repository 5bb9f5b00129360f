"""`make run` shows a living county: the demo registers its units and their resources once, on the map."""
from __future__ import annotations

from pathlib import Path

from api.demo import prepare_demo
from api.runtime import Runtime
from domain.application.settings import Settings


def test_the_demo_county_has_its_units_and_their_resources_once(tmp_path: Path) -> None:
    runtime = Runtime.build(Settings(data_dir=tmp_path / "var")).start()
    try:
        prepare_demo(runtime)
        runtime.projections.catch_up()
        resources = list(runtime.projections.map.state["resources"].values())
        kinds = {r["kind"] for r in resources}
        assert {"ambulance", "negative_pressure_ambulance", "vaccination_team", "disinfection_team", "mobile_lab",
                "quarantine_site", "protective_supplies"} <= kinds
        townships = [u for u in runtime.projections.map.state["units"].values() if u["kind"] == "township"]
        assert townships and all(any(r["unit"] == u["id"] for r in resources) for u in townships)
        inside = [r for r in resources if runtime.geography.locate(r["position"]) is not None]
        assert len(inside) == len(resources)
        prepare_demo(runtime)  # the next `make run`: a new token, nothing else
        runtime.projections.catch_up()
        assert len(runtime.projections.map.state["resources"]) == len(resources)
    finally:
        runtime.stop()
