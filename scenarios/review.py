"""The after-action review (复盘): a store's record replayed to any moment, and what it shows.

`replay(store, at)` reads the log once, in order, into fresh read models (the same SituationMap and
Ledger the server runs), sampling the map's counts and the ledger's colours over time and keeping the
map as it stood at the key moments. Nothing is written into the store.
"""
from __future__ import annotations

import copy
import sqlite3
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from eventsourcing.persistence import PersistenceError

from domain.errors import InvalidInput
from domain.application.settings import Settings
from domain.times import time_of
from domain.values import Counts
from projections.audit import AuditTrail
from projections.events import Fact, ForeignEvent
from projections.geography import Geography
from projections.indicators import indicators
from projections.ledger import Ledger
from projections.situation_map import SituationMap
from scenarios.expectations import Outcome
from scenarios.export import geography_of
from scenarios.loader import offset_of
from scenarios.review_words import who
from scenarios.store import EXPECTATIONS, StoreMissing, read_facts, read_json
from wiring.layout import DRILL_MARKER

GRID = 240  # samples across the span, besides one at every event
COUNT_KEYS = tuple(Counts.__dataclass_fields__)
MILESTONES = (("reported", "事件报告"), ("level_set", "启动响应"), ("zone_declared", "划定区域"), ("first_on_scene", "首支队伍到场"))


class ReviewError(Exception):
    pass


# What hostile or damaged bytes make readers raise: a store's files are data, and any of these is a refusal.
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, sqlite3.DatabaseError)


@dataclass
class Sample:
    at: datetime
    counts: dict[str, Any]
    colours: dict[str, int]
    cumulative: dict[str, int]  # cases over every incident, open or closed


@dataclass
class Snapshot:
    at: datetime
    labels: list[str]
    state: dict[str, Any]


@dataclass
class ActivityLog:
    """One unit's (or one actor's) activity log, in the spirit of ICS 214."""

    name: str
    kind: str
    personnel: dict[str, str] = field(default_factory=dict)  # name → role
    resources: list[str] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Record:
    store: Path
    marker: dict[str, Any] | None
    geography: Geography
    start: datetime
    end: datetime
    facts: list[Fact]
    entries: list[dict[str, Any]]
    samples: list[Sample]
    snapshots: list[Snapshot]
    key_times: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    activity: list[ActivityLog]
    expectations: list[Outcome]
    ledger_rows: list[dict[str, Any]]

    @property
    def title(self) -> str:
        return self.marker["scenario"] if self.marker else f"{self.store.resolve().name}"


def _cutoff(value: str | None, start: datetime) -> datetime | None:
    if value is None:
        return None
    offset = offset_of(value)
    if offset is not None:
        return start + offset
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ReviewError(f"--at must be an ISO-8601 time with its offset, or an offset from the start such as +34:00, not {value!r}") from None
    if moment.tzinfo is None:
        raise ReviewError("--at needs a UTC offset, e.g. 2026-03-01T20:00:00+08:00")
    try:
        return time_of(moment, "--at")
    except InvalidInput as error:
        raise ReviewError(error.detail) from None


def replay(store: Path | str, at: str | None = None, allow_remote_store: bool = False) -> Record:
    """The record of a store (drill or live), as it stood at `at` (default: its end). A store is data from
    wherever it came from: whatever in it cannot be read is a ReviewError that says where, never a crash."""
    store = Path(store)
    try:
        return _replay(store, at, allow_remote_store)
    except (StoreMissing, ForeignEvent, ReviewError) as error:
        raise ReviewError(str(error)) from None
    except (*MALFORMED, PersistenceError) as error:
        raise ReviewError(f"{store} cannot be reviewed: its record is malformed ({type(error).__name__}: "
                          f"{str(error)[:160]})") from None


def _replay(store: Path, at: str | None, allow_remote_store: bool) -> Record:
    facts = read_facts(store, allow_remote_store)
    if not facts:
        raise ReviewError(f"{store} holds no events yet")
    marker = read_json(store / DRILL_MARKER)
    start = datetime.fromisoformat(marker["start"]) if marker else facts[0].at
    cutoff = _cutoff(at, start)
    if cutoff is not None:
        facts = [f for f in facts if f.at <= cutoff]
        end = cutoff
    else:
        planned = datetime.fromisoformat(marker["end"]) if marker and marker.get("end") else facts[-1].at
        end = max(planned, facts[-1].at)
    settings = Settings(data_dir=store, database_url=None, redis_url=None)
    geography = Geography.load(geography_of(store))
    situation = SituationMap(geography, {"sealed": settings.sealed_quiet_days, "controlled": settings.controlled_quiet_days})
    ledger = Ledger(settings.due_soon_hours, settings.silence_hours)
    key_times = milestones(facts)
    moments: dict[datetime, list[str]] = defaultdict(list)
    for incident in key_times[:1]:
        for key, label in MILESTONES:
            if incident.get(key):
                moments[incident[key]].append(label)
    moments[end].append("复盘时刻" if cutoff else "演练结束" if marker else "最新")
    samples, snapshots = _walk(facts, start, end, situation, ledger, moments)
    units = {uid: u["name"] for uid, u in situation.state["units"].items()}
    rows = ledger.rows(end)
    outcomes = [Outcome.from_dict(o) for o in (read_json(store / EXPECTATIONS) or {}).get("outcomes", [])
                if datetime.fromisoformat(o["moment"]) <= end]  # as of T: only what was graded by then
    entries = _audit(facts)
    return Record(store, marker, geography, start, end, facts, entries, samples, snapshots, key_times,
                  indicators(rows, list(situation.state["dispatches"].values()), units),
                  activity_logs(entries, situation.state), outcomes, rows)


