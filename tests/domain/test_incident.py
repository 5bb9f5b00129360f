from __future__ import annotations

from uuid import uuid4

import pytest

from domain.dispatch import Dispatch
from domain.errors import InvalidInput, NotPermitted, Refused
from domain.incident import Incident, IncidentClosedError
from domain.values import INCIDENT_KINDS, Counts, Level
from domain.zone import Zone

SQUARE = {"type": "Polygon", "coordinates": [[[104.0, 30.6], [104.1, 30.6], [104.1, 30.7], [104.0, 30.6]]]}


def report(meta, **fields):
    body = {"kind": "cluster", "title": "幼儿园", "location": [104.06, 30.67], **fields}
    return Incident.report(uuid4(), meta, **body)


@pytest.mark.parametrize("kind", sorted(INCIDENT_KINDS))
def test_an_incident_of_any_listed_kind_can_be_reported(commander, kind):
    incident = report(commander, kind=kind)
    assert (incident.kind, incident.version, incident.closed, incident.level) == (kind, 1, False, None)


def test_a_reported_incident_carries_its_counts_and_the_actor(as_):
    incident = report(as_("field", "unit-township"), counts={"confirmed": 2, "close_contacts": 9}, jurisdiction="510100001")
    assert incident.counts == Counts(confirmed=2, close_contacts=9)
    assert incident.jurisdiction == "510100001"
    (created,) = incident.pending_events
    assert created.meta == {"actor": "field:unit-township", "role": "field", "unit": "unit-township", "source": "api"}


def test_an_incident_of_an_unknown_kind_is_refused(commander):
    with pytest.raises(InvalidInput, match="incident kind 'earthquake' is unknown"):
        report(commander, kind="earthquake")


def test_an_incident_whose_kind_is_a_list_is_refused_as_invalid_input(commander):
    with pytest.raises(InvalidInput):
        report(commander, kind=["cluster"])


@pytest.mark.parametrize("counts", [{"confirmed": -1}, {"suspected": 2.5}, {"asymptomatic": True}, {"close_contacts": 10**9}])
def test_an_incident_with_impossible_counts_is_refused(commander, counts):
    with pytest.raises(InvalidInput, match="count"):
        report(commander, counts=counts)


@pytest.mark.parametrize("location", [[30.67, 104.06], [200, 30], None])
def test_an_incident_needs_a_location_in_wgs84(commander, location):
    with pytest.raises(InvalidInput, match="location"):
        report(commander, location=location)


def test_an_observer_cannot_report_an_incident(as_):
    with pytest.raises(NotPermitted, match="reporting an incident needs the role commander or unit or field"):
        report(as_("observer"))


def test_field_reports_carry_new_counts_that_add_up(incident, as_):
    field = as_("field", "unit-township")
    incident.file_report(field, new={"confirmed": 2, "suspected": 1})
    incident.file_report(field, new={"confirmed": 1, "close_contacts": 5}, note="学校复核", position=[104.07, 30.68])
    assert incident.counts == Counts(confirmed=6, suspected=1, asymptomatic=0, close_contacts=25)
    last = incident.pending_events[-1]
    assert (last.new, last.note, last.position) == ({"confirmed": 1, "suspected": 0, "asymptomatic": 0, "close_contacts": 5}, "学校复核", [104.07, 30.68])
    assert incident.version == 3


def test_a_field_report_with_only_a_note_is_accepted(incident, as_):
    incident.file_report(as_("field", "unit-township"), new={}, note="未发现新增")
    assert incident.counts == Counts(confirmed=3, close_contacts=20)
    assert incident.version == 2


def test_a_field_report_with_nothing_in_it_is_refused(incident, as_, refused):
    with refused(incident, InvalidInput, "needs new counts or a note"):
        incident.file_report(as_("field", "unit-township"), new={"confirmed": 0})


@pytest.mark.parametrize("new", [{"confirmed": -2}, {"confirmed": "2"}, {"confirmed": False}, {"dead": 1}])
def test_a_field_report_with_bad_counts_changes_nothing(incident, as_, refused, new):
    with refused(incident, InvalidInput):
        incident.file_report(as_("field", "unit-township"), new=new)


