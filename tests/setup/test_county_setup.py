"""Applying a county's setup file: what it records the first time, and that only changes are recorded after."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID

from api.auth import new_secret
from api.enrolments import Enrolment
from domain.access import token_hash
from domain.base import Meta
from domain.commands import Command
from domain.enrolment import enrolment_id
from domain.application.settings import DEMO_GEOGRAPHY, Settings
from domain.application.writer import execute
from projections.geography import Geography
from projections.runner import Projections

ROOT = Path(__file__).resolve().parents[2]


def codes_on(sheet: Path) -> list[str]:
    text = sheet.read_text(encoding="utf-8")
    return sorted({part.split('"')[0].split("<")[0] for part in text.split("#enrol=")[1:]})


def sheet_of(result_output: str) -> Path:
    line = next(line for line in result_output.splitlines() if line.startswith("sign-in sheet"))
    return Path(line.split(": ", 1)[1])


def test_a_county_of_30_units_200_resources_and_100_people_applies_once_and_again_records_nothing(county, setup, events):
    # First apply: every unit, resource and person is recorded, attributed to setup.
    first = setup(county.path)
    assert first.exit_code == 0, first.output
    recorded = events()
    types = Counter(type(e).__name__ for e in recorded)
    assert (types["UnitRegistered"], types["ResourceRegistered"], types["EnrolmentOffered"]) == (30, 200, 100)
    assert types["KindDeclared"] == 1
    assert {e.meta["source"] for e in recorded} == {"setup"}
    assert len(codes_on(sheet_of(first.output))) == 100
    # The same file again: nothing new in the log, no new codes.
    again = setup(county.path)
    assert again.exit_code == 0, again.output
    assert "nothing to change" in again.output and "sign-in sheet" not in again.output
    assert len(events()) == len(recorded)


def test_a_changed_position_records_exactly_one_resource_moved(county, setup, events):
    assert setup(county.path).exit_code == 0
    before = len(events())
    county.resources[17]["lon"] = 104.123456
    county.write()
    changed = setup(county.path)
    assert changed.exit_code == 0, changed.output
    new = events()[before:]
    assert [type(e).__name__ for e in new] == ["ResourceMoved"]
    assert new[0].position == [104.123456, county.resources[17]["lat"]]


def test_a_changed_capacity_amends_the_resource_and_a_new_kind_name_is_declared_again(county, setup, events):
    assert setup(county.path).exit_code == 0
    before = len(events())
    county.resources[3]["capacity"] = 99
    county.kinds["resource"]["drone_team"]["zh"] = "无人机喷洒队"
    county.write()
    assert setup(county.path).exit_code == 0
    new = events()[before:]
    assert sorted(type(e).__name__ for e in new) == ["KindDeclared", "ResourceAmended"]
    assert next(e for e in new if type(e).__name__ == "ResourceAmended").capacity == 99


def test_a_resource_left_out_is_retired_and_the_map_no_longer_shows_it(county, setup, events, store, data_dir):
    assert setup(county.path).exit_code == 0
    gone = county.resources.pop(5)
    county.write()
    result = setup(county.path)
    assert result.exit_code == 0, result.output
    assert f"retired resource {gone['name']}" in result.output
    assert [type(e).__name__ for e in events()][-1] == "ResourceRetired"
    with store() as app:
        projections = Projections(app, Settings(data_dir=data_dir), Geography.load(DEMO_GEOGRAPHY), data_dir / "projections")
        projections.catch_up()
        shown = {f["properties"]["name"] for f in projections.map.feature_collection()["features"]
                 if f["properties"]["kind"] == "resource"}
        retired = [r for r in projections.map.state["resources"].values() if r["name"] == gone["name"]]
    assert gone["name"] not in shown and len(shown) == 199
    assert retired and retired[0]["retired_at"]
    # And applying the same file again retires nothing twice.
    assert "nothing to change" in setup(county.path).output


def test_a_unit_left_out_is_retired_after_its_resources_and_people(county, setup, events):
    assert setup(county.path).exit_code == 0
    name = county.units[-1]["name"]
    county.units.pop()
    county.resources = [r for r in county.resources if r["unit"] != name]
    county.people = [p for p in county.people if p["unit"] != name]
    county.write()
    result = setup(county.path)
    assert result.exit_code == 0, result.output
    kinds = [type(e).__name__ for e in events()]
    assert kinds[-1] == "UnitRetired" and kinds.count("ResourceRetired") == 6


def redeem(app, code: str) -> str:
    """A phone redeems the code; the token's id."""
    now = datetime.now(timezone.utc)
    meta = Meta(actor="enrolment", role="observer", source="api")
    return str(execute(app, Command("redeem_enrolment", meta, {
        "code_hash": token_hash(code), "device": "phone-1", "secret_hash": token_hash(new_secret()),
        "token_expires_at": (now + timedelta(days=30)).isoformat()})).id)


