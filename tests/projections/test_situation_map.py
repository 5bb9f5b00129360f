"""The situation map (一张图): what each event puts on the map, zone clocks, GeoJSON form, idempotence."""
from __future__ import annotations

import copy
import json
import time
from datetime import timedelta

import geojson
import pytest

from domain.commands import Command
from domain.application.settings import Settings
from domain.application.writer import run_batch
from projections.broker import Broker
from projections.readmodel import AlreadyApplied
from projections.situation_map import SituationMap

from story import COMMANDER, FAR_SQUARE, SCHOOL, SQUARE, Deltas, features_of, unit_meta

WEST_GATE = [104.075, 30.64]  # 西门社区第一网格 (51019900100301), same street as the school
OUTSIDE_SQUARE = [104.09, 30.70]  # in the county, outside SQUARE
SCHOOL_CHAIN = ["51019900100102", "510199001001", "510199001", "510199"]
ZERO = {"confirmed": 0, "suspected": 0, "asymptomatic": 0, "close_contacts": 0}


@pytest.fixture
def deltas(open_projections):
    broker = Broker()
    seen = Deltas(broker)
    seen.projections = open_projections(broker=broker)
    return seen


def jurisdictions(p):
    return {code: f["properties"] for code, f in features_of(p.map.feature_collection(), "jurisdiction").items()}


# -- incidents and jurisdictions ------------------------------------------------------------------


def test_a_reported_incident_is_a_grey_point_with_its_counts_until_a_level_colours_it(story, deltas):
    p = deltas.projections
    # An incident is reported at the school with three confirmed cases and twenty close contacts.
    incident = story.incident({"confirmed": 3, "close_contacts": 20})
    p.catch_up()
    changes = deltas.changes("incidents")
    feature = features_of(p.map.feature_collection(), "incident")[incident]
    assert feature["geometry"] == {"type": "Point", "coordinates": SCHOOL}
    assert feature["properties"]["counts"] == {**ZERO, "confirmed": 3, "close_contacts": 20}
    assert (feature["properties"]["colour"], feature["properties"]["status"]) == ("grey", "open")
    assert changes == [{"op": "upsert", "layer": "incidents", "id": f"incident:{incident}", "feature": feature}]
    # Its grid, community, street and county count it, uncoloured until a level is set.
    for code in SCHOOL_CHAIN:
        assert jurisdictions(p)[code]["open_incidents"] == 1
        assert jurisdictions(p)[code]["colour"] == "none"
    # Level II makes it and every jurisdiction above it orange.
    story.do("set_level", incident, level="II", reason="聚集性疫情")
    p.catch_up()
    assert features_of(p.map.feature_collection(), "incident")[incident]["properties"]["colour"] == "orange"
    updated = [c for c in deltas.changes("jurisdictions")]
    assert [c["id"] for c in updated] == [f"jurisdiction:{code}" for code in SCHOOL_CHAIN]
    assert {c["properties"]["colour"] for c in updated} == {"orange"}


def test_a_field_report_adds_its_new_counts_to_the_incident_and_the_totals(story, projections):
    incident = story.incident({"confirmed": 3, "close_contacts": 20})
    # Two field reports bring new cases; counts are added, never replaced.
    story.do("file_report", incident, new={"confirmed": 1, "suspected": 2})
    story.do("file_report", incident, new={"asymptomatic": 4, "close_contacts": 5}, note="第二轮筛查")
    projections.catch_up()
    expected = {"confirmed": 4, "suspected": 2, "asymptomatic": 4, "close_contacts": 25}
    assert features_of(projections.map.feature_collection(), "incident")[incident]["properties"]["counts"] == expected
    assert projections.map.counts()["cases"] == expected
    assert jurisdictions(projections)["510199"]["cases"] == expected