@pytest.mark.parametrize("note", ["病例身份证号51010219900101123X", "家属手机13812345678"])
def test_a_field_report_naming_a_person_is_refused(incident, as_, refused, note):
    with refused(incident, InvalidInput, "personal|contact data"):
        incident.file_report(as_("field", "unit-township"), new={"confirmed": 1}, note=note)


def test_a_field_report_with_a_bad_position_is_refused(incident, as_, refused):
    with refused(incident, InvalidInput, "position latitude"):
        incident.file_report(as_("field", "unit-township"), new={"confirmed": 1}, position=[104, 95])


def test_an_observer_cannot_file_a_field_report(incident, as_, refused):
    with refused(incident, NotPermitted, "filing a field report"):
        incident.file_report(as_("observer"), new={"confirmed": 1})


def test_the_commander_sets_a_level_with_a_reason_and_the_previous_level_is_kept(incident, commander):
    incident.set_level(commander, level="III", reason="聚集性疫情")
    incident.set_level(commander, level="II", reason="出现社区传播")
    assert incident.level is Level.II
    first, second = incident.pending_events[1:]
    assert (first.previous, first.level, second.previous, second.level) == (None, "III", "III", "II")
    assert second.reason == "出现社区传播"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_setting_a_level_without_a_reason_is_refused(incident, commander, refused, reason):
    with refused(incident, InvalidInput, "reason is required"):
        incident.set_level(commander, level="II", reason=reason)


def test_setting_the_same_level_again_is_refused(incident, commander, refused):
    incident.set_level(commander, level="IV", reason="一般")
    with refused(incident, Refused, "already IV"):
        incident.set_level(commander, level="IV", reason="again")


@pytest.mark.parametrize("level", ["V", "0", 2, None])
def test_a_level_outside_i_to_iv_is_refused(incident, commander, refused, level):
    with refused(incident, InvalidInput, "I, II, III, IV"):
        incident.set_level(commander, level=level, reason="x")


@pytest.mark.parametrize("role, unit", [("field", "unit-township"), ("unit", "unit-health"), ("observer", None)])
def test_only_the_commander_sets_the_level(incident, as_, refused, role, unit):
    with refused(incident, NotPermitted, "setting the response level needs the role commander"):
        incident.set_level(as_(role, unit), level="I", reason="x")


def test_closing_an_incident_needs_a_reason_and_the_commander(incident, commander, as_, refused):
    with refused(incident, InvalidInput, "reason is required"):
        incident.close(commander, reason=None)
    with refused(incident, NotPermitted, "closing an incident"):
        incident.close(as_("unit", "unit-health"), reason="x")
    incident.close(commander, reason="连续14天无新增")
    assert incident.closed is True
    assert incident.pending_events[-1].reason == "连续14天无新增"


def test_closing_a_closed_incident_is_refused(incident, commander, refused):
    incident.close(commander, reason="结束")
    with refused(incident, IncidentClosedError, "is closed and cannot be closed again"):
        incident.close(commander, reason="again")


def test_a_closed_incident_refuses_reports_level_changes_zones_and_dispatches(incident, commander, as_, refused):
    incident.close(commander, reason="结束")
    with refused(incident, IncidentClosedError, "cannot take field reports"):
        incident.file_report(as_("field", "unit-township"), new={"confirmed": 1})
    with refused(incident, IncidentClosedError, "cannot change its response level"):
        incident.set_level(commander, level="I", reason="x")
    with refused(incident, IncidentClosedError, "cannot get new control zones"):
        Zone.declare(uuid4(), commander, incident, kind="sealed", area=SQUARE)
    with refused(incident, IncidentClosedError, "cannot get new dispatches"):
        Dispatch.request(uuid4(), commander, incident, kind="ambulance")


def test_a_refusal_because_closed_is_a_refused_error(incident, commander):
    incident.close(commander, reason="结束")
    with pytest.raises(Refused):
        incident.set_level(commander, level="I", reason="x")


def test_an_incident_rebuilt_from_its_events_equals_the_live_one(incident, commander, as_, rebuild):
    incident.file_report(as_("field", "unit-township"), new={"confirmed": 4})
    incident.set_level(commander, level="II", reason="升级")
    incident.close(commander, reason="结束")
    again = rebuild(incident)
    assert (again.counts, again.level, again.closed, again.version) == (incident.counts, incident.level, True, 4)
    assert [e.originator_version for e in incident.pending_events] == [1, 2, 3, 4]
