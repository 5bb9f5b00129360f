"""The geography a county's file sets is in force from the moment it is applied; as-of draws each moment with
the geography in force then."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from domain.application.settings import DEMO_GEOGRAPHY, Settings
from projections.geography import Geography
from projections.runner import Projections

RING = [[104.0, 30.6], [104.2, 30.6], [104.2, 30.8], [104.0, 30.8], [104.0, 30.6]]
HALF = [[104.0, 30.6], [104.1, 30.6], [104.1, 30.8], [104.0, 30.8], [104.0, 30.6]]


def geography(township_name: str) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "990000", "name": "新县", "level": "county"},
         "geometry": {"type": "Polygon", "coordinates": [RING]}},
        {"type": "Feature", "properties": {"code": "990001", "name": township_name, "level": "township", "parent": "990000"},
         "geometry": {"type": "Polygon", "coordinates": [HALF]}}]}


def jurisdictions(model) -> dict[str, str]:
    return {f["properties"]["code"]: f["properties"]["name"] for f in model.feature_collection()["features"]
            if f["properties"]["kind"] == "jurisdiction"}


def test_the_files_geography_applies_from_then_on_and_as_of_draws_each_moment_with_its_own(county, setup, store, events, data_dir):
    geojson = county.directory / "new-county.geojson"
    geojson.write_text(json.dumps(geography("新城镇"), ensure_ascii=False), encoding="utf-8")
    county.units = [{"name": "新城镇人民政府", "kind": "township", "jurisdiction": "990001"}]
    county.resources, county.people = [], []
    county.write()
    text = county.path.read_text(encoding="utf-8").replace(str(DEMO_GEOGRAPHY), "new-county.geojson")
    county.path.write_text(text, encoding="utf-8")
    before = datetime.now(timezone.utc)
    # First apply: both jurisdictions drawn, one event each.
    assert setup(county.path).exit_code == 0
    drawn = [e for e in events() if type(e).__name__ == "JurisdictionDrawn"]
    assert sorted(e.code for e in drawn) == ["990000", "990001"]
    between = datetime.now(timezone.utc)
    # The township is renamed: one event, and nothing else.
    count = len(events())
    geojson.write_text(json.dumps(geography("新城街道"), ensure_ascii=False), encoding="utf-8")
    assert setup(county.path).exit_code == 0
    assert [type(e).__name__ for e in events()[count:]] == ["JurisdictionDrawn"]
    with store() as app:
        projections = Projections(app, Settings(data_dir=data_dir), Geography.load(DEMO_GEOGRAPHY), data_dir / "projections")
        projections.catch_up()
        assert jurisdictions(projections.map) == {"990000": "新县", "990001": "新城街道"}
        _, then, _ = projections.as_of(between)
        assert jurisdictions(then) == {"990000": "新县", "990001": "新城镇"}
        _, earlier, _ = projections.as_of(before)
        assert "990001" not in jurisdictions(earlier) and "510199" in jurisdictions(earlier)
        # A checkpoint keeps the geography in force: a restarted read side starts from it.
        projections.checkpoint()
        projections.stop()
        restarted = Projections(app, Settings(data_dir=data_dir), Geography.load(DEMO_GEOGRAPHY), data_dir / "projections")
        assert restarted.run_once() == 0
        assert jurisdictions(restarted.map) == {"990000": "新县", "990001": "新城街道"}
        restarted.stop()


def test_a_running_server_checks_codes_against_the_geography_in_force(county, setup, data_dir):
    from api.runtime import Runtime
    from api.setup_apply import Applier
    from api.setup_file import read_county_file

    geojson = county.directory / "new-county.geojson"
    geojson.write_text(json.dumps(geography("新城镇"), ensure_ascii=False), encoding="utf-8")
    county.units = [{"name": "新城镇人民政府", "kind": "township", "jurisdiction": "990001"}]
    county.resources, county.people = [], []
    county.write()
    county.path.write_text(county.path.read_text(encoding="utf-8").replace(str(DEMO_GEOGRAPHY), "new-county.geojson"), encoding="utf-8")
    settings = Settings(data_dir=data_dir)
    runtime = Runtime.build(settings).start()
    try:
        assert "510199" in runtime.geography.by_code  # nothing drawn yet: the server's file
        Applier(runtime.app, read_county_file(county.path), settings, signal=runtime.signal).apply()
        assert runtime.projections.wait_for(runtime.app.recorder.max_notification_id(), 10)
        assert set(runtime.geography.by_code) == {"990000", "990001"}
    finally:
        runtime.stop()
    restarted = Runtime.build(settings).start()
    try:
        assert set(restarted.geography.by_code) == {"990000", "990001"}
    finally:
        restarted.stop()