def test_jurisdictions_take_the_worst_open_incident_inside_and_revert_when_it_closes(story, projections):
    # Level II at the school, level I at the west gate: both in 城关街道 (510199001).
    school = story.incident({"confirmed": 3})
    story.do("set_level", school, level="II", reason="r")
    gate = story.incident({"confirmed": 5, "suspected": 1}, location=WEST_GATE)
    story.do("set_level", gate, level="I", reason="r")
    projections.catch_up()
    j = jurisdictions(projections)
    assert [j[c]["colour"] for c in ("51019900100102", "51019900100301", "510199001", "510199")] == ["orange", "red", "red", "red"]
    assert j["510199001"]["cases"] == {**ZERO, "confirmed": 8, "suspected": 1}
    assert j["510199001"]["open_incidents"] == 2
    assert j["510199002"]["colour"] == "none" and j["510199002"]["open_incidents"] == 0
    # Closing the level-I incident: its grid goes blank, the street and county fall back to orange.
    story.do("close_incident", gate, reason="排除")
    projections.catch_up()
    j = jurisdictions(projections)
    assert [j[c]["colour"] for c in ("51019900100102", "51019900100301", "510199001", "510199")] == ["orange", "none", "orange", "orange"]
    assert j["510199001"]["cases"] == {**ZERO, "confirmed": 3}
    assert j["51019900100301"]["open_incidents"] == 0
    # The closed incident stays on the map, marked closed, and out of the counts.
    gate_feature = features_of(projections.map.feature_collection(), "incident")[gate]
    assert gate_feature["properties"]["status"] == "closed"
    assert projections.map.counts()["open_incidents"] == 1
    assert projections.map.counts()["cases"]["confirmed"] == 3


def test_the_map_is_valid_geojson_with_coordinates_rounded_to_six_places(story, projections):
    unit = story.unit()
    incident = story.incident({"confirmed": 1}, location=[104.0612345678, 30.6712345678])
    story.do("declare_zone", incident=incident, kind="sealed", area=SQUARE, name="锦里小区")
    resource = story.do("register_resource", kind="ambulance", name="120-01", unit=unit, position=[104.051111111, 30.6522222222]).id
    dispatch = story.do("request_dispatch", incident=incident, kind="ambulance").id
    story.do("commit_dispatch", dispatch, resource=str(resource))
    story.do("issue_alert", incident=incident, headline="发热提示", severity="Moderate", urgency="Expected",
             certainty="Likely", area=SQUARE)
    projections.catch_up()
    collection = projections.map.feature_collection()
    # geojson parses it back as a valid FeatureCollection, every kind of feature present.
    parsed = geojson.loads(json.dumps(collection, ensure_ascii=False))
    assert parsed.is_valid, parsed.errors()
    kinds = {f["properties"]["kind"] for f in collection["features"]}
    assert kinds == {"jurisdiction", "zone", "incident", "resource", "dispatch", "alert"}
    # No coordinate carries more than six decimal places.
    assert features_of(collection, "incident")[incident]["geometry"]["coordinates"] == [104.061235, 30.671235]

    def coordinates(value):
        if isinstance(value, (int, float)):
            yield value
        else:
            for v in value:
                yield from coordinates(v)

    for feature in collection["features"]:
        for c in coordinates(feature["geometry"]["coordinates"]):
            assert round(c, 6) == c, (feature["id"], c)


# -- zones ----------------------------------------------------------------------------------------


def test_a_zone_is_declared_downgraded_and_lifted_on_the_map(story, deltas):
    p = deltas.projections
    incident = story.incident({"confirmed": 2})
    zone = str(story.do("declare_zone", incident=incident, kind="sealed", area=SQUARE, name="锦里小区").id)
    p.catch_up()
    (upsert,) = deltas.changes("zones")
    assert upsert["op"] == "upsert" and upsert["feature"]["geometry"] == SQUARE
    assert upsert["feature"]["properties"]["zone_kind"] == "sealed"
    assert p.map.counts()["zones"] == {"sealed": 1}
    # Downgraded one step: still on the map, now controlled.
    story.do("downgrade_zone", zone, reason="7天无新增")
    p.catch_up()
    (upsert,) = deltas.changes("zones")
    assert upsert["feature"]["properties"]["zone_kind"] == "controlled"
    assert features_of(p.map.feature_collection(), "zone")[zone]["properties"]["zone_kind"] == "controlled"
    # Lifted: removed from the map and from the counts.
    story.do("lift_zone", zone, reason="解封")
    p.catch_up()
    assert deltas.changes("zones") == [{"op": "remove", "layer": "zones", "id": f"zone:{zone}"}]
    assert zone not in features_of(p.map.feature_collection(), "zone")
    assert p.map.counts()["zones"] == {}


def zone_props(p, zone):
    return features_of(p.map.feature_collection(), "zone")[zone]["properties"]


