"""The audit trail: one attributed entry per event, filters, and a hash chain that names where it was tampered with."""
from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from api.cli import cli
from domain.base import Meta
from domain.application.eventstore import EVENTS_FILE
from domain.application.settings import Settings
from projections.audit import GENESIS, link, verify
from projections.runner import read_stores

from story import START

FIELD = "field"


@pytest.fixture
def told(story, projections):
    """A short story, told: a unit, an incident levelled and reported on by a field team, then closed."""
    unit = story.unit("城关街道办")
    team = Meta(actor="team-7", role="field", unit=unit, source="api", actor_name="采样七组")
    incident = story.incident({"confirmed": 3})
    story.later(hours=1)
    story.do("set_level", incident, level="II", reason="聚集性疫情")
    story.later(hours=1)
    story.do("file_report", incident, new={"confirmed": 1, "suspected": 2}, note="二轮筛查", meta=team)
    story.do("file_report", incident, new={"close_contacts": 4}, meta=team)
    story.later(hours=1)
    drill = Meta(actor="drill-runner", role="commander", source="drill", drill_run="run-1")
    story.incident({"suspected": 1}, meta=drill)
    story.do("close_incident", incident, reason="疫情结束")
    projections.catch_up()
    return {"unit": unit, "incident": incident, "trail": projections.audit, "projections": projections}


def test_every_event_is_one_entry_with_who_when_for_whom_and_why(story, told):
    entries = told["trail"].query(limit=1000)
    facts = story.facts()
    assert [e["position"] for e in entries] == [f.position for f in facts] == list(range(1, 8))
    levelled = next(e for e in entries if e["type"] == "LevelSet")
    assert levelled["thing"] == told["incident"] and levelled["thing_kind"] == "Incident"
    assert (levelled["actor"], levelled["actor_name"], levelled["role"], levelled["unit"], levelled["source"]) == (
        "commander-1", "王指挥", "commander", None, "api")
    assert (levelled["summary_zh"], levelled["summary_en"], levelled["reason"]) == ("响应级别调整为 II 级", "response level set to II", "聚集性疫情")
    assert levelled["recorded_at"] == (START + timedelta(hours=1)).isoformat()
    report = next(e for e in entries if e["type"] == "FieldReportFiled")
    assert (report["actor"], report["actor_name"], report["role"], report["unit"]) == ("team-7", "采样七组", FIELD, told["unit"])
    assert report["summary_zh"] == "现场报告：新增确诊1 疑似2 无症状0 密接0"
    assert report["summary_en"] == "field report: new confirmed 1, suspected 2, asymptomatic 0, close contacts 0"
    assert report["reason"] == "二轮筛查"
    drilled = next(e for e in entries if e["source"] == "drill")
    assert (drilled["actor"], drilled["drill_run"], drilled["type"]) == ("drill-runner", "run-1", "IncidentReported")
    closed = entries[-1]
    assert (closed["type"], closed["summary_zh"], closed["reason"]) == ("IncidentClosed", "事件关闭", "疫情结束")


def test_entries_are_chained_by_hash_in_log_order(story, told):
    previous = GENESIS
    for fact, entry in zip(story.facts(), told["trail"].query(limit=1000), strict=True):
        previous = link(previous, fact.position, fact.thing, fact.version, fact.topic, fact.state)
        assert entry["hash"] == previous.hex()


def test_the_trail_filters_by_thing_actor_unit_and_time(told):
    trail, incident = told["trail"], told["incident"]
    assert [e["type"] for e in trail.query(thing=incident)] == [
        "IncidentReported", "LevelSet", "FieldReportFiled", "FieldReportFiled", "IncidentClosed"]
    assert [e["position"] for e in trail.query(actor="team-7")] == [4, 5]
    assert [e["position"] for e in trail.query(unit=told["unit"])] == [4, 5]
    assert [e["type"] for e in trail.query(since=START + timedelta(minutes=30), until=START + timedelta(minutes=90))] == ["LevelSet"]
    assert [e["position"] for e in trail.query(since=START + timedelta(hours=3))] == [6, 7]
    assert [e["position"] for e in trail.query(thing=incident, after=3, limit=1)] == [4]
    assert [e["position"] for e in trail.query(limit=2, newest_first=True)] == [7, 6]
    assert trail.query(actor="nobody") == []


def test_appending_the_same_facts_again_adds_nothing(story, told):
    trail = told["trail"]
    assert trail.append(story.facts()) == []
    assert trail.append(story.facts()[-2:]) == []
    assert [e["position"] for e in trail.query(limit=1000)] == list(range(1, 8))
    assert trail.position == 7


def test_the_untouched_chain_verifies_and_so_says_the_command_line(story, told):
    verdict = verify(story.app, told["trail"])
    assert (verdict.ok, verdict.checked, verdict.head, verdict.broken_at) == (True, 7, 7, None)
    result = CliRunner().invoke(cli, ["audit", "verify"], env=in_the_shell(story.settings))
    assert result.exit_code == 0, result.output
    assert "ok: 7 events verified" in result.output


