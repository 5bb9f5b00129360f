"""History checkpoints kept as deltas (SQLite stores): as-of from them is exactly a replay from position 0, most
of them are small, and a store written before deltas (every row a whole state, no `base` column) still answers."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson

from projections.checkpoints import FULL_EVERY
from projections.readmodel import encoded, is_delta
from projections.runner import MODELS

from story import SCHOOL, SQUARE
from story_commands import Plot, RandomChoice
from test_runner import tell

AREA = {"type": "Polygon", "coordinates": [[[104.0, 30.6], [104.1, 30.6], [104.1, 30.7], [104.0, 30.7], [104.0, 30.6]]]}


def history_rows(p: Any, name: str) -> list[tuple[int, int | None, bytes]]:
    with sqlite3.connect(p.stores[name].path) as db:
        return db.execute("SELECT position, base, state FROM checkpoints WHERE head = 0 ORDER BY position").fetchall()


def seen_live(story: Any, live: Any, choose: Any, steps: int, n: int = 1) -> list[tuple[Any, ...]]:
    """Random commands (and cases in a zone, a drawn jurisdiction, a declared kind: changes to things that are not
    the event's own); the live map and ledger noted every few steps."""
    plot, seen = Plot(story.clock.now), []
    incident = story.incident({"confirmed": 1})
    story.do("declare_zone", incident=incident, kind="sealed", area=SQUARE, name="锦里小区")
    for step in range(steps):
        tell(story.app, plot, choose, 1)
        if step % 7 == 3:
            story.do("file_report", incident, new={"confirmed": 1}, position=SCHOOL)  # the zone's clock starts again
        if step == steps // 3:
            story.do("draw_jurisdiction", code=f"99000{n}", name="新区", level="township", parent="510199", area=AREA)
            story.do("declare_kind", group="resource", code=f"drone_{n}", zh=f"无人机{n}", en="drone")
        if step == 2 * steps // 3:
            story.do("erase_jurisdiction", code=f"99000{n}")
        if step % 5 == 4:
            live.catch_up()
            live.tick()
            seen.append((story.now, live.position, live.map.feature_collection(), orjson.loads(orjson.dumps(live.map.state)),
                         live.ledger.rows()))
            live.checkpoint()
        story.later(minutes=choose.number(0, 240))
    return seen


def assert_as_of_is_what_was_seen(source: Any, seen: list[tuple[Any, ...]]) -> None:
    for at, position, collection, state, rows in seen:
        got_position, situation, ledger = source.as_of(at)
        assert got_position == position
        assert situation.feature_collection() == collection  # the same features, in the same order
        assert situation.state == state
        assert ledger.rows() == rows


def test_as_of_from_delta_checkpoints_is_what_was_seen_live_and_what_a_replay_from_zero_gives(story, open_projections, tmp_path):
    if story.settings.database_url:
        return  # PostgreSQL stores keep whole states (test_checkpoint_history)
    live = open_projections()
    seen = seen_live(story, live, RandomChoice(8), 90)
    rows = history_rows(live, "situation_map")
    deltas = [r for r in rows if r[1] is not None]
    assert len(rows) >= 10 and len(deltas) >= len(rows) // 2, [(p, b) for p, b, _ in rows]
    assert all(is_delta(state) for _, base, state in deltas)
    assert all(base == previous[0] for previous, (_, base, _) in zip(rows, rows[1:]) if base is not None)  # a chain
    assert max(len(s) for _, b, s in deltas) < min(len(s) for _, b, s in rows if b is None and _ > rows[len(rows) // 2][0])
    assert_as_of_is_what_was_seen(live, seen)
    assert_as_of_is_what_was_seen(open_projections(tmp_path / "empty"), seen)  # a replay from position 0
    # A restart resumes from the newest checkpoint (a delta on its chain) and goes on writing deltas.
    live.stop()
    again = open_projections()
    assert again.position == live.position
    for name in MODELS:
        assert again.models[name].state == live.models[name].state
    assert again.catch_up() == 0


def test_a_whole_state_is_kept_at_least_every_so_many_history_checkpoints(story, open_projections):
    if story.settings.database_url:
        return
    live = open_projections()
    tell(story.app, Plot(story.clock.now), RandomChoice(3), 400, story.clock)
    live.catch_up()
    live.checkpoint()
    rows = history_rows(live, "situation_map")
    wholes = [i for i, (_, base, _) in enumerate(rows) if base is None]
    assert wholes[0] == 0 and len(rows) > FULL_EVERY
    assert max(b - a for a, b in zip([*wholes, len(rows)], [*wholes[1:], len(rows)])) <= FULL_EVERY


def as_written_before_deltas(store: Any, path: Path) -> None:
    """Turn a model's file into what an older version left: every row a whole state, and no `base` column."""
    wholes = {row["position"]: encoded(store._saved_at(row["position"])) for row in store._rows("SELECT position FROM checkpoints")}  # noqa: SLF001
    store.close()
    with sqlite3.connect(path) as db:
        for position, whole in wholes.items():
            db.execute("UPDATE checkpoints SET state = ?, base = NULL WHERE position = ?", (whole, position))
        db.execute("ALTER TABLE checkpoints DROP COLUMN base")


def test_a_store_written_before_deltas_opens_and_answers_as_of_as_before(story, open_projections, tmp_path):
    if story.settings.database_url:
        return
    live = open_projections()
    choose = RandomChoice(11)
    seen = seen_live(story, live, choose, 40)
    live.stop()
    directory = Path(story.settings.data_dir) / "projections"
    for name in MODELS:
        again = type(live.stores[name])(directory / f"{name}.sqlite", story.settings.checkpoint_every)
        as_written_before_deltas(again, directory / f"{name}.sqlite")
        with sqlite3.connect(directory / f"{name}.sqlite") as db:
            assert "base" not in [c[1] for c in db.execute("PRAGMA table_info(checkpoints)")]
    older = open_projections()
    assert older.position == live.position
    assert_as_of_is_what_was_seen(older, seen)
    # It goes on: new history checkpoints are deltas on the old whole ones, and as-of still answers exactly.
    seen += seen_live(story, older, choose, 30, n=2)
    assert any(base is not None for _, base, _ in history_rows(older, "situation_map"))
    assert_as_of_is_what_was_seen(older, seen)
    assert_as_of_is_what_was_seen(open_projections(tmp_path / "empty"), seen)