def test_a_case_inside_a_zone_resets_its_clock_by_report_position_else_incident_location(story, projections):
    incident = story.incident({"confirmed": 1})
    zone = str(story.do("declare_zone", incident=incident, kind="sealed", area=SQUARE).id)
    far = str(story.do("declare_zone", incident=incident, kind="controlled", area=FAR_SQUARE).id)
    declared = story.now
    # A report placed outside the zone does not reset it, though its incident lies inside.
    story.later(hours=20)
    story.do("file_report", incident, new={"confirmed": 1}, position=OUTSIDE_SQUARE)
    projections.catch_up()
    assert zone_props(projections, zone)["last_case_at"] == declared.isoformat()
    # Close contacts alone are not cases.
    story.later(hours=1)
    story.do("file_report", incident, new={"close_contacts": 9}, position=SCHOOL)
    projections.catch_up()
    assert zone_props(projections, zone)["last_case_at"] == declared.isoformat()
    # A report without a position counts at the incident's location, inside the zone.
    reset = story.later(hours=1)
    story.do("file_report", incident, new={"asymptomatic": 1})
    projections.catch_up()
    assert zone_props(projections, zone)["last_case_at"] == reset.isoformat()
    # A new incident with cases inside the zone resets it too; the far zone never moves.
    again = story.later(hours=30)
    story.incident({"suspected": 1}, location=[104.055, 30.675])
    projections.catch_up()
    assert zone_props(projections, zone)["last_case_at"] == again.isoformat()
    assert zone_props(projections, zone)["days_since_last_case"] == 0
    assert zone_props(projections, far)["last_case_at"] == declared.isoformat()
    # A report placed inside the far zone resets that one only.
    there = story.later(hours=1)
    story.do("file_report", incident, new={"confirmed": 1}, position=[104.21, 30.61])
    projections.catch_up()
    assert zone_props(projections, far)["last_case_at"] == there.isoformat()
    assert zone_props(projections, zone)["last_case_at"] == again.isoformat()


def test_a_sealed_zone_is_due_after_seven_quiet_days_a_controlled_one_after_three(story, deltas):
    p = deltas.projections
    incident = story.incident({"confirmed": 1})
    zone = str(story.do("declare_zone", incident=incident, kind="sealed", area=SQUARE).id)
    p.catch_up()
    deltas.take()
    start = story.now
    before = story.app.recorder.max_notification_id()

    def tick_at(delta):
        story.clock.advance_to(start + delta)
        p.tick()
        return [c["feature"]["properties"] for c in deltas.changes("zones", cause="time")]

    # Nothing before the first whole day; then one update per change of the day count.
    assert tick_at(timedelta(hours=23, minutes=59)) == []
    (day,) = tick_at(timedelta(days=1))
    assert (day["days_since_last_case"], day["downgrade_due"]) == (1, False)
    assert tick_at(timedelta(days=1, hours=12)) == []
    (day,) = tick_at(timedelta(days=6, hours=1))
    assert (day["days_since_last_case"], day["downgrade_due"]) == (6, False)
    (day,) = tick_at(timedelta(days=7))
    assert (day["days_since_last_case"], day["downgrade_due"]) == (7, True)
    # Nothing downgrades by itself: no event was recorded and the zone is still sealed.
    tick_at(timedelta(days=30))
    assert story.app.recorder.max_notification_id() == before
    assert zone_props(p, zone)["zone_kind"] == "sealed"
    # Downgraded by the commander, the count restarts; a controlled zone is due after three days.
    story.do("downgrade_zone", zone)
    p.catch_up()
    assert (zone_props(p, zone)["days_since_last_case"], zone_props(p, zone)["downgrade_due"]) == (0, False)
    start = story.now
    (day,) = tick_at(timedelta(days=2))
    assert (day["days_since_last_case"], day["downgrade_due"]) == (2, False)
    (day,) = tick_at(timedelta(days=3))
    assert (day["zone_kind"], day["days_since_last_case"], day["downgrade_due"]) == ("controlled", 3, True)


def test_quiet_days_come_from_the_settings(story, open_projections):
    p = open_projections(with_settings=Settings(data_dir=story.settings.data_dir, sealed_quiet_days=2, controlled_quiet_days=1))
    incident = story.incident({"confirmed": 1})
    zone = str(story.do("declare_zone", incident=incident, kind="sealed", area=SQUARE).id)
    p.catch_up()
    story.later(days=1)
    assert zone_props(p, zone)["downgrade_due"] is False
    story.later(days=1)
    assert zone_props(p, zone)["downgrade_due"] is True
    story.do("downgrade_zone", zone)
    p.catch_up()
    story.later(days=1)
    assert zone_props(p, zone)["downgrade_due"] is True


