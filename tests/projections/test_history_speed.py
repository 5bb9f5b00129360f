"""History at scale: a catch-up no one hears builds no deltas, zones are found by a grid, checkpoints stay where they are kept."""
from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st
from shapely.geometry import Point, shape

from projections.audit import AuditTrail
from projections.broker import Broker
from projections.checkpoints import kept_at, to_forget
from projections.events import decode
from projections.readmodel import ZSTD_MAGIC
from projections.rebuild import same_entries
from projections.zone_index import ZoneIndex

from story import SCHOOL, SQUARE, Deltas


def test_a_catch_up_no_one_hears_builds_no_deltas_and_ends_in_the_same_state(story, open_projections, tmp_path):
    incident = story.incident({"confirmed": 2})
    story.do("declare_zone", incident=incident, kind="sealed", area=SQUARE, name="锦里小区")
    story.do("file_report", incident, new={"confirmed": 1}, position=SCHOOL)
    broker = Broker()
    unheard = open_projections(tmp_path / "unheard", broker=broker)
    built: list[int] = []
    for model in unheard.models.values():
        apply = model.apply
        model.apply = lambda fact, apply=apply: built.extend(apply(fact)) or []  # what the models hand back
    unheard.catch_up()
    assert built == []
    heard = open_projections(tmp_path / "heard", broker=(listened := Broker()))
    seen = Deltas(listened)
    heard.catch_up()
    assert seen.changes("zones")  # with someone listening, the same catch-up announces the zone
    assert unheard.map.state == heard.map.state and unheard.ledger.state == heard.ledger.state
    assert unheard.map.counts() == heard.map.counts()


def test_history_checkpoints_kept_one_by_one_include_those_a_rebuild_writes():
    every, kept = 2000, []
    for head in range(0, 300_001, every):
        kept.append(head)
        gone = set(to_forget(kept, head, every))
        kept = [p for p in kept if p not in gone]
        assert set(kept) >= {p for p in range(0, head + 1, every) if kept_at(p, head, every)}
    gaps = [b - a for a, b in zip(kept, kept[1:])]
    assert max(gaps) <= max(every, 300_000 // 16)  # as-of never replays more than an age's share
    assert len(kept) < 90


squares = st.tuples(st.floats(103.9, 104.3), st.floats(30.5, 30.8), st.sampled_from([0.002, 0.004, 0.03, 0.5]))


@hypothesis_settings(max_examples=40, deadline=None)
@given(st.lists(squares, min_size=1, max_size=30), st.lists(st.booleans(), max_size=30),
       st.lists(st.tuples(st.floats(103.9, 104.3), st.floats(30.5, 30.8)), min_size=1, max_size=20))
def test_the_zone_grid_finds_what_shapely_finds(zones, removed, points):
    index, areas = ZoneIndex(), {}
    for n, (x, y, side) in enumerate(zones):
        ring = [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]
        areas[f"z{n}"] = {"type": "Polygon", "coordinates": [ring]}
        index.add(f"z{n}", areas[f"z{n}"])
    for n, gone in enumerate(removed[: len(zones)]):
        if gone:
            index.remove(f"z{n}")
            del areas[f"z{n}"]
    corners = [areas[z]["coordinates"][0][2] for z in areas]  # on a boundary counts as inside
    for location in [*map(list, points), *corners]:
        expected = [z for z, area in areas.items() if shape(area).intersects(Point(location))]
        assert index.containing(location) == expected


def test_a_checkpoint_is_stored_compressed_and_one_stored_as_plain_json_still_opens(story, open_projections):
    incident = story.incident({"confirmed": 2})
    story.do("declare_zone", incident=incident, kind="sealed", area=SQUARE, name="锦里小区")
    p = open_projections()
    p.catch_up()
    blob = p.map.dump()
    plain = orjson.dumps({"position": p.map.position, "at": p.map.at.isoformat(), "state": p.map.state})
    assert blob[:4] == ZSTD_MAGIC and len(blob) < len(plain)
    for saved in (blob, plain):  # what this version writes, and what an older one wrote
        again = p.fresh("situation_map", None)
        again.restore(saved)
        assert (again.state, again.position) == (p.map.state, p.map.position)


def test_a_rebuilt_trail_is_the_same_only_if_every_entry_is(told_trails):
    live, rebuilt = told_trails
    assert same_entries(live, rebuilt)
    last = live.position
    with rebuilt.datastore.transaction(commit=True) as c:
        c.execute(f"UPDATE {rebuilt.table} SET summary_en = 'changed' WHERE position = {rebuilt.P}", (last - 1,))
    assert not same_entries(live, rebuilt)
    with rebuilt.datastore.transaction(commit=True) as c:
        c.execute(f"UPDATE {rebuilt.table} SET summary_en = {rebuilt.P} WHERE position = {rebuilt.P}",
                  (live.query(after=last - 2, limit=1)[0]["summary_en"], last - 1))
    assert same_entries(live, rebuilt)
    with rebuilt.datastore.transaction(commit=True) as c:
        c.execute(f"DELETE FROM {rebuilt.table} WHERE position = {rebuilt.P}", (last,))
    assert not same_entries(live, rebuilt)  # one entry fewer


@pytest.fixture
def told_trails(story, tmp_path):
    """Two audit trails fed the same short story (SQLite files of their own)."""
    incident = story.incident({"confirmed": 2})
    story.do("set_level", incident, level="II", reason="聚集性疫情")
    story.do("file_report", incident, new={"confirmed": 1})
    facts = decode(story.app, list(story.app.recorder.select_notifications(1, 100)))
    trails = [AuditTrail(tmp_path / f"{name}.sqlite") for name in ("live", "rebuilt")]
    for trail in trails:
        trail.append(facts)
    yield trails
    for trail in trails:
        trail.close()


def test_cases_in_a_zone_leave_one_entry_in_its_schedule_however_many_there_are(story, open_projections, tmp_path):
    incident = story.incident({"confirmed": 2})
    story.do("declare_zone", incident=incident, kind="sealed", area=SQUARE, name="锦里小区")
    for _ in range(40):
        story.do("file_report", incident, new={"confirmed": 1}, position=SCHOOL)
    projections = open_projections(tmp_path / "caught_up")
    projections.catch_up()
    situation = projections.map
    assert situation.next_change() is not None
    assert len(situation._zone_heap) <= 2  # the declaration's, and the newest case's: not one a case