def test_a_person_left_out_loses_their_token_and_a_person_enrolled_gets_no_new_code(county, setup, store):
    first = setup(county.path)
    code = next(c for c in codes_on(sheet_of(first.output)))
    with store() as app:
        offer = app.repository.get(enrolment_id(token_hash(code)))
        token = redeem(app, code)
    # Enrolled: applying again gives them no new code.
    assert "sign-in sheet" not in setup(county.path).output
    # Left out of the file: their token is revoked.
    county.people = [p for p in county.people if p["name"] != offer.name]
    county.write()
    result = setup(county.path)
    assert result.exit_code == 0, result.output
    assert f"revoked {offer.name}'s token" in result.output
    with store() as app:
        assert app.repository.get(UUID(token)).revoked


def test_a_person_left_out_before_enrolling_has_their_code_withdrawn(county, setup, store):
    code = codes_on(sheet_of(setup(county.path).output))[0]
    with store() as app:
        name = app.repository.get(enrolment_id(token_hash(code))).name
    county.people = [p for p in county.people if p["name"] != name]
    county.write()
    assert f"withdrew {name}'s unused code" in setup(county.path).output
    with store() as app:
        assert app.repository.get(enrolment_id(token_hash(code))).withdrawn


def test_reissue_prints_a_sheet_for_one_person_and_their_old_code_stops_working(county, setup, store, tmp_path):
    first = codes_on(sheet_of(setup(county.path).output))
    with store() as app:
        old = next(c for c in first if app.repository.get(enrolment_id(token_hash(c))).name == county.people[0]["name"])
    name = county.people[0]["name"]
    result = setup(county.path, "--reissue", name, "--sheet", str(tmp_path / "one.html"))
    assert result.exit_code == 0, result.output
    (code,) = codes_on(tmp_path / "one.html")
    assert name in (tmp_path / "one.html").read_text(encoding="utf-8")
    with store() as app:
        offers = [o for o in (app.repository.get(enrolment_id(token_hash(code))),)]
        assert offers[0].name == name and not offers[0].withdrawn
        assert app.repository.get(enrolment_id(token_hash(old))).withdrawn
    refused = setup(county.path, "--reissue", "无此人")
    assert refused.exit_code == 2 and "no person of that name" in refused.output


def test_a_unit_whose_jurisdiction_changed_is_refused_before_anything_is_written(county, setup, events):
    assert setup(county.path).exit_code == 0
    before = len(events())
    county.units[0]["jurisdiction"] = "510199002"
    county.resources[0]["lon"] = 104.2
    county.write()
    result = setup(county.path)
    assert result.exit_code == 2
    assert "county.yaml:" in result.output and "kind and jurisdiction do not change" in result.output
    assert len(events()) == before


def test_a_resource_on_a_dispatch_is_not_retired_and_setup_says_why(county, setup, store):
    assert setup(county.path).exit_code == 0
    with store() as app:
        meta = Meta(actor="cmd", role="commander")
        incident = execute(app, Command("report_incident", meta, {"kind": "cluster", "title": "发热", "location": [104.06, 30.67]})).id
        dispatch = execute(app, Command("request_dispatch", meta, {"incident": str(incident), "kind": "ambulance"})).id
        resource = next(r for r in county.resources if r["kind"] == "ambulance")
        found = [n.originator_id for n in app.recorder.select_notifications(1, 100000)
                 if getattr(app.mapper.to_domain_event(n), "name", None) == resource["name"]]
        execute(app, Command("commit_dispatch", meta, {"resource": str(found[0])}, target=str(dispatch)))
    county.resources.remove(resource)
    county.write()
    result = setup(county.path)
    assert result.exit_code == 1
    assert f"retired resource {resource['name']}: refused" in result.output and "release or cancel" in result.output


def test_the_example_county_in_scenarios_applies_and_checks(setup):
    example = ROOT / "scenarios" / "county" / "example-county.yaml"
    assert setup(example, "--check").exit_code == 0
    applied = setup(example)
    assert applied.exit_code == 0, applied.output
    assert "nothing to change" in setup(example).output


def test_enrolment_links_put_the_code_in_the_fragment():
    assert Enrolment("en_x", datetime.now(timezone.utc)).link("https://lf.example").endswith("/m/#enrol=en_x")