def test_a_tick_after_a_reset_does_not_announce_an_unchanged_day_count(story, deltas):
    p = deltas.projections
    incident = story.incident({"confirmed": 1})
    story.do("declare_zone", incident=incident, kind="sealed", area=SQUARE)
    start = story.now
    # Half a day later a case inside resets the zone's clock.
    story.later(hours=12)
    story.do("file_report", incident, new={"confirmed": 1})
    p.catch_up()
    deltas.take()
    # At the first whole day after the declaration the count is still 0: nothing to announce.
    story.clock.advance_to(start + timedelta(days=1))
    p.tick()
    assert deltas.changes("zones", cause="time") == []
    # A whole day after the case, it is 1.
    story.clock.advance_to(start + timedelta(days=1, hours=12))
    p.tick()
    assert [c["feature"]["properties"]["days_since_last_case"] for c in deltas.changes("zones", cause="time")] == [1]


def test_a_lifted_zone_is_not_reset_and_not_ticked(story, deltas):
    p = deltas.projections
    incident = story.incident({"confirmed": 1})
    zone = str(story.do("declare_zone", incident=incident, kind="sealed", area=SQUARE).id)
    story.do("lift_zone", zone)
    story.do("file_report", incident, new={"confirmed": 1})
    p.catch_up()
    assert deltas.changes("zones")[-1]["op"] == "remove"
    story.later(days=3)
    p.tick()
    assert deltas.changes("zones") == []
    assert p.map.state["zones"][zone]["last_case_at"] == p.map.state["zones"][zone]["declared_at"]


# -- resources, dispatches, alerts ----------------------------------------------------------------


def test_a_dispatch_is_a_line_from_its_resource_to_the_destination_until_released(story, deltas):
    p = deltas.projections
    unit = story.unit()
    team = unit_meta(unit)
    incident = story.incident({"confirmed": 1})
    resource = str(story.do("register_resource", kind="ambulance", name="120-01", unit=unit, position=[104.05, 30.65]).id)
    p.catch_up()
    (registered,) = deltas.changes("resources")
    assert registered["feature"]["properties"]["status"] == "available"
    # The resource moves: its point follows.
    story.do("move_resource", resource, position=[104.052, 30.652], meta=team)
    p.catch_up()
    (moved,) = deltas.changes("resources")
    assert moved["feature"]["geometry"]["coordinates"] == [104.052, 30.652]
    # Requested: a point at the destination (the incident) until a resource is committed.
    dispatch = str(story.do("request_dispatch", incident=incident, kind="ambulance").id)
    p.catch_up()
    (requested,) = deltas.changes("dispatches")
    assert requested["feature"]["geometry"] == {"type": "Point", "coordinates": SCHOOL}
    # Committed: a line from the resource to the destination; the resource shows the dispatch.
    story.do("commit_dispatch", dispatch, resource=resource, meta=team)
    p.catch_up()
    committed = deltas.take()[-1]["changes"]
    line = next(c for c in committed if c["layer"] == "dispatches")
    assert line["feature"]["geometry"] == {"type": "LineString", "coordinates": [[104.052, 30.652], SCHOOL]}
    assert next(c for c in committed if c["layer"] == "resources")["feature"]["properties"]["status"] == "committed"
    # En route, the resource moves: the line's origin moves with it.
    story.do("depart", dispatch, meta=team)
    story.do("move_resource", resource, position=[104.055, 30.66], meta=team)
    p.catch_up()
    lines = deltas.changes("dispatches")
    assert lines[-1]["feature"]["geometry"]["coordinates"] == [[104.055, 30.66], SCHOOL]
    assert lines[-1]["feature"]["properties"]["state"] == "en_route"
    assert features_of(p.map.feature_collection(), "dispatch")[dispatch]["geometry"]["coordinates"][0] == [104.055, 30.66]
    # Arrived, then released: the line is removed and the resource is available again.
    story.do("arrive", dispatch, meta=team)
    story.do("release", dispatch, meta=team, reason="转运完成")
    p.catch_up()
    released = deltas.take()[-1]["changes"] + deltas.take()
    assert {"op": "remove", "layer": "dispatches", "id": f"dispatch:{dispatch}"} in released
    assert dispatch not in features_of(p.map.feature_collection(), "dispatch")
    assert features_of(p.map.feature_collection(), "resource")[resource]["properties"]["status"] == "available"
    assert p.map.counts()["dispatches"] == {"released": 1}