def tamper(settings: Settings, how: str) -> None:
    """Edit the event store behind the application's back: the SQLite file, or the PostgreSQL table."""
    if settings.database_url:
        db, table, key, arg = psycopg.connect(settings.database_url), "coordination_events", "notification_id", "%s"
    else:
        db, table, key, arg = sqlite3.connect(Path(settings.data_dir) / EVENTS_FILE), "stored_events", "rowid", "?"
    with db:
        run = db.execute
        if how == "change one byte":
            (state,) = run(f"SELECT state FROM {table} WHERE {key}=4").fetchone()
            i = bytes(state).index(b'"confirmed":') + len(b'"confirmed":')
            forged = bytes(state[:i]) + (b"9" if state[i:i + 1] != b"9" else b"8") + bytes(state[i + 1:])
            run(f"UPDATE {table} SET state={arg} WHERE {key}=4", (forged,))
        elif how == "delete one":
            run(f"DELETE FROM {table} WHERE {key}=4")
        elif how == "swap two":
            run(f"UPDATE {table} SET {key}=-1 WHERE {key}=4")
            run(f"UPDATE {table} SET {key}=4 WHERE {key}=6")
            run(f"UPDATE {table} SET {key}=6 WHERE {key}=-1")
        elif how == "insert one":
            run(f"UPDATE {table} SET {key}={key}+1000 WHERE {key}>=4")
            run(f"UPDATE {table} SET {key}={key}-999 WHERE {key}>=1000")
            run(f"INSERT INTO {table} ({key}, originator_id, originator_version, topic, state) "
                f"SELECT 4, originator_id, 99, topic, state FROM {table} WHERE {key}=3")
        elif how == "delete the tail":
            run(f"DELETE FROM {table} WHERE {key}>=6")
    db.close()


def in_the_shell(settings: Settings) -> dict[str, str | None]:
    """The environment `lianfang` runs with against this store (None unsets a variable)."""
    return {"LIANFANG_DATA_DIR": str(settings.data_dir), "LIANFANG_DATABASE_URL": settings.database_url}


@pytest.mark.parametrize(("how", "position", "problem"), [
    ("change one byte", 4, "changed"),
    ("delete one", 4, "removed"),
    ("swap two", 4, "changed or moved"),
    ("insert one", 4, "changed or moved"),
    ("delete the tail", 6, "from position 6 on were removed"),
])
def test_tampering_with_the_event_store_is_named_at_its_position(story, told, how, position, problem):
    told["projections"].stop()
    settings = story.settings
    tamper(settings, how)
    # verify() names the position ...
    stores, trail = read_stores(settings, Path(settings.data_dir) / "projections")
    verdict = verify(story.app, trail)
    trail.close()
    for store in stores.values():
        store.close()
    assert (verdict.ok, verdict.broken_at) == (False, position)
    assert problem in verdict.problem
    # ... and so does `lianfang audit verify`, with exit status 1.
    result = CliRunner().invoke(cli, ["audit", "verify"], env=in_the_shell(settings))
    assert result.exit_code == 1
    assert f"BROKEN at position {position}" in result.output


def test_a_trail_keeps_each_link_in_32_bytes_and_one_written_with_hex_links_still_verifies_and_goes_on(story, told, tmp_path):
    """Leaner rows, the same tamper evidence: a link is stored as its 32 bytes, and read back as the same hex."""
    trail = told["trail"]
    if story.settings.database_url:
        return  # PostgreSQL keeps hex text
    entries = trail.query(limit=1000)
    with sqlite3.connect(trail.path) as db:
        stored = db.execute("SELECT position, typeof(hash), length(hash) FROM entries ORDER BY position").fetchall()
        indexes = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'")]
    assert stored == [(e["position"], "blob", 32) for e in entries]
    with sqlite3.connect(trail.path) as db:  # a thing's UUID in 16 bytes too
        assert {r[0] for r in db.execute("SELECT typeof(thing) || length(thing) FROM entries")} == {"blob16"}
    by_thing = trail.query(thing=told["incident"])
    assert by_thing == [e for e in entries if e["thing"] == told["incident"]] and len(by_thing) >= 4
    assert all(len(e["hash"]) == 64 for e in entries) and verify(story.app, trail).ok
    assert "entries_recorded_at" not in indexes and not any(i.startswith("sqlite_autoindex") for i in indexes)
    # A trail an older version wrote: the position an indexed column beside the row id, links as hex text.
    told["projections"].stop()
    with sqlite3.connect(trail.path) as db:
        db.execute("ALTER TABLE entries RENAME TO newer")
        columns = [r[1] for r in db.execute("PRAGMA table_info(newer)")]
        db.execute(f"CREATE TABLE entries ({', '.join(columns)}, PRIMARY KEY (position))")
        db.execute(f"INSERT INTO entries SELECT {', '.join('hex(hash)' if c == 'hash' else c for c in columns)} FROM newer")
        db.execute("UPDATE entries SET hash = lower(hash)")
        db.execute("DROP TABLE newer")
        db.execute("CREATE INDEX entries_recorded_at ON entries (recorded_at)")
    older = read_stores(story.settings, trail.path.parent)[1]
    assert older.query(limit=1000) == entries and verify(story.app, older).ok
    story.incident({"suspected": 2})
    facts = story.facts()
    older.append(facts)
    assert verify(story.app, older).ok and older.position == facts[-1].position
    assert older.query(limit=1000)[:-1] == entries
    assert older.query(thing=told["incident"]) == by_thing  # stored as text before, asked as text
    assert older.query(thing=str(facts[-1].thing))[0]["position"] == facts[-1].position  # stored as bytes now
    older.close()
