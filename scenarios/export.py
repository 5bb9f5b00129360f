"""`lianfang drill export STORE`: a store's record written back out as a scenario file.

Actors come from the events' metadata (units from their registrations), injects from the events,
with offsets from the first event's time, and refs for the things created. A drill store's graded
expectations go along, so the replay is graded the same way.
"""
from __future__ import annotations

import math
import os
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from domain.command_catalogue import COMMANDS
from domain.application.settings import Settings
from projections.events import Fact, ForeignEvent
from scenarios.store import EXPECTATIONS, GEOGRAPHY, StoreMissing, read_facts, read_json
from scenarios.vocabulary import format_offset
from wiring.layout import DRILL_MARKER

ACTOR_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
REF_PREFIX = {"Incident": "inc", "Zone": "zone", "Resource": "res", "Dispatch": "disp", "Task": "task", "Alert": "alert"}
SIDE_EFFECTS = {"CatalogueOpened", "KindDeclared", "UnitRegistered", "TokenIssued", "TokenRevoked", "KeyRecorded", "ResourceAssigned", "ResourceFreed"}
# The event a verb's command records, back to the verb: steps on a thing, and creations (the catalogue's).
STEPS = {c.event: c.verb for c in COMMANDS if c.verb and c.targeted}
CREATIONS = {c.event: c.verb for c in COMMANDS if c.verb and c.creates and c.event not in SIDE_EFFECTS}
# The verbs whose scenario may say when it happened in the field.
TIMED_IN_THE_FIELD = {c.verb for c in COMMANDS if c.verb and any(f.name == "occurred_at" and f.in_scenario for f in c.fields)}
TARGET_FIELD = {"Incident": "incident", "Zone": "zone", "Resource": "resource", "Dispatch": "dispatch", "Task": "task"}


class ExportError(Exception):
    pass


class Exporter:
    def __init__(self, facts: list[Fact]) -> None:
        if not facts:
            raise ExportError("the store holds no events to export")
        self.start = facts[0].at.replace(second=0, microsecond=0)
        self.facts = facts
        self.refs: dict[str, str] = {}
        self.taken: Counter[str] = Counter()
        self.unit_actor: dict[str, str] = {}
        self.actors: dict[str, dict[str, Any]] = {}
        self.actor_of: dict[str, str] = {}
        self.left_out: Counter[str] = Counter()

    def offset(self, moment: datetime | str, *, after: bool = False) -> str:
        moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        minutes = (moment - self.start).total_seconds() / 60
        return format_offset(timedelta(minutes=math.ceil(minutes) if after else math.floor(minutes)))

    def _free(self, wanted: str, fallback: str) -> str:
        base = wanted if ACTOR_ID.match(wanted) else fallback
        name, n = base, 1
        while name in self.actors:
            n += 1
            name = f"{base}-{n}"
        return name

    def collect_units(self) -> None:
        acting = {f.meta.get("unit"): f.meta.get("actor") for f in reversed(self.facts) if f.meta.get("role") == "unit"}
        for n, fact in enumerate((f for f in self.facts if f.type == "UnitRegistered"), start=1):
            e = fact.event
            actor_id = self._free(str(acting.get(fact.thing) or ""), f"unit-{n}")
            self.unit_actor[fact.thing] = actor_id
            self.actors[actor_id] = {"role": "unit", "name": e.name, "kind": e.kind,
                                     **({"jurisdiction": e.jurisdiction} if e.jurisdiction else {})}

    def by(self, meta: dict[str, Any]) -> str:
        if meta.get("role") == "unit" and meta.get("unit") in self.unit_actor:
            return self.unit_actor[meta["unit"]]
        raw = str(meta.get("actor") or "unknown")
        if raw not in self.actor_of:
            actor_id = self._free(raw, f"{meta.get('role', 'actor')}-{re.sub(r'[^A-Za-z0-9]', '', raw)[:8]}")
            actor = {"role": meta.get("role", "observer"), "name": meta.get("actor_name") or raw}
            if meta.get("unit") in self.unit_actor and actor["role"] == "field":
                actor["unit"] = self.unit_actor[meta["unit"]]
            self.actors[actor_id], self.actor_of[raw] = actor, actor_id
        return self.actor_of[raw]

    def ref(self, thing: str | None) -> str | None:
        return f"${self.refs[thing]}" if thing else None

    def inject(self, fact: Fact) -> dict[str, Any] | None:
        if fact.type in SIDE_EFFECTS:
            return None
        if fact.type in CREATIONS:
            verb, fields = CREATIONS[fact.type], self.created(fact)
            prefix = REF_PREFIX[fact.thing_kind]
            self.taken[prefix] += 1
            self.refs[fact.thing] = f"{prefix}{self.taken[prefix]}"
            ref = {"ref": self.refs[fact.thing]}
        elif fact.type in STEPS:
            verb, ref = STEPS[fact.type], {}
            fields = {TARGET_FIELD[fact.thing_kind]: self.ref(fact.thing), **self.stepped(fact)}
        else:
            self.left_out[fact.type] += 1
            return None
        if fact.meta.get("occurred_at") and verb in TIMED_IN_THE_FIELD:
            fields["occurred_at"] = fact.meta["occurred_at"]
        fields = {k: v for k, v in fields.items() if v is not None and v != []}
        return {"at": self.offset(fact.at), "by": self.by(fact.meta), "do": verb, **ref, "with": fields}

    def created(self, fact: Fact) -> dict[str, Any]:
        e, t = fact.event, fact.type
        if t == "IncidentReported":
            counts = {k: v for k, v in e.counts.items() if v}
            return {"kind": e.kind, "title": e.title, "location": e.location, "jurisdiction": e.jurisdiction,
                    "counts": counts or None}
        if t == "ZoneDeclared":
            return {"incident": self.ref(e.incident), "kind": e.kind, "name": e.name, "area": e.area}
        if t == "ResourceRegistered":
            return {"kind": e.kind, "name": e.name, "unit": self.unit_actor.get(e.unit), "position": e.position,
                    "capacity": e.capacity, "quantity": e.quantity}
        if t == "DispatchRequested":
            return {"incident": self.ref(e.incident), "kind": e.kind, "quantity": e.quantity, "destination": e.destination}
        if t == "TaskAssigned":
            return {"title": e.title, "lead": self.unit_actor.get(e.lead), "due": self.offset(e.due, after=True),
                    "cooperating": [self.unit_actor[u] for u in e.cooperating if u in self.unit_actor],
                    "incident": self.ref(e.incident), "zone": self.ref(e.zone), "description": e.description}
        expires = self.offset(e.expires, after=True) if e.expires and datetime.fromisoformat(e.expires) > fact.at else None
        return {"headline": e.headline, "severity": e.severity, "urgency": e.urgency, "certainty": e.certainty,
                "description": e.description, "incident": self.ref(e.incident), "expires": expires, "area": e.area}

    def stepped(self, fact: Fact) -> dict[str, Any]:
        e, t = fact.event, fact.type
        fields: dict[str, Any] = {}
        for name in ("new", "note", "position", "level", "reason", "percent", "notice", "answer"):
            if name in vars(e):
                fields[name] = vars(e)[name]
        if "new" in fields:
            fields["new"] = {k: v for k, v in fields["new"].items() if v}
        if t == "DispatchCommitted":
            fields["resource"] = self.ref(e.resource)
        if t == "SupervisionIssued":
            fields["answer_by"] = self.offset(e.answer_by, after=True)
        return fields

    def expectations(self, saved: dict[str, Any] | None) -> list[dict[str, Any]]:
        result = []
        for outcome in (saved or {}).get("outcomes", []):
            holds = {c["key"]: ({k: v for k, v in c["expected"].items() if v} if isinstance(c["expected"], dict) else c["expected"])
                     for c in outcome["checks"]}
            result.append({"at": self.offset(outcome["moment"]), "holds": holds})
        return result


