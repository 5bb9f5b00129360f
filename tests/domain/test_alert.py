from __future__ import annotations

from uuid import uuid4

import pytest

from domain.alert import CERTAINTY, RESPONSE_TYPES, SEVERITY, URGENCY, Alert
from domain.errors import InvalidInput, NotPermitted, Refused


@pytest.fixture
def issue(commander, square):
    def issue_(meta=commander, **fields):
        body = {"headline": "锦里小区封控", "severity": "Severe", "urgency": "Immediate", "certainty": "Observed",
                "area": square, **fields}
        return Alert.issue(uuid4(), meta, **body)

    return issue_


@pytest.fixture
def alert(issue):
    return issue()


def issued(alert):
    return alert.pending_events[0]


def test_an_alert_is_issued_with_cap_defaults(alert):
    event = issued(alert)
    assert (event.status, event.event, event.response_type, event.language) == ("Actual", "突发公共卫生事件", ["Monitor"], "zh-CN")
    assert (event.sender, event.identifier, event.references, event.headline) == ("lianfang", str(alert.id), [], "锦里小区封控")
    assert alert.cancelled is False


def test_an_issued_alert_holds_its_fields_and_its_first_message(alert, rebuild):
    assert (alert.fields["headline"], alert.fields["severity"], alert.fields["category"]) == ("锦里小区封控", "Severe", ["Health"])
    assert [m["msg_type"] for m in alert.messages] == ["Alert"]
    assert rebuild(alert).fields == alert.fields


def test_a_drills_alert_is_an_exercise(issue, as_):
    assert issued(issue(as_("commander", drill_run="drill-1", source="drill"))).status == "Exercise"


@pytest.mark.parametrize(
    "field, allowed",
    [("severity", SEVERITY), ("urgency", URGENCY), ("certainty", CERTAINTY)],
)
def test_every_cap_value_of_an_enumeration_is_accepted(issue, field, allowed):
    assert [getattr(issued(issue(**{field: value})), field) for value in allowed] == list(allowed)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"severity": "severe"}, "severity must be one of Extreme, Severe"),
        ({"urgency": "Now"}, "urgency must be one of Immediate"),
        ({"certainty": "Sure"}, "certainty must be one of Observed"),
        ({"response_type": ["Panic"]}, "response_type must be one of Shelter"),
        ({"response_type": []}, "non-empty list"),
        ({"response_type": "Monitor"}, "non-empty list"),
    ],
)
def test_a_value_outside_a_cap_enumeration_is_refused(issue, fields, message):
    with pytest.raises(InvalidInput, match=message):
        issue(**fields)


def test_all_response_types_are_accepted_together(issue):
    assert issued(issue(response_type=list(RESPONSE_TYPES))).response_type == list(RESPONSE_TYPES)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"headline": ""}, "headline is required"),
        ({"headline": "x" * 161}, "at most 160"),
        ({"description": "请联系13812345678"}, "mobile number"),
        ({"area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 0.5], [0, 0]]]}}, "Self-intersection"),
        ({"expires": "1999-01-01T00:00:00+08:00"}, "before 2000"),
        ({"expires": "2026-03-02T00:00:00"}, "UTC offset"),
    ],
)
def test_an_alert_with_bad_text_area_or_expiry_is_refused(issue, fields, message):
    with pytest.raises(InvalidInput, match=message):
        issue(**fields)


@pytest.mark.parametrize("role, unit", [("unit", "unit-health"), ("field", "unit-health"), ("observer", None)])
def test_only_the_commander_issues_alerts(issue, as_, role, unit):
    with pytest.raises(NotPermitted, match="issuing a public alert"):
        issue(as_(role, unit))


def test_an_alert_is_updated_and_then_cancelled_one_cap_message_each(alert, commander):
    alert.update(commander, severity="Extreme", instruction="居家不外出")
    assert (alert.fields["severity"], alert.fields["instruction"]) == ("Extreme", "居家不外出")
    alert.cancel(commander, reason="解除封控")
    assert (alert.cancelled, alert.cancel_reason) == (True, "解除封控")
    assert [(m["msg_type"], m["version"]) for m in alert.messages] == [("Alert", 1), ("Update", 2), ("Cancel", 3)]


