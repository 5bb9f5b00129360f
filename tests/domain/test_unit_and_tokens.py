from __future__ import annotations

import hashlib
from uuid import uuid4

import pytest

from domain.access import Token, token_hash, token_id
from domain.errors import InvalidInput, NotPermitted, Refused
from domain.unit import Unit
from domain.values import ROLES


def test_a_department_and_a_township_are_registered(commander):
    bureau = Unit.register(uuid4(), commander, name="县卫健局", kind="department")
    town = Unit.register(uuid4(), commander, name="城关镇", kind="township", jurisdiction="510100001")
    assert (bureau.name, bureau.kind, bureau.jurisdiction) == ("县卫健局", "department", None)
    assert (town.kind, town.jurisdiction) == ("township", "510100001")


def test_a_unit_of_an_unknown_kind_or_without_a_name_is_refused(commander):
    with pytest.raises(InvalidInput, match="unit kind 'company' is unknown"):
        Unit.register(uuid4(), commander, name="某公司", kind="company")
    with pytest.raises(InvalidInput, match="name is required"):
        Unit.register(uuid4(), commander, name="", kind="department")


@pytest.mark.parametrize("role, unit", [("unit", "u"), ("field", "u"), ("observer", None)])
def test_only_the_commander_registers_units(as_, role, unit):
    with pytest.raises(NotPermitted, match="registering a unit"):
        Unit.register(uuid4(), as_(role, unit), name="县卫健局", kind="department")


def test_a_token_is_found_by_its_hash_and_never_holds_the_secret(commander):
    secret = "s3cret-for-the-wall-screen"
    digest = token_hash(secret)
    assert digest == hashlib.sha256(secret.encode()).hexdigest()
    token = Token.issue(commander, secret_hash=digest, role="observer", name="大屏")
    assert token.id == token_id(digest)
    (issued,) = token.pending_events
    assert secret not in repr(vars(issued))
    assert (token.role, token.unit, token.revoked) == ("observer", None, False)


@pytest.mark.parametrize("role", ROLES)
def test_a_token_of_every_role_can_be_issued(commander, role):
    unit = "unit-health" if role in ("unit", "field") else None
    assert Token.issue(commander, secret_hash=token_hash(role), role=role, unit=unit).role == role


@pytest.mark.parametrize("role", ["unit", "field"])
def test_a_unit_or_field_token_needs_a_unit(commander, role):
    with pytest.raises(InvalidInput, match=f"a {role} token needs --unit"):
        Token.issue(commander, secret_hash=token_hash("x"), role=role)


@pytest.mark.parametrize("role", ["admin", "Commander", "", None])
def test_a_token_of_an_unknown_role_is_refused(commander, role):
    with pytest.raises(InvalidInput, match="role must be one of commander, unit, field, observer"):
        Token.issue(commander, secret_hash=token_hash("x"), role=role)


def test_revoking_a_revoked_token_is_refused(commander, refused):
    token = Token.issue(commander, secret_hash=token_hash("x"), role="field", unit="unit-township")
    token.revoke(commander)
    assert token.revoked is True
    with refused(token, Refused, "already revoked"):
        token.revoke(commander)


@pytest.mark.parametrize("role, unit", [("field", "unit-township"), ("observer", None), ("unit", "unit-health")])
def test_only_the_commander_issues_tokens(as_, role, unit):
    with pytest.raises(NotPermitted):
        Token.issue(as_(role, unit), secret_hash=token_hash("escalate"), role="commander")


@pytest.mark.parametrize("role, unit", [("field", "unit-township"), ("observer", None), ("unit", "unit-health")])
def test_only_the_commander_revokes_tokens(commander, as_, refused, role, unit):
    token = Token.issue(commander, secret_hash=token_hash("x"), role="commander")
    with refused(token, NotPermitted, "revoking a token"):
        token.revoke(as_(role, unit))