def scenario_of(store: Path, geography: str, allow_remote_store: bool = False) -> tuple[dict[str, Any], Exporter]:
    store = Path(store)
    try:
        exporter = Exporter(read_facts(store, allow_remote_store))
    except (StoreMissing, ForeignEvent) as error:
        raise ExportError(str(error)) from None
    exporter.collect_units()
    injects = [i for i in (exporter.inject(f) for f in exporter.facts) if i is not None]
    marker = read_json(store / DRILL_MARKER)
    name = f"{marker['scenario']}（记录导出）" if marker else f"{store.resolve().name} 处置记录导出"
    doc = {"scenario": name, "start": exporter.start.isoformat(), "geography": geography}
    kinds: dict[str, dict[str, dict[str, str]]] = {}
    for fact in exporter.facts:  # the store's own catalogue goes along, so the replay knows the same kinds
        if fact.type == "KindDeclared":
            kinds.setdefault(fact.event.group, {})[fact.event.code] = {"zh": fact.event.zh, "en": fact.event.en}
    if kinds:
        doc["kinds"] = kinds
    doc |= {"actors": exporter.actors, "injects": injects}
    expect = exporter.expectations(read_json(store / EXPECTATIONS))
    if expect:
        doc["expect"] = expect
    return doc, exporter


def geography_of(store: Path) -> Path:
    kept = Path(store) / GEOGRAPHY
    return kept if kept.is_file() else Settings(data_dir=store).geography_file


def export_text(store: Path, geography: str | None = None, allow_remote_store: bool = False) -> str:
    doc, exporter = scenario_of(store, geography or str(geography_of(store).resolve()), allow_remote_store)
    header = f"# Exported by `lianfang drill export` from {store}: {len(exporter.facts)} events, {len(doc['injects'])} injects.\n"
    if exporter.left_out:
        header += "# Left out (no scenario verb): " + ", ".join(f"{t} ×{n}" for t, n in exporter.left_out.items()) + "\n"
    return header + yaml.dump(doc, Dumper=ScenarioDumper, allow_unicode=True, sort_keys=False, width=140)


def export(store: Path, output: Path, allow_remote_store: bool = False) -> Path:
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    geography = os.path.relpath(geography_of(store).resolve(), output.resolve().parent)
    output.write_text(export_text(store, geography, allow_remote_store), encoding="utf-8")
    return output


class ScenarioDumper(yaml.SafeDumper):
    """Coordinates and other lists of plain values on one line, as people write them."""


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flat = all(not isinstance(v, dict) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


def _dict(dumper: yaml.SafeDumper, value: dict[str, Any]) -> yaml.Node:
    flat = bool(value) and all(not isinstance(v, (dict, list)) for v in value.values()) and len(value) <= 6
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=flat)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    offset = value.startswith("+") and value[1:2].isdigit()
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if offset else None)


ScenarioDumper.add_representer(str, _str)
ScenarioDumper.add_representer(list, _list)
ScenarioDumper.add_representer(dict, _dict)