def test_an_update_with_nothing_in_it_is_refused(alert, commander, refused):
    with refused(alert, InvalidInput, "nothing to update"):
        alert.update(commander)


def test_an_imported_alert_keeps_its_sender_identifier_sent_time_and_references(issue, as_):
    imported = issue(
        as_("commander", source="import"), sender="cma.gov.cn", identifier="CN-2026-0001",
        sent="2026-03-01T07:00:00+08:00", msg_type="Update", status="Test",
        references=["cma.gov.cn,CN-2026-0000,2026-02-28T07:00:00+08:00"],
    )
    event = issued(imported)
    assert (event.sender, event.identifier, event.sent, event.msg_type, event.status) == (
        "cma.gov.cn", "CN-2026-0001", "2026-03-01T07:00:00+08:00", "Update", "Test")
    assert "imported from cma.gov.cn" in event.reason
    assert imported.issued_at.isoformat() == "2026-03-01T07:00:00+08:00"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"msg_type": "Update"}, "an Update must name the message"),
        ({"msg_type": "Cancel"}, "msg_type must be one of Alert, Update"),
        ({"references": ["only,two"]}, "is not of the form sender,identifier,sent"),
        ({"references": "a,b,2026-01-01T00:00:00Z"}, "references must be a list"),
        ({"references": ["a b,c,2026-01-01T00:00:00Z"]}, "no spaces, commas"),
        ({"identifier": "has space"}, "identifier 'has space' must have no spaces"),
        ({"sender": "a&b"}, "sender 'a&b' must have no spaces"),
        ({"scope": "Restricted"}, "needs a restriction"),
        ({"scope": "Private"}, "needs the addresses"),
        ({"scope": "Secret"}, "scope must be one of Public, Restricted, Private"),
        ({"category": ["Weather"]}, "category must be one of Geo"),
        ({"category": []}, "non-empty list"),
        ({"status": "Real"}, "status must be one of Actual"),
    ],
)
def test_cap_header_rules_are_checked_on_issue(issue, fields, message):
    with pytest.raises(InvalidInput, match=message):
        issue(**fields)


def test_a_drill_never_puts_out_an_actual_alert(issue, as_):
    assert issued(issue(as_("commander", drill_run="d-1"), status="Actual")).status == "Exercise"


def test_updating_a_field_that_cannot_change_is_refused(alert, commander, refused):
    with refused(alert, InvalidInput, "cannot update area"):
        alert.update(commander, area={"type": "Polygon"})


def test_a_cancelled_alert_refuses_update_and_cancel(alert, commander, refused):
    alert.cancel(commander)
    with refused(alert, Refused, "was cancelled; issue a new one"):
        alert.update(commander, severity="Minor")
    with refused(alert, Refused, "was cancelled"):
        alert.cancel(commander)


def test_only_the_commander_updates_or_cancels(alert, as_, refused):
    with refused(alert, NotPermitted, "updating an alert"):
        alert.update(as_("unit", "unit-health"), severity="Minor")
    with refused(alert, NotPermitted, "cancelling an alert"):
        alert.cancel(as_("unit", "unit-health"))


@pytest.mark.parametrize("changes", [{"severity": "Apocalyptic"}, {"urgency": "Now"}, {"certainty": 7}])
def test_updating_an_alert_to_a_value_outside_cap_is_refused(alert, commander, refused, changes):
    with refused(alert, InvalidInput):
        alert.update(commander, **changes)


@pytest.mark.parametrize("changes", [{"headline": "联系13812345678"}, {"description": "51010219900101123X"}, {"headline": "x" * 161}])
def test_updating_an_alert_with_personal_data_or_overlong_text_is_refused(alert, commander, refused, changes):
    with refused(alert, InvalidInput):
        alert.update(commander, **changes)
