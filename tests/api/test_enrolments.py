"""Enrolment: a one-time code in a link's fragment, exchanged once, before it expires, for a device's own token."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from api.enrolments import mint_enrolment
from api.tokens import open_store
from conftest import IN_DONGSHAN, Api, World, assert_problem, key, revoke

REPORT = {"kind": "cluster", "title": "幼儿园发热聚集", "location": IN_DONGSHAN, "counts": {"confirmed": 3}}


def mint(world: World, role: str = "field", unit: str | None = "dongshan", expires: timedelta | None = None) -> str:
    with open_store(world.settings) as store:
        made = mint_enrolment(store, role=role, unit=world.units[unit] if unit else None, name="采样一组", expires=expires)
    assert made.link("https://lf.county.example") == f"https://lf.county.example/m/#enrol={made.code}"
    return made.code


def redeem(world: World, code: str, device: str = "phone-1"):  # noqa: ANN201
    return world.anonymous.post("/enrolments/redeem", {"code": code, "device": device})


def test_a_code_works_once_and_its_token_acts_for_its_unit_until_revoked(world: World) -> None:
    code = mint(world)
    first = redeem(world, code)
    assert first.status_code == 201, first.text
    phone = Api(world.client, first.json()["token"], "phone")
    me = phone.get("/me").json()
    assert (me["role"], me["unit"], me["name"]) == ("field", world.units["dongshan"], "采样一组")
    assert datetime.fromisoformat(first.json()["expires_at"]) > datetime.now(timezone.utc) + timedelta(days=29)
    assert_problem(redeem(world, code, "phone-2"), 410, "used already")
    assert_problem(redeem(world, "en_never-made"), 410, "ask for a new one")
    phone.ok("/incidents", REPORT)
    assert code not in world.commander.get("/events", after=0, limit=5000).text  # only its hash is recorded
    revoke(world.settings, first.json()["token"])
    deadline = time.monotonic() + 5
    while phone.get("/me").status_code != 401:
        assert time.monotonic() < deadline, "a revoked device token still works"


def test_an_expired_code_is_gone(world: World) -> None:
    code = mint(world, expires=timedelta(seconds=0.3))
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        time.sleep(0.05)
    assert_problem(redeem(world, code), 410, "expired")


def test_a_unit_enrols_its_own_members_and_the_commander_anyone(world: World) -> None:
    made = world.as_unit["dongshan"].post("/enrolments", {"role": "field", "name": "流调二组"})
    assert made.status_code == 201, made.text
    assert made.json()["link"].endswith(f"/m/#enrol={made.json()['code']}")
    assert redeem(world, made.json()["code"]).json()["unit"] == world.units["dongshan"]
    assert_problem(world.as_unit["dongshan"].post("/enrolments", {"role": "field", "unit": world.units["shiqiao"]}), 403, "own members")
    assert_problem(world.as_unit["dongshan"].post("/enrolments", {"role": "commander"}), 403, "own members")
    assert_problem(world.as_field["dongshan"].post("/enrolments", {"role": "field"}), 403)
    assert world.commander.post("/enrolments", {"role": "observer", "name": "疾控观察"}).status_code == 201
    assert_problem(world.commander.post("/enrolments", {"role": "field"}), 422, "needs a unit")


def test_a_report_queued_before_the_phone_enrols_again_is_recorded_once(world: World) -> None:
    before = Api(world.client, redeem(world, mint(world), "phone-7").json()["token"], "phone before")
    k = key()
    first = before.ok("/incidents", REPORT, {"Idempotency-Key": k})
    after = Api(world.client, redeem(world, mint(world), "phone-7").json()["token"], "phone after")
    head = world.head()
    again = after.post("/incidents", REPORT, {"Idempotency-Key": k})
    assert (again.status_code, again.json()) == (201, first)
    assert world.head() == head
    other = Api(world.client, redeem(world, mint(world), "phone-8").json()["token"], "another phone")
    assert other.ok("/incidents", REPORT, {"Idempotency-Key": k})["id"] != first["id"]


def test_bad_redeem_bodies_are_422(world: World) -> None:
    assert_problem(world.anonymous.post("/enrolments/redeem", {"code": "x"}), 422)
    assert_problem(world.anonymous.post("/enrolments/redeem", {"code": "x", "device": ""}), 422)
