from __future__ import annotations

from uuid import uuid4

import pytest

from domain.dispatch import Dispatch
from domain.errors import InvalidInput, NotPermitted, Refused
from domain.resource import Resource

HEALTH, POLICE = "unit-health", "unit-police"


def test_a_dispatch_runs_requested_committed_en_route_on_scene_released(commander, dispatch, ambulance):
    assert dispatch.state == "requested"
    dispatch.commit(commander, ambulance)
    assert (dispatch.state, dispatch.resource, dispatch.resource_unit) == ("committed", str(ambulance.id), HEALTH)
    assert ambulance.dispatch == str(dispatch.id)
    dispatch.depart(commander, ambulance)
    assert dispatch.state == "en_route"
    dispatch.arrive(commander, ambulance)
    assert dispatch.state == "on_scene"
    dispatch.release(commander, ambulance, reason="转运完成")
    assert dispatch.state == "released"
    assert ambulance.dispatch is None
    names = [type(e).__name__ for e in dispatch.pending_events]
    assert names == ["DispatchRequested", "DispatchCommitted", "DispatchDeparted", "DispatchArrived", "DispatchReleased"]
    assert [type(e).__name__ for e in ambulance.pending_events] == ["ResourceRegistered", "ResourceAssigned", "ResourceFreed"]


def test_the_owning_units_field_team_reports_departure_arrival_and_release(commander, as_, dispatch, ambulance):
    dispatch.commit(as_("unit", HEALTH), ambulance)
    team = as_("field", HEALTH)
    dispatch.depart(team, ambulance)
    dispatch.arrive(team, ambulance)
    dispatch.release(team, ambulance)
    assert dispatch.state == "released"


def test_a_dispatch_goes_to_the_incident_unless_told_otherwise(commander, incident):
    assert Dispatch.request(uuid4(), commander, incident, kind="ambulance").destination == incident.location
    elsewhere = Dispatch.request(uuid4(), commander, incident, kind="ambulance", destination=[104.1, 30.7])
    assert elsewhere.destination == [104.1, 30.7]


@pytest.mark.parametrize("quantity", [0, -1, 2.0, True, "3", 10**8])
def test_a_dispatch_for_an_impossible_quantity_is_refused(commander, incident, quantity):
    with pytest.raises(InvalidInput, match="quantity"):
        Dispatch.request(uuid4(), commander, incident, kind="supplies", quantity=quantity)


def test_a_dispatch_for_an_unknown_kind_or_destination_is_refused(commander, incident):
    with pytest.raises(InvalidInput, match="resource kind"):
        Dispatch.request(uuid4(), commander, incident, kind="tank")
    with pytest.raises(InvalidInput, match="destination"):
        Dispatch.request(uuid4(), commander, incident, kind="ambulance", destination=[0, 100])


@pytest.mark.parametrize("role, unit", [("field", HEALTH), ("observer", None)])
def test_field_teams_and_observers_cannot_request_dispatches(as_, incident, role, unit):
    with pytest.raises(NotPermitted, match="requesting a resource"):
        Dispatch.request(uuid4(), as_(role, unit), incident, kind="ambulance")


def test_committing_a_resource_of_another_kind_is_refused(commander, dispatch, refused):
    team = Resource.register(uuid4(), commander, kind="sampling_team", name="采样1队", unit=HEALTH, position=[104, 30])
    with refused(dispatch, Refused, "is a sampling_team; the request is for a ambulance", team):
        dispatch.commit(commander, team)


def test_committing_a_resource_committed_elsewhere_is_refused(commander, incident, dispatch, ambulance, refused):
    dispatch.commit(commander, ambulance)
    other = Dispatch.request(uuid4(), commander, incident, kind="ambulance")
    with refused(other, Refused, "already committed to dispatch", ambulance):
        other.commit(commander, ambulance)


def test_committing_more_than_the_stock_holds_is_refused(commander, incident, refused):
    stock = Resource.register(uuid4(), commander, kind="supplies", name="N95", unit=HEALTH, position=[104, 30], quantity=50)
    request = Dispatch.request(uuid4(), commander, incident, kind="supplies", quantity=51)
    with refused(request, Refused, "holds 50", stock):
        request.commit(commander, stock)


def test_a_unit_commits_only_its_own_resources(as_, dispatch, ambulance, refused):
    with refused(dispatch, NotPermitted, "owning unit", ambulance):
        dispatch.commit(as_("unit", POLICE), ambulance)
    with refused(dispatch, NotPermitted, "committing a resource", ambulance):
        dispatch.commit(as_("field", HEALTH), ambulance)


def test_release_frees_the_resource_so_it_can_be_committed_again(commander, incident, dispatch, ambulance):
    dispatch.commit(commander, ambulance)
    dispatch.depart(commander, ambulance)
    dispatch.arrive(commander, ambulance)
    dispatch.release(commander, ambulance)
    second = Dispatch.request(uuid4(), commander, incident, kind="ambulance")
    second.commit(commander, ambulance)
    assert ambulance.dispatch == str(second.id)


