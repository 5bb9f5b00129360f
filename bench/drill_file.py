"""A large drill scenario file over the demo county, reproducible from a seed (for P7).

Field teams report incidents and file reports inside their own township, the command center levels,
zones and dispatches, townships carry out joint tasks; every 10,000 injects an expectation checks the
number of open incidents. Each inject is one line of flow-style YAML.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from projections.geography import Geography

GEOGRAPHY = Path(__file__).resolve().parent.parent / "scenarios" / "demo-county.geojson"
RESOURCES = ("sampling_team", "epi_team", "ambulance")


def _minute(n: int) -> str:
    return f"+{n // 60:02d}:{n % 60:02d}"


def write(path: Path, injects: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    geography = Geography.load(GEOGRAPHY)
    towns = [j for j in geography if j.level in ("township", "street")]
    actors: dict[str, Any] = {"cmd": {"role": "commander", "name": "县应急指挥部"},
                              "health": {"role": "unit", "name": "县卫生健康局", "kind": "department", "jurisdiction": geography.root().code}}
    places: dict[str, list[list[float]]] = {}
    for n, town in enumerate(towns):
        actors[f"town{n}"] = {"role": "unit", "name": f"{town.name}办事处", "kind": "township", "jurisdiction": town.code}
        actors[f"team{n}"] = {"role": "field", "unit": f"town{n}", "name": f"{town.name}网格员"}
        box, found = town.shape.bounds, []
        while len(found) < 50:
            p = [round(rng.uniform(box[0], box[2]), 5), round(rng.uniform(box[1], box[3]), 5)]
            if geography.holds(town.code, p):
                found.append(p)
        places[f"team{n}"] = found
    lines, state = [], {"open": [], "resources": {k: [] for k in RESOURCES}, "dispatches": [], "tasks": []}
    expectations = []
    for n in range(injects):
        minute = n // 2
        inject = _next(rng, n, minute, state, places)
        lines.append("  - " + json.dumps({"at": _minute(minute), **inject}, ensure_ascii=False))
        if (n + 1) % 10_000 == 0:
            expectations.append(f'  - {{at: "{_minute(minute)}", holds: {{open_incidents: {len(state["open"])}}}}}')
    head = {"scenario": f"基准演练 {injects} 条注入", "start": "2026-03-02T08:00:00+08:00", "geography": str(GEOGRAPHY)}
    text = [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in head.items()]
    text += ["actors:"] + [f"  {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in actors.items()]
    text += ["injects:", *lines] + (["expect:", *expectations] if expectations else [])
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def _next(rng: random.Random, n: int, minute: int, state: dict[str, Any], places: dict[str, list]) -> dict[str, Any]:
    r = rng.random()
    if len(state["open"]) < 5 or r < 0.03:
        team = rng.choice(list(places))
        state["open"].append((f"i{n}", team))
        return {"by": team, "do": "report_incident", "ref": f"i{n}", "with": {
            "kind": "cluster", "title": "学校发热聚集", "location": rng.choice(places[team]), "counts": {"suspected": rng.randint(1, 5)}}}
    incident, team = rng.choice(state["open"])
    if r < 0.50:
        return {"by": team, "do": "file_report", "with": {"incident": f"${incident}", "new": {"suspected": rng.randint(1, 4)},
                                                         "position": rng.choice(places[team])}}
    if r < 0.53 and len(state["open"]) > 8:
        state["open"].remove((incident, team))
        return {"by": "cmd", "do": "close_incident", "with": {"incident": f"${incident}", "reason": "连续14天无新增"}}
    if r < 0.65:
        if state["resources"]["sampling_team"] and state["dispatches"] and rng.random() < 0.5:
            dispatch, step, resource = state["dispatches"].pop(0)
            following = {"requested": "commit_dispatch", "commit_dispatch": "depart", "depart": "arrive", "arrive": "release"}[step]
            if following == "commit_dispatch":
                resource = state["resources"]["sampling_team"].pop()
            if following != "release":
                state["dispatches"].append((dispatch, following, resource))
            else:
                state["resources"]["sampling_team"].append(resource)
            extra = {"resource": f"${resource}"} if following == "commit_dispatch" else {}
            return {"by": "cmd", "do": following, "with": {"dispatch": f"${dispatch}", **extra}}
        state["dispatches"].append((f"d{n}", "requested", None))
        return {"by": "cmd", "do": "request_dispatch", "ref": f"d{n}", "with": {"incident": f"${incident}", "kind": "sampling_team", "quantity": 1}}
    if r < 0.75:
        state["resources"]["sampling_team"].append(f"r{n}")
        return {"by": "health", "do": "register_resource", "ref": f"r{n}", "with": {
            "kind": "sampling_team", "name": f"采样队{n}", "unit": "health", "position": rng.choice(places[team])}}
    if r < 0.85 or not state["tasks"]:
        lead = team.replace("team", "town")
        state["tasks"].append((f"t{n}", lead, "assigned", 0))
        return {"by": "cmd", "do": "assign_task", "ref": f"t{n}", "with": {"title": "密接排查", "lead": lead,
                                                                          "due": _minute(minute + 2880)}}
    task, lead, stage, percent = state["tasks"].pop(0)
    if stage == "assigned":
        state["tasks"].append((task, lead, "claimed", 0))
        return {"by": lead, "do": "claim_task", "with": {"task": f"${task}"}}
    if percent < 100:
        state["tasks"].append((task, lead, "claimed", percent + 50))
        return {"by": lead, "do": "report_progress", "with": {"task": f"${task}", "percent": percent + 50}}
    return {"by": lead, "do": "complete_task", "with": {"task": f"${task}"}}
