from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from domain.clock import SeededIds, SimulatedClock
from domain.errors import InvalidInput
from domain.geometry import area_of
from domain.incident import Incident
from domain.terms import LEVEL_COLOURS, LEVEL_RANKS
from domain.times import occurred_time, time_of
from domain.values import INCIDENT_KINDS, MAX_COUNT, Counts, Level, kind_of, level_of, point_of, text_of

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))


def ring(*positions: list[float]) -> dict:
    return {"type": "Polygon", "coordinates": [list(positions)]}


# -- counts -----------------------------------------------------------------------------------


def test_counts_default_to_zero_and_parse_the_four_kinds():
    assert Counts.parse(None) == Counts()
    parsed = Counts.parse({"confirmed": 1, "suspected": 2, "asymptomatic": 3, "close_contacts": 40})
    assert parsed.as_tuple() == (1, 2, 3, 40)
    assert parsed.cases == 6


@pytest.mark.parametrize("value", [-1, 1.5, 1.0, "3", True, False, None, MAX_COUNT + 1, [1]])
def test_a_count_that_is_negative_fractional_textual_boolean_or_huge_is_refused(value):
    with pytest.raises(InvalidInput, match="confirmed"):
        Counts.parse({"confirmed": value})


def test_the_largest_count_is_accepted():
    assert Counts.parse({"confirmed": MAX_COUNT}).confirmed == MAX_COUNT


def test_an_unknown_count_is_refused_with_the_known_names():
    with pytest.raises(InvalidInput, match="deaths.*confirmed, suspected, asymptomatic, close_contacts"):
        Counts.parse({"deaths": 1})


def test_counts_add_up_field_by_field():
    total = Counts(1, 2, 3, 4) + Counts(10, 20, 30, 40)
    assert total == Counts(11, 22, 33, 44)


@pytest.mark.parametrize("raw", [5, ["confirmed"], [["confirmed", 1]]])
def test_counts_that_are_not_an_object_are_refused_as_invalid_input(raw):
    with pytest.raises(InvalidInput):
        Counts.parse(raw)


# -- levels and kinds ---------------------------------------------------------------------------


def test_levels_run_from_i_most_serious_to_iv_with_their_colours():
    assert [LEVEL_RANKS[level_of(v)] for v in ("I", "II", "III", "IV")] == [4, 3, 2, 1]
    assert [LEVEL_COLOURS[Level(v)] for v in ("I", "II", "III", "IV")] == ["red", "orange", "yellow", "blue"]


@pytest.mark.parametrize("value", ["V", "i", 1, None, "", ["I"]])
def test_a_level_outside_i_to_iv_is_refused(value):
    with pytest.raises(InvalidInput, match="I, II, III, IV"):
        level_of(value)


def test_a_kind_from_the_list_is_accepted_and_another_is_refused_with_the_list():
    assert kind_of("food_poisoning", INCIDENT_KINDS, "incident") == "food_poisoning"
    with pytest.raises(InvalidInput, match="cluster, food_poisoning"):
        kind_of("earthquake", INCIDENT_KINDS, "incident")


@pytest.mark.parametrize("value", [["cluster"], {"kind": "cluster"}])
def test_an_unhashable_kind_is_refused_as_invalid_input(value):
    with pytest.raises(InvalidInput):
        kind_of(value, INCIDENT_KINDS, "incident")


# -- points ---------------------------------------------------------------------------------------


def test_a_point_is_lon_lat_and_may_come_as_geojson():
    assert point_of([104, 30]) == [104.0, 30.0]
    assert point_of({"type": "Point", "coordinates": [104.06, 30.67]}) == [104.06, 30.67]


@pytest.mark.parametrize(
    "value, message",
    [
        ([181, 30], "longitude 181 is outside"),
        ([104, -91], "latitude -91 is outside"),
        ([30.67, 104.06], r"not \[lat, lon\]"),
        ([math.nan, 30], "finite"),
        ([104, math.inf], "finite"),
        ([True, 30], "finite"),
        (["104", "30"], "finite"),
        ([104], r"\[lon, lat\]"),
        ("104,30", r"\[lon, lat\]"),
    ],
)
def test_a_point_out_of_range_or_malformed_is_refused(value, message):
    with pytest.raises(InvalidInput, match=message):
        point_of(value)