def test_a_cancelled_dispatch_leaves_the_map_and_frees_its_resource(story, projections):
    unit = story.unit()
    incident = story.incident()
    resource = str(story.do("register_resource", kind="epi_team", name="流调一队", unit=unit, position=[104.05, 30.65]).id)
    dispatch = str(story.do("request_dispatch", incident=incident, kind="epi_team", destination=[104.07, 30.68]).id)
    story.do("commit_dispatch", dispatch, resource=resource)
    story.do("cancel_dispatch", dispatch, reason="已有队伍在场")
    projections.catch_up()
    collection = projections.map.feature_collection()
    assert dispatch not in features_of(collection, "dispatch")
    assert features_of(collection, "resource")[resource]["properties"]["status"] == "available"
    assert projections.map.state["resources"][resource]["dispatch"] is None


def test_an_alert_is_issued_updated_and_cancelled_on_the_map(story, deltas):
    p = deltas.projections
    incident = story.incident()
    alert = str(story.do("issue_alert", incident=incident, headline="发热门诊提示", severity="Moderate",
                         urgency="Expected", certainty="Likely", area=SQUARE).id)
    p.catch_up()
    (issued,) = deltas.changes("alerts")
    assert issued["feature"]["geometry"] == SQUARE
    assert issued["feature"]["properties"]["headline"] == "发热门诊提示"
    assert issued["feature"]["properties"]["status"] == "Actual"
    story.do("update_alert", alert, severity="Severe", headline="发热门诊提示（升级）")
    p.catch_up()
    (updated,) = deltas.changes("alerts")
    assert (updated["feature"]["properties"]["severity"], updated["feature"]["properties"]["headline"]) == ("Severe", "发热门诊提示（升级）")
    story.do("cancel_alert", alert, reason="误报")
    p.catch_up()
    assert deltas.changes("alerts") == [{"op": "remove", "layer": "alerts", "id": f"alert:{alert}"}]
    assert alert not in features_of(p.map.feature_collection(), "alert")


# -- idempotence, scale ---------------------------------------------------------------------------


def test_applying_the_same_fact_twice_is_refused_and_changes_nothing(story, geography):
    unit = story.unit()
    incident = story.incident({"confirmed": 1})
    story.do("declare_zone", incident=incident, kind="sealed", area=SQUARE)
    story.do("register_resource", kind="ambulance", name="120-01", unit=unit, position=[104.05, 30.65])
    story.do("file_report", incident, new={"confirmed": 2})
    facts = story.facts()
    model = SituationMap(geography, {"sealed": 7, "controlled": 3})
    for fact in facts:
        model.apply(fact)
    before = (copy.deepcopy(model.state), model.position, model.at)
    # The last fact again, and an earlier one: both refused, the state untouched.
    for again in (facts[-1], facts[2]):
        with pytest.raises(AlreadyApplied):
            model.apply(again)
        assert (model.state, model.position, model.at) == before
    assert model.state["incidents"][incident]["counts"]["confirmed"] == 3


def test_catching_up_on_thousands_of_incidents_takes_linear_time(story, open_projections, geography):
    # 1500 incidents in the county's grids, committed in batches (as the writer does under load).
    grids = [j.shape.representative_point() for j in geography if j.level == "grid"]
    points = [[grids[i % len(grids)].x, grids[i % len(grids)].y] for i in range(1500)]
    for start in range(0, 1500, 500):
        run_batch(story.app, [Command("report_incident", COMMANDER, {"kind": "cluster", "title": f"事件{i}", "location": points[i],
                                                                     "counts": {"confirmed": 1}}) for i in range(start, start + 500)])
    projections = open_projections(with_settings=Settings(data_dir=story.settings.data_dir))  # checkpoints every 2000
    began = time.perf_counter()
    projections.catch_up()
    elapsed = time.perf_counter() - began
    assert projections.map.counts()["open_incidents"] == 1500
    assert jurisdictions(projections)["510199"]["cases"]["confirmed"] == 1500
    assert elapsed < 5, f"catching up on 1500 incidents took {elapsed:.1f} s"
