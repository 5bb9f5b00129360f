"""Retiring a unit or a resource, amending a resource, withdrawing an enrolment code (county setup's commands)."""
from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.enrolment import CodeGone, Enrolment
from domain.errors import InvalidInput, NotPermitted, Refused
from domain.resource import Resource
from domain.unit import Unit

HEALTH = "unit-health"


def ambulance(meta):
    return Resource.register(uuid4(), meta, kind="ambulance", name="120-01", unit=HEALTH, position=[104.05, 30.65], capacity=2)


def test_a_free_resource_is_retired_and_then_takes_no_move_and_no_dispatch(commander, rebuild):
    resource = ambulance(commander)
    resource.retire(commander, reason="报废")
    assert resource.retired and rebuild(resource).retired
    with pytest.raises(Refused, match="retired"):
        resource.move(commander, position=[104.1, 30.7])
    with pytest.raises(Refused, match="retired"):
        resource.check_available_for("ambulance", 1)


def test_a_resource_on_a_dispatch_cannot_be_retired(commander, refused):
    resource = ambulance(commander)
    resource.assign(commander, "dispatch-1")
    with refused(resource, Refused, match="dispatch-1.*release or cancel"):
        resource.retire(commander)


def test_a_retired_resource_is_not_retired_twice_and_only_the_commander_retires(commander, as_, refused):
    resource = ambulance(commander)
    with refused(resource, NotPermitted, match="retiring a resource"):
        resource.retire(as_("unit", HEALTH))
    resource.retire(commander)
    with refused(resource, Refused, match="already retired"):
        resource.retire(commander)


def test_a_resource_is_amended_with_its_new_kind_unit_capacity_and_quantity(commander, refused, rebuild):
    resource = ambulance(commander)
    resource.amend(commander, kind="negative_pressure_ambulance", unit="unit-cdc", capacity=1, quantity=None)
    assert (resource.kind, resource.unit, resource.capacity) == ("negative_pressure_ambulance", "unit-cdc", 1)
    assert rebuild(resource).kind == "negative_pressure_ambulance"
    with refused(resource, Refused, match="nothing to change"):
        resource.amend(commander, kind="negative_pressure_ambulance", unit="unit-cdc", capacity=1, quantity=None)
    with refused(resource, InvalidInput, match="helicopter"):
        resource.amend(commander, kind="helicopter", unit="unit-cdc", capacity=1, quantity=None)
    with refused(resource, InvalidInput, match="capacity"):
        resource.amend(commander, kind="ambulance", unit="unit-cdc", capacity=-1, quantity=None)


def test_a_retired_unit_is_not_retired_twice_and_refuses_new_work(commander, as_, refused, rebuild):
    unit = Unit.register(uuid4(), commander, name="县卫健局", kind="department")
    with refused(unit, NotPermitted, match="retiring a unit"):
        unit.retire(as_("unit", str(unit.id)))
    unit.retire(commander, reason="机构改革")
    assert rebuild(unit).retired
    with refused(unit, Refused, match="already retired"):
        unit.retire(commander)
    with pytest.raises(Refused, match="县卫健局 was retired"):
        unit.check_active("own a resource")


def offer(commander, now):
    return Enrolment.offer(commander, code_hash="h" * 64, role="field", unit=HEALTH, name="采样一组",
                           expires_at=now + timedelta(hours=1))


def test_a_withdrawn_enrolment_code_is_gone(commander, now, refused):
    code = offer(commander, now)
    code.withdraw(commander)
    with refused(code, CodeGone, match="withdrawn"):
        code.redeem(commander, token="t", device="phone", now=now)
    with refused(code, Refused, match="already withdrawn"):
        code.withdraw(commander)


def test_a_used_enrolment_code_is_not_withdrawn(commander, now, refused):
    code = offer(commander, now)
    code.redeem(commander, token="t", device="phone", now=now)
    with refused(code, Refused, match="revoke the token"):
        code.withdraw(commander)


def test_a_retired_unit_gets_no_resource_token_code_or_task_through_the_application(run):
    unit = run("register_unit", name="县卫健局", kind="department").id
    run("retire_unit", unit, reason="机构改革")
    for command, fields in [
        ("register_resource", {"kind": "ambulance", "name": "120-01", "unit": str(unit), "position": [104.05, 30.65]}),
        ("issue_token", {"secret_hash": "x" * 64, "role": "unit", "unit": str(unit)}),
        ("offer_enrolment", {"code_hash": "y" * 64, "role": "field", "unit": str(unit), "expires_at": "2026-03-02T08:00:00+08:00"}),
        ("assign_task", {"title": "转运", "lead": str(unit), "due": "2026-03-02T08:00:00+08:00"}),
    ]:
        with pytest.raises(Refused, match="县卫健局 was retired"):
            run(command, **fields)


def test_a_resource_is_amended_and_retired_through_the_application(run, app):
    unit = str(run("register_unit", name="县卫健局", kind="department").id)
    other = str(run("register_unit", name="县疾控中心", kind="department").id)
    resource = run("register_resource", kind="ambulance", name="120-01", unit=unit, position=[104.05, 30.65]).id
    run("amend_resource", resource, kind="ambulance", unit=other, capacity=4)
    run("retire_resource", resource, reason="报废")
    found = app.repository.get(resource)
    assert (found.unit, found.capacity, found.retired) == (other, 4, True)