@pytest.mark.parametrize(
    "done, step, message",
    [
        ([], "depart", "cannot depart a dispatch that is requested; depart follows committed"),
        ([], "arrive", "cannot arrive a dispatch that is requested"),
        ([], "release", "cannot release a dispatch that is requested"),
        (["commit"], "commit", "cannot commit a dispatch that is committed"),
        (["commit"], "arrive", "arrive follows en route"),
        (["commit"], "release", "release follows on scene"),
        (["commit", "depart"], "depart", "cannot depart a dispatch that is en route"),
        (["commit", "depart"], "release", "cannot release a dispatch that is en route"),
        (["commit", "depart", "arrive"], "arrive", "cannot arrive a dispatch that is on scene"),
        (["commit", "depart", "arrive", "release"], "release", "cannot release a dispatch that is released"),
        (["commit", "depart", "arrive", "release"], "commit", "cannot commit a dispatch that is released"),
    ],
)
def test_steps_out_of_order_are_refused(commander, dispatch, ambulance, refused, done, step, message):
    for earlier in done:
        getattr(dispatch, earlier)(commander, ambulance)
    with refused(dispatch, Refused, message, ambulance):
        getattr(dispatch, step)(commander, ambulance)


def test_a_requested_dispatch_is_cancelled_without_a_resource(commander, dispatch):
    dispatch.cancel(commander, None, reason="已由邻县支援")
    assert dispatch.state == "cancelled"
    assert dispatch.pending_events[-1].reason == "已由邻县支援"


def test_cancelling_a_committed_dispatch_frees_its_resource(commander, incident, dispatch, ambulance):
    dispatch.commit(commander, ambulance)
    dispatch.cancel(commander, ambulance)
    assert (dispatch.state, ambulance.dispatch) == ("cancelled", None)
    Dispatch.request(uuid4(), commander, incident, kind="ambulance").commit(commander, ambulance)


@pytest.mark.parametrize("done", [["commit", "depart"], ["commit", "depart", "arrive"], ["commit", "depart", "arrive", "release"]])
def test_cancelling_is_refused_once_the_resource_has_set_off(commander, dispatch, ambulance, refused, done):
    for step in done:
        getattr(dispatch, step)(commander, ambulance)
    with refused(dispatch, Refused, "only requested or committed ones can", ambulance):
        dispatch.cancel(commander, ambulance)


def test_a_cancelled_dispatch_refuses_every_further_step(commander, dispatch, ambulance, refused):
    dispatch.cancel(commander, None)
    with refused(dispatch, Refused, "cannot be cancelled"):
        dispatch.cancel(commander, None)
    with refused(dispatch, Refused, "cannot commit a dispatch that is cancelled", ambulance):
        dispatch.commit(commander, ambulance)


def test_another_unit_cannot_cancel_a_committed_dispatch(commander, as_, dispatch, ambulance, refused):
    dispatch.commit(commander, ambulance)
    with refused(dispatch, NotPermitted, "requested by the command center", ambulance):
        dispatch.cancel(as_("unit", POLICE), ambulance)
    with refused(dispatch, NotPermitted, "cancelling a dispatch", ambulance):
        dispatch.cancel(as_("field", HEALTH), ambulance)


def test_another_units_team_cannot_move_a_dispatch_along(commander, as_, dispatch, ambulance, refused):
    dispatch.commit(commander, ambulance)
    with refused(dispatch, NotPermitted, "depart this dispatch"):
        dispatch.depart(as_("field", POLICE), ambulance)


def test_a_dispatch_rebuilt_from_its_events_equals_the_live_one(commander, dispatch, ambulance, rebuild):
    dispatch.commit(commander, ambulance)
    dispatch.depart(commander, ambulance)
    again = rebuild(dispatch)
    assert (again.state, again.resource, again.version) == ("en_route", str(ambulance.id), 3)
    assert rebuild(ambulance).dispatch == str(dispatch.id)


def test_a_unit_cancels_only_a_dispatch_it_requested(commander, as_, incident, dispatch, ambulance, refused):
    health, police = as_("unit", HEALTH), as_("unit", POLICE)
    own = Dispatch.request(uuid4(), police, incident, kind="ambulance")
    own.commit(health, ambulance)  # another unit's resource, committed to the police's request
    with refused(own, NotPermitted, "requested by another unit", ambulance):
        own.cancel(health, ambulance)
    own.cancel(police, ambulance)
    assert (own.state, ambulance.dispatch) == ("cancelled", None)
    with refused(dispatch, NotPermitted, "requested by the command center"):
        dispatch.cancel(police, None)


def test_the_command_center_cancels_any_dispatch_and_a_replayed_one_keeps_its_requester(commander, as_, incident, rebuild):
    own = Dispatch.request(uuid4(), as_("unit", POLICE), incident, kind="ambulance")
    assert rebuild(own).requested_by == POLICE
    own.cancel(commander, None)
    assert own.state == "cancelled"