# -- text and personal data -------------------------------------------------------------------------


def test_text_is_stripped_and_a_blank_required_text_is_refused():
    assert text_of("  幼儿园  ", "title") == "幼儿园"
    assert text_of(None, "note", required=False) is None
    assert text_of("   ", "note", required=False) is None
    for blank in (None, "", "   "):
        with pytest.raises(InvalidInput, match="title is required"):
            text_of(blank, "title")


def test_text_that_is_too_long_or_not_text_is_refused():
    with pytest.raises(InvalidInput, match="at most 10"):
        text_of("x" * 11, "title", max_len=10)
    with pytest.raises(InvalidInput, match="must be text"):
        text_of(12, "title")


@pytest.mark.parametrize(
    "note",
    [
        "患者身份证51010219900101123X已隔离",
        "id 510102199001011234",
        "证号51010219900101123x",
        "联系电话13812345678",
        "call +86 13812345678",
        "手机:+8619912345678。",
    ],
)
def test_a_note_with_an_id_number_or_a_mobile_number_is_refused(note):
    with pytest.raises(InvalidInput, match="ID-card number|mobile number"):
        text_of(note, "note")


@pytest.mark.parametrize(
    "note",
    ["新增确诊3例，密接20人", "2026-03-01 08:00 采样1200份", "值班电话 028-86123456", "批次号 12345678901", "1234567890123456789012"],
)
def test_ordinary_numbers_in_a_note_are_kept(note):
    assert text_of(note, "note") == note


@pytest.mark.parametrize("note", ["电话138-1234-5678", "电话138 1234 5678"])
def test_a_mobile_number_written_in_groups_is_refused(note):
    with pytest.raises(InvalidInput, match="mobile number"):
        text_of(note, "note")


def test_a_title_carrying_a_mobile_number_is_refused_when_reporting(commander):
    with pytest.raises(InvalidInput, match="title looks like it contains a mobile number"):
        Incident.report(uuid4(), commander, kind="cluster", title="联系13812345678", location=[104, 30])


# -- times ------------------------------------------------------------------------------------------


def test_a_time_needs_an_offset_and_accepts_z():
    assert time_of("2026-03-01T00:00:00Z", "due") == datetime(2026, 3, 1, tzinfo=timezone.utc)
    with pytest.raises(InvalidInput, match="UTC offset"):
        time_of("2026-03-01T08:00:00", "due")


@pytest.mark.parametrize("value, message", [("1999-12-31T23:59:59+08:00", "before 2000"), ("next tuesday", "ISO-8601"), (20260301, "ISO-8601")])
def test_a_time_before_2000_or_unreadable_is_refused(value, message):
    with pytest.raises(InvalidInput, match=message):
        time_of(value, "due")


def test_a_time_more_than_ten_years_ahead_is_refused():
    with pytest.raises(InvalidInput, match="ten years ahead"):
        time_of("2040-01-01T00:00:00+08:00", "due", now=NOW)


def test_a_field_time_may_lag_the_record_but_not_lead_it():
    assert occurred_time(None, NOW) is None
    assert occurred_time("2026-02-28T08:00:00+08:00", NOW) == "2026-02-28T08:00:00+08:00"
    assert occurred_time((NOW + timedelta(minutes=9)).isoformat(), NOW) is not None
    with pytest.raises(InvalidInput, match="in the future"):
        occurred_time((NOW + timedelta(minutes=11)).isoformat(), NOW)


# -- geometry ---------------------------------------------------------------------------------------


def test_a_valid_polygon_comes_back_as_geojson_rounded_to_seven_places():
    area = area_of(ring([104.000000001, 30.6], [104.1, 30.6], [104.1, 30.7], [104.000000001, 30.6]))
    assert area == {"type": "Polygon", "coordinates": [[[104.0, 30.6], [104.1, 30.6], [104.1, 30.7], [104.0, 30.6]]]}