def _walk(facts: list[Fact], start: datetime, end: datetime, situation: SituationMap, ledger: Ledger,
          moments: dict[datetime, list[str]]) -> tuple[list[Sample], list[Snapshot]]:
    span = max(end - start, timedelta(minutes=1))
    grid = {start + span * n / GRID for n in range(GRID + 1)}
    times = sorted(grid | {f.at for f in facts if f.at >= start} | set(moments))
    samples, snapshots, index = [], [], 0
    for moment in times:
        while index < len(facts) and facts[index].at <= moment:
            try:
                situation.apply(facts[index])
                ledger.apply(facts[index])
            except MALFORMED as error:
                raise ReviewError(f"the event at position {facts[index].position} ({facts[index].topic}) cannot be "
                                  f"replayed: {type(error).__name__}: {str(error)[:160]}") from None
            index += 1
        cumulative = {k: sum(i["counts"].get(k, 0) for i in situation.state["incidents"].values()) for k in COUNT_KEYS}
        samples.append(Sample(moment, situation.counts(), ledger.colours(moment), cumulative))
        if moment in moments:
            snapshots.append(Snapshot(moment, moments[moment], copy.deepcopy(situation.state)))
    return samples, snapshots


def milestones(facts: list[Fact]) -> list[dict[str, Any]]:
    """Per incident: reported → level set → zone declared → first dispatch on scene, and minutes from the report."""
    incidents: dict[str, dict[str, Any]] = {}
    dispatch_incident: dict[str, str] = {}
    for fact in facts:
        e, t = fact.event, fact.type
        if t == "IncidentReported":
            incidents[fact.thing] = {"id": fact.thing, "title": e.title, "reported": fact.at}
        elif t == "DispatchRequested":
            dispatch_incident[fact.thing] = e.incident
        key, incident = {"LevelSet": ("level_set", fact.thing), "ZoneDeclared": ("zone_declared", getattr(e, "incident", None)),
                         "DispatchArrived": ("first_on_scene", dispatch_incident.get(fact.thing))}.get(t, (None, None))
        if key and incident in incidents:
            incidents[incident].setdefault(key, fact.at)
    for i in incidents.values():
        i["minutes"] = {k: round((i[k] - i["reported"]).total_seconds() / 60) for k, _ in MILESTONES[1:] if k in i}
    return list(incidents.values())


def _audit(facts: list[Fact]) -> list[dict[str, Any]]:
    """The audit trail's entries for these facts, built in a scratch file (the store is never written)."""
    with tempfile.TemporaryDirectory() as scratch:
        trail = AuditTrail(Path(scratch) / "audit.sqlite")
        try:
            trail.append(facts)
            return trail.query(limit=len(facts) + 1)
        finally:
            trail.close()


def activity_logs(entries: list[dict[str, Any]], state: dict[str, Any]) -> list[ActivityLog]:
    """Who did what, grouped by the unit acted for (or by the actor, for the command center)."""
    units = state["units"]
    logs: dict[str, ActivityLog] = {}
    for entry in entries:
        if entry["type"] in ("KeyRecorded", "TokenIssued", "TokenRevoked"):
            continue
        unit = entry["unit"] if entry["unit"] in units else None
        key = unit or f"actor:{entry['actor']}"
        if key not in logs:
            name = units[unit]["name"] if unit else who(entry)
            logs[key] = ActivityLog(name, units[unit]["kind"] if unit else entry["role"] or "")
            if unit:
                logs[key].resources = [r["name"] for r in state["resources"].values()
                                          if r["unit"] == unit and not r.get("retired_at")]
        log = logs[key]
        log.personnel.setdefault(who(entry), entry["role"] or "")
        log.activities.append(entry)
    return sorted(logs.values(), key=lambda log: log.activities[0]["position"])


def clock(moment: datetime, start: datetime) -> str:
    """`+HH:MM (MM-DD HH:MM)`: the offset a drill director reads, and the wall time."""
    minutes = int((moment - start).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d} ({moment:%m-%d %H:%M})"


def summary(record: Record) -> str:
    """A short text summary of the review, for a terminal."""
    from scenarios.review_words import counted, duration

    final = record.samples[-1]
    kind = f"演练 {record.marker['run']}" if record.marker else "实战记录"
    lines = [f"复盘：{record.title}（{kind}）",
             f"  记录 {record.store}；{len(record.facts)} 条事件，{record.start:%Y-%m-%d %H:%M} 至 {record.end:%Y-%m-%d %H:%M %z}"]
    labels = dict(MILESTONES)
    for i in record.key_times:
        steps = "，".join(f"{labels[k]} +{duration(m)}" for k, m in i["minutes"].items())
        lines.append(f"  事件「{i['title']}」：报告于 {clock(i['reported'], record.start)}" + (f"；{steps}" if steps else ""))
    lines.append(f"  结束时：处置中事件 {final.counts['open_incidents']}；区域 {counted('zones', final.counts['zones'])}；"
                 f"调度 {counted('dispatches', final.counts['dispatches'])}；任务 {counted('tasks', final.colours)}；"
                 f"病例（全部事件）{counted('cases', final.cumulative)}")
    if record.expectations:
        held = sum(o.held for o in record.expectations)
        lines.append(f"  演练评估：{len(record.expectations)} 项预期中 {held} 项达成")
    for row in record.indicators:
        lines.append(f"  {row['name']}：牵头任务 {row['tasks_assigned']}，按时办结 {row['completed_on_time']}，逾期办结 {row['completed_late']}，"
                     f"拒绝 {row['refused']}；认领用时中位数 {duration(row['median_minutes_to_claim'])}")
    return "\n".join(lines)
