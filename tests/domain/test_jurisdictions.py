"""The county's jurisdictions as setup draws them: drawn, redrawn, erased, each an event."""
from __future__ import annotations

import pytest

from domain.errors import InvalidInput, NotPermitted, Refused
from domain.jurisdictions import Jurisdictions

SQUARE = {"type": "Polygon", "coordinates": [[[104.0, 30.6], [104.1, 30.6], [104.1, 30.7], [104.0, 30.7], [104.0, 30.6]]]}


def test_a_jurisdiction_is_drawn_redrawn_only_when_it_changed_and_erased(commander, refused, rebuild):
    drawn = Jurisdictions.open(commander)
    drawn.draw(commander, code="990001", name="新城镇", level="township", parent="990000", area=SQUARE)
    with refused(drawn, Refused, match="already drawn"):
        drawn.draw(commander, code="990001", name="新城镇", level="township", parent="990000", area=SQUARE)
    drawn.draw(commander, code="990001", name="新城街道", level="street", parent="990000", area=SQUARE)
    assert rebuild(drawn).drawn["990001"]["name"] == "新城街道"
    drawn.erase(commander, code="990001")
    assert rebuild(drawn).drawn == {}
    with refused(drawn, Refused, match="not drawn"):
        drawn.erase(commander, code="990001")


def test_a_bad_level_or_area_and_a_non_commander_are_refused(commander, as_, refused):
    drawn = Jurisdictions.open(commander)
    with refused(drawn, InvalidInput, match="level must be one of"):
        drawn.draw(commander, code="1", name="x", level="province", area=SQUARE)
    with refused(drawn, InvalidInput, match="jurisdiction 1"):
        drawn.draw(commander, code="1", name="x", level="grid", area={"type": "Point", "coordinates": [104, 30]})
    with pytest.raises(NotPermitted, match="drawing a jurisdiction"):
        drawn.draw(as_("unit", "u"), code="1", name="x", level="grid", area=SQUARE)