def test_a_polygon_with_a_hole_and_a_multipolygon_are_accepted():
    outer = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[2, 2], [4, 2], [4, 4], [2, 2]]
    assert area_of({"type": "Polygon", "coordinates": [outer, hole]})["type"] == "Polygon"
    assert area_of({"type": "MultiPolygon", "coordinates": [[outer], [[[20, 20], [21, 20], [21, 21], [20, 20]]]]})["type"] == "MultiPolygon"


def test_a_self_intersecting_bow_tie_is_refused_with_shapely_reason():
    with pytest.raises(InvalidInput, match="Self-intersection"):
        area_of(ring([0, 0], [2, 2], [2, 0], [0, 1], [0, 0]))


def test_a_symmetric_bow_tie_is_refused_with_shapely_reason():
    # Its two lobes' signed areas cancel out: the validity reason must still be the one given.
    with pytest.raises(InvalidInput, match="Self-intersection"):
        area_of(ring([0, 0], [1, 1], [1, 0], [0, 1], [0, 0]))


@pytest.mark.parametrize(
    "area, message",
    [
        (ring([0, 0], [1, 0], [1, 1], [0, 1]), "must be closed"),
        (ring([0, 0], [1, 0], [0, 0]), "at least 4 positions"),
        (ring([0, 0], [181, 0], [1, 1], [0, 0]), "out of range"),
        (ring([0, 0], [1, 91], [1, 1], [0, 0]), "out of range"),
        (ring([0, 0], [math.nan, 0], [1, 1], [0, 0]), "finite"),
        (ring([0, 0], [1, 0], [2, 0], [0, 0]), "encloses no area|not a valid polygon"),
        (ring([0, 0], [1], [1, 1], [0, 0]), r"\[lon, lat\]"),
        ({"type": "Point", "coordinates": [0, 0]}, "Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": []}, "list of linear rings"),
        ({"type": "MultiPolygon", "coordinates": []}, "no coordinates"),
        ([[0, 0], [1, 0], [1, 1], [0, 0]], "Polygon or MultiPolygon"),
    ],
)
def test_an_invalid_area_is_refused_with_a_reason(area, message):
    with pytest.raises(InvalidInput, match=message):
        area_of(area)


@pytest.mark.parametrize(
    "positions",
    [
        [[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]],
        [[0, 0], [1, 0, 5], [1, 1], [0, 0]],
    ],
)
def test_positions_of_odd_dimensions_are_refused_as_invalid_input(positions):
    with pytest.raises(InvalidInput):
        area_of(ring(*positions))


def test_positions_with_an_altitude_are_accepted():
    area = area_of(ring([0, 0, 500], [1, 0, 500], [1, 1, 510], [0, 0, 500]))
    assert area["coordinates"][0][2] == [1.0, 1.0, 510.0]


# -- clocks and ids for drills ------------------------------------------------------------------------


def test_a_simulated_clock_moves_only_forward_when_told():
    clock = SimulatedClock(NOW)
    clock.advance(timedelta(minutes=5))
    assert clock.now() == NOW + timedelta(minutes=5)
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance_to(NOW)


def test_seeded_ids_repeat_for_the_same_seed_and_differ_for_another():
    first, again, other = SeededIds(7), SeededIds(7), SeededIds(8)
    ids = [first.new() for _ in range(3)]
    assert ids == [again.new() for _ in range(3)]
    assert ids != [other.new() for _ in range(3)]
    assert all(i.version == 4 for i in ids)


@pytest.mark.parametrize("position", [[10**400, 30.0], [104.0, -(10**400)]])
def test_a_coordinate_too_large_for_a_float_is_refused_not_an_overflow(position: list[int | float]) -> None:
    with pytest.raises(InvalidInput, match="finite number"):
        point_of(position)
    ring = [position, [104.26, 30.65], [104.26, 30.67], position]
    with pytest.raises(InvalidInput, match="finite numbers") as refused:
        area_of({"type": "Polygon", "coordinates": [ring]})
    assert len(str(refused.value)) < 200  # the 401 digits are not echoed
