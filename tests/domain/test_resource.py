from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import InvalidInput, NotPermitted, Refused
from domain.resource import Resource
from domain.values import MAX_COUNT, RESOURCE_KINDS

HEALTH, POLICE = "unit-health", "unit-police"


def register(meta, **fields):
    body = {"kind": "ambulance", "name": "120-01", "unit": HEALTH, "position": [104.05, 30.65], **fields}
    return Resource.register(uuid4(), meta, **body)


@pytest.mark.parametrize("kind", sorted(RESOURCE_KINDS))
def test_a_resource_of_any_listed_kind_is_registered(commander, kind):
    resource = register(commander, kind=kind)
    assert (resource.kind, resource.unit, resource.dispatch, resource.version) == (kind, HEALTH, None, 1)


def test_a_quarantine_site_carries_beds_and_supplies_a_quantity(commander):
    site = register(commander, kind="quarantine_site", name="县隔离点", capacity=120)
    stock = register(commander, kind="supplies", name="N95", quantity=MAX_COUNT)
    assert (site.capacity, site.quantity, stock.quantity) == (120, None, MAX_COUNT)


@pytest.mark.parametrize("field", ["capacity", "quantity"])
@pytest.mark.parametrize("value", [-1, 1.5, True, "10", MAX_COUNT + 1])
def test_a_capacity_or_quantity_that_is_not_a_whole_number_in_range_is_refused(commander, field, value):
    with pytest.raises(InvalidInput, match=field):
        register(commander, **{field: value})


def test_a_resource_of_an_unknown_kind_is_refused(commander):
    with pytest.raises(InvalidInput, match="resource kind 'helicopter' is unknown"):
        register(commander, kind="helicopter")


def test_a_unit_registers_its_own_resources_only(as_):
    assert register(as_("unit", HEALTH)).unit == HEALTH
    with pytest.raises(NotPermitted, match="only its own resources"):
        register(as_("unit", POLICE))


@pytest.mark.parametrize("role, unit", [("field", HEALTH), ("observer", None)])
def test_field_teams_and_observers_cannot_register_resources(as_, role, unit):
    with pytest.raises(NotPermitted, match="registering a resource"):
        register(as_(role, unit))


def test_the_owning_units_field_team_moves_its_resource(ambulance, as_):
    ambulance.move(as_("field", HEALTH), position=[104.1, 30.7])
    assert ambulance.position == [104.1, 30.7]
    ambulance.move(as_("commander"), position={"type": "Point", "coordinates": [104.2, 30.7]})
    assert ambulance.position == [104.2, 30.7]


@pytest.mark.parametrize("role, unit", [("field", POLICE), ("unit", POLICE), ("observer", HEALTH)])
def test_another_units_team_or_an_observer_cannot_move_a_resource(ambulance, as_, refused, role, unit):
    with refused(ambulance, NotPermitted):
        ambulance.move(as_(role, unit), position=[104.1, 30.7])


def test_a_move_to_an_impossible_position_is_refused(ambulance, as_, refused):
    with refused(ambulance, InvalidInput, "position"):
        ambulance.move(as_("field", HEALTH), position=[30.7, 104.1])


def test_a_resource_is_available_only_for_its_own_kind_and_stock(commander):
    stock = register(commander, kind="supplies", name="N95", quantity=100)
    stock.check_available_for("supplies", 100)
    with pytest.raises(Refused, match="is a supplies; the request is for a ambulance"):
        stock.check_available_for("ambulance", 1)
    with pytest.raises(Refused, match="holds 100; the request is for 101"):
        stock.check_available_for("supplies", 101)
