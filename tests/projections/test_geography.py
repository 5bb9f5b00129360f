"""Where a point falls among the county's jurisdictions (county → street/township → community/village → grid)."""
from __future__ import annotations

import pytest

from projections.geography import Geography, GeographyError
from projections.situation_map import SituationMap

from story import SCHOOL


def inside(geography: Geography, code: str) -> list[float]:
    point = geography.by_code[code].shape.representative_point()
    return [point.x, point.y]


@pytest.mark.parametrize("grid", ["51019900100102", "51019900300401", "51019900700202"])
def test_the_deepest_jurisdiction_that_holds_a_point_is_its_grid(geography, grid):
    assert geography.locate(inside(geography, grid)) == grid


def test_a_point_in_a_community_is_also_in_its_street_and_county_but_located_in_the_grid(geography):
    point = inside(geography, "51019900100102")
    assert geography.holds("510199001001", point)
    assert geography.holds("510199001", point)
    assert geography.holds("510199", point)
    assert not geography.holds("510199002", point)
    assert geography.locate(point) == "51019900100102"


def test_the_chain_of_a_grid_goes_up_to_the_county_deepest_first(geography):
    assert geography.chain("51019900100102") == ["51019900100102", "510199001001", "510199001", "510199"]
    assert geography.chain("510199003") == ["510199003", "510199"]
    assert geography.chain("510199") == ["510199"]


def test_an_unknown_code_or_none_has_no_chain(geography):
    assert geography.chain("999999") == []
    assert geography.chain(None) == []


@pytest.mark.parametrize("point", [[103.5, 30.6], [104.1, 31.2], [104.3, 30.55], [104.005, 30.56]])  # the last two: inside its bounding box
def test_a_point_outside_the_county_is_in_no_jurisdiction(geography, point):
    assert geography.locate(point) is None


def test_the_demo_county_has_one_root_and_every_parent_exists(geography):
    assert geography.root().code == "510199"
    assert all(j.parent is None or j.parent in geography.by_code for j in geography)
    assert len(geography) == 105


def test_a_jurisdiction_named_by_the_command_wins_over_the_located_one(story, geography):
    # One incident at the school is named for another grid; one is not named at all.
    named = story.incident(jurisdiction="51019900300401")
    located = story.incident()
    model = SituationMap(geography, {})
    for fact in story.facts():
        model.apply(fact)
    # The named one is counted where the command put it; the other where it lies.
    assert model.state["incidents"][named]["jurisdiction"] == "51019900300401"
    assert model.state["incidents"][located]["jurisdiction"] == geography.locate(SCHOOL) == "51019900100102"
    assert model.jurisdiction_properties("510199003")["open_incidents"] == 1
    assert model.jurisdiction_properties("510199001")["open_incidents"] == 1
    assert model.jurisdiction_properties("510199")["open_incidents"] == 2


def test_a_named_jurisdiction_the_geography_does_not_know_falls_back_to_the_located_one(story, geography):
    # A typo in the named code must not take the incident off the county's totals.
    incident = story.incident(counts={"confirmed": 2}, jurisdiction="5101990XX")
    model = SituationMap(geography, {})
    for fact in story.facts():
        model.apply(fact)
    assert model.state["incidents"][incident]["jurisdiction"] == "51019900100102"
    assert model.jurisdiction_properties("510199")["cases"]["confirmed"] == 2


def test_a_geography_that_is_not_a_feature_collection_is_refused_with_a_reason():
    with pytest.raises(GeographyError, match="FeatureCollection"):
        Geography.from_geojson({"type": "Feature"})
    with pytest.raises(GeographyError, match="code, name, level"):
        Geography.from_geojson({"type": "FeatureCollection", "features": [{"properties": {"code": "1"}, "geometry": {}}]})
