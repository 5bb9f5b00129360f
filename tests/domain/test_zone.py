from __future__ import annotations

import math
from uuid import uuid4

import pytest
from shapely.geometry import shape
from shapely.validation import explain_validity

from domain.errors import InvalidInput, NotPermitted, Refused
from domain.zone import Zone


def polygon(*positions):
    return {"type": "Polygon", "coordinates": [[list(p) for p in positions]]}


@pytest.mark.parametrize("kind", ["sealed", "controlled", "prevention"])
def test_a_zone_of_each_kind_is_declared_for_an_incident(commander, incident, square, kind):
    zone = Zone.declare(uuid4(), commander, incident, kind=kind, area=square, name="锦里")
    assert (zone.kind, zone.incident, zone.lifted, zone.name, zone.version) == (kind, str(incident.id), False, "锦里", 1)
    assert zone.area == square


def test_a_zone_keeps_its_area_as_a_geojson_dict(zone):
    (declared,) = zone.pending_events
    assert isinstance(declared.area, dict)
    assert declared.area["type"] == "Polygon"


def test_a_zone_of_an_unknown_kind_is_refused(commander, incident, square):
    with pytest.raises(InvalidInput, match="zone kind 'lockdown' is unknown"):
        Zone.declare(uuid4(), commander, incident, kind="lockdown", area=square)


def test_a_zone_whose_kind_is_a_list_is_refused_as_invalid_input(commander, incident, square):
    with pytest.raises(InvalidInput):
        Zone.declare(uuid4(), commander, incident, kind=["sealed"], area=square)


@pytest.mark.parametrize("role, unit", [("unit", "unit-health"), ("field", "unit-township"), ("observer", None)])
def test_only_the_commander_declares_a_zone(as_, incident, square, role, unit):
    with pytest.raises(NotPermitted, match="declaring a control zone"):
        Zone.declare(uuid4(), as_(role, unit), incident, kind="sealed", area=square)


def test_zones_step_down_sealed_controlled_prevention(commander, zone):
    zone.downgrade(commander, reason="连续7天无新增")
    assert zone.kind == "controlled"
    zone.downgrade(commander)
    assert zone.kind == "prevention"
    steps = [(e.previous, e.kind) for e in zone.pending_events[1:]]
    assert steps == [("sealed", "controlled"), ("controlled", "prevention")]


def test_a_prevention_zone_cannot_be_downgraded(commander, incident, square, refused):
    zone = Zone.declare(uuid4(), commander, incident, kind="prevention", area=square)
    with refused(zone, Refused, "lowest kind; lift it instead"):
        zone.downgrade(commander)


@pytest.mark.parametrize("kind", ["sealed", "controlled", "prevention"])
def test_a_zone_of_any_kind_can_be_lifted(commander, incident, square, kind):
    zone = Zone.declare(uuid4(), commander, incident, kind=kind, area=square)
    zone.lift(commander, reason="解除")
    assert zone.lifted is True
    assert zone.kind == kind


def test_a_lifted_zone_refuses_downgrade_and_lift(commander, zone, refused):
    zone.lift(commander)
    with refused(zone, Refused, "already lifted"):
        zone.downgrade(commander)
    with refused(zone, Refused, "already lifted"):
        zone.lift(commander)


@pytest.mark.parametrize("role, unit", [("unit", "unit-health"), ("field", "unit-township")])
def test_only_the_commander_downgrades_or_lifts_a_zone(as_, zone, refused, role, unit):
    with refused(zone, NotPermitted, "downgrading a zone"):
        zone.downgrade(as_(role, unit))
    with refused(zone, NotPermitted, "lifting a zone"):
        zone.lift(as_(role, unit))


def test_a_bow_tie_zone_is_refused_with_shapelys_reason(commander, incident):
    bow_tie = polygon((104.0, 30.0), (104.2, 30.2), (104.2, 30.0), (104.0, 30.1), (104.0, 30.0))
    reason = explain_validity(shape(bow_tie))
    assert reason.startswith("Self-intersection")
    with pytest.raises(InvalidInput, match="not a valid polygon: Self-intersection") as info:
        Zone.declare(uuid4(), commander, incident, kind="sealed", area=bow_tie)
    assert reason in str(info.value)


@pytest.mark.parametrize(
    "area, message",
    [
        (polygon((104.0, 30.0), (104.1, 30.0), (104.1, 30.1), (104.0, 30.1)), "must be closed"),
        (polygon((104.0, 30.0), (104.1, 30.0), (104.0, 30.0)), "at least 4 positions"),
        (polygon((104.0, 30.0), (184.0, 30.0), (104.1, 30.1), (104.0, 30.0)), "out of range"),
        (polygon((104.0, 30.0), (104.1, -95.0), (104.1, 30.1), (104.0, 30.0)), "out of range"),
        (polygon((104.0, 30.0), (math.nan, 30.0), (104.1, 30.1), (104.0, 30.0)), "finite numbers"),
        ({"type": "LineString", "coordinates": [[104.0, 30.0], [104.1, 30.1]]}, "Polygon or MultiPolygon"),
    ],
)
def test_a_zone_with_invalid_geometry_is_refused(commander, incident, area, message):
    with pytest.raises(InvalidInput, match=message):
        Zone.declare(uuid4(), commander, incident, kind="controlled", area=area)


def test_a_zone_rebuilt_from_its_events_equals_the_live_one(commander, zone, rebuild):
    zone.downgrade(commander)
    zone.lift(commander)
    again = rebuild(zone)
    assert (again.kind, again.lifted, again.area, again.version) == ("controlled", True, zone.area, 3)
