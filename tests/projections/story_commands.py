"""Random but mostly valid commands, from a small model of what exists (for long random stories).

`Plot.next(choose)` returns a command the domain will probably accept; `Plot.took(command, outcome)`
updates the model with the answer. `choose` is anything with `pick(seq)` and `number(lo, hi)`:
a `random.Random` wrapper for scripts, a hypothesis `data` wrapper for property tests.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.base import Meta
from domain.commands import Command, Receipt

COMMANDER = Meta(actor="commander-1", role="commander")
GRID_POINTS = [[104.06, 30.67], [104.075, 30.64], [104.11, 30.70], [104.16, 30.68], [104.24, 30.66], [104.03, 30.71],
               [104.12, 30.60], [104.05, 30.60]]
LEVELS = ("I", "II", "III", "IV")
KINDS = ("ambulance", "epi_team")


class RandomChoice:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, seq: Any) -> Any:
        return self.rng.choice(list(seq))

    def number(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


def square_around(point: list[float], half: float) -> dict[str, Any]:
    x, y = point
    ring = [[x - half, y - half], [x + half, y - half], [x + half, y + half], [x - half, y + half], [x - half, y - half]]
    return {"type": "Polygon", "coordinates": [[[round(a, 6), round(b, 6)] for a, b in ring]]}


@dataclass
class Plot:
    now: Any  # () -> datetime: the clock the commands will be stamped with
    units: list[str] = field(default_factory=list)
    incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)  # id → kind
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    dispatches: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)

    def next(self, choose: Any) -> Command:
        options = ["report_incident", "register_unit"] if len(self.units) < 2 else ["report_incident"]
        open_ = [i for i, v in self.incidents.items() if v["open"]]
        if open_:
            options += ["file_report"] * 4 + ["set_level", "close_incident", "declare_zone", "request_dispatch", "issue_alert"]
        if self.units:
            options += ["register_resource", "assign_task", "assign_task"]
        if self.zones:
            options += ["downgrade_zone", "lift_zone"]
        if self.resources:
            options += ["move_resource"]
        if any(d["state"] in ("requested", "committed", "en_route", "on_scene") for d in self.dispatches.values()):
            options += ["step_dispatch"] * 3
        if any(t["state"] in ("assigned", "claimed") for t in self.tasks.values()):
            options += ["task_step"] * 4
        if self.alerts:
            options += ["update_alert", "cancel_alert"]
        return getattr(self, "_" + choose.pick(options))(choose, open_)

    def took(self, command: Command, outcome: Any) -> None:
        if not isinstance(outcome, Receipt):
            return
        thing, args, target = str(outcome.id), command.args, command.target
        name = command.name
        if name == "register_unit":
            self.units.append(thing)
        elif name == "report_incident":
            self.incidents[thing] = {"open": True, "location": args["location"]}
        elif name == "close_incident":
            self.incidents[target]["open"] = False
        elif name == "declare_zone":
            self.zones[thing] = args["kind"]
        elif name == "downgrade_zone":
            self.zones[target] = {"sealed": "controlled", "controlled": "prevention"}[self.zones[target]]
        elif name == "lift_zone":
            del self.zones[target]
        elif name == "register_resource":
            self.resources[thing] = {"kind": args["kind"], "unit": args["unit"], "dispatch": None}
        elif name == "request_dispatch":
            self.dispatches[thing] = {"state": "requested", "kind": args["kind"], "resource": None}
        elif name in ("commit_dispatch", "depart", "arrive", "release", "cancel_dispatch"):
            self._dispatch_took(name, target, args)
        elif name == "assign_task":
            self.tasks[thing] = {"state": "assigned", "lead": args["lead"], "percent": 0, "open_notices": 0}
        elif name in ("claim_task", "complete_task", "refuse_task", "report_progress", "supervise_task", "answer_supervision"):
            self._task_took(name, target, args)
        elif name == "issue_alert":
            self.alerts.append(thing)
        elif name == "cancel_alert":
            self.alerts.remove(target)

    # -- commands ---------------------------------------------------------------------------

    def _register_unit(self, choose: Any, open_: list[str]) -> Command:
        return Command("register_unit", COMMANDER, {"name": f"单位{len(self.units) + 1}", "kind": "department"})

    def _report_incident(self, choose: Any, open_: list[str]) -> Command:
        point = choose.pick(GRID_POINTS)
        counts = {"confirmed": choose.number(0, 3), "close_contacts": choose.number(0, 9)}
        args = {"kind": "cluster", "title": "聚集性疫情", "location": point, "counts": counts}
        if choose.number(0, 5) == 0:
            args["jurisdiction"] = choose.pick(["510199003", "51019900100301"])
        return Command("report_incident", COMMANDER, args)

    def _file_report(self, choose: Any, open_: list[str]) -> Command:
        incident = choose.pick(open_)
        new = {choose.pick(["confirmed", "suspected", "asymptomatic", "close_contacts"]): choose.number(1, 4)}
        args: dict[str, Any] = {"new": new}
        if choose.number(0, 2) == 0:
            args["position"] = choose.pick(GRID_POINTS)
        return Command("file_report", COMMANDER, args, target=incident)

    def _set_level(self, choose: Any, open_: list[str]) -> Command:
        return Command("set_level", COMMANDER, {"level": choose.pick(LEVELS), "reason": "研判"}, target=choose.pick(open_))

    def _close_incident(self, choose: Any, open_: list[str]) -> Command:
        return Command("close_incident", COMMANDER, {"reason": "结束"}, target=choose.pick(open_))

    def _declare_zone(self, choose: Any, open_: list[str]) -> Command:
        incident = choose.pick(open_)
        area = square_around(self.incidents[incident]["location"], 0.002 * choose.number(1, 5))
        kind = choose.pick(["sealed", "sealed", "controlled", "prevention"])
        return Command("declare_zone", COMMANDER, {"incident": incident, "kind": kind, "area": area})

    def _downgrade_zone(self, choose: Any, open_: list[str]) -> Command:
        return Command("downgrade_zone", COMMANDER, {}, target=choose.pick(self.zones))

    def _lift_zone(self, choose: Any, open_: list[str]) -> Command:
        return Command("lift_zone", COMMANDER, {}, target=choose.pick(self.zones))

    def _register_resource(self, choose: Any, open_: list[str]) -> Command:
        args = {"kind": choose.pick(KINDS), "name": "队伍", "unit": choose.pick(self.units), "position": choose.pick(GRID_POINTS)}
        return Command("register_resource", COMMANDER, args)

    def _move_resource(self, choose: Any, open_: list[str]) -> Command:
        point = choose.pick(GRID_POINTS)
        return Command("move_resource", COMMANDER, {"position": [point[0] + 0.001, point[1]]}, target=choose.pick(self.resources))

    def _request_dispatch(self, choose: Any, open_: list[str]) -> Command:
        return Command("request_dispatch", COMMANDER, {"incident": choose.pick(open_), "kind": choose.pick(KINDS)})

    def _step_dispatch(self, choose: Any, open_: list[str]) -> Command:
        live = [d for d, v in self.dispatches.items() if v["state"] in ("requested", "committed", "en_route", "on_scene")]
        dispatch = choose.pick(live)
        d = self.dispatches[dispatch]
        if d["state"] == "requested":
            free = [r for r, v in self.resources.items() if v["dispatch"] is None and v["kind"] == d["kind"]]
            if free and choose.number(0, 3):
                return Command("commit_dispatch", COMMANDER, {"resource": choose.pick(free)}, target=dispatch)
            return Command("cancel_dispatch", COMMANDER, {"reason": "取消"}, target=dispatch)
        step = {"committed": choose.pick(["depart", "depart", "cancel_dispatch"]), "en_route": "arrive", "on_scene": "release"}[d["state"]]
        return Command(step, COMMANDER, {}, target=dispatch)

    def _dispatch_took(self, name: str, dispatch: str, args: dict[str, Any]) -> None:
        d = self.dispatches[dispatch]
        if name == "commit_dispatch":
            d.update(state="committed", resource=args["resource"])
            self.resources[args["resource"]]["dispatch"] = dispatch
            return
        d["state"] = {"depart": "en_route", "arrive": "on_scene", "release": "released", "cancel_dispatch": "cancelled"}[name]
        if d["state"] in ("released", "cancelled") and d["resource"]:
            self.resources[d["resource"]]["dispatch"] = None

    def _assign_task(self, choose: Any, open_: list[str]) -> Command:
        due: datetime = self.now() + timedelta(hours=choose.number(1, 72))
        return Command("assign_task", COMMANDER, {"title": "联防任务", "lead": choose.pick(self.units), "due": due.isoformat()})

    def _task_step(self, choose: Any, open_: list[str]) -> Command:
        task = choose.pick([t for t, v in self.tasks.items() if v["state"] in ("assigned", "claimed")])
        t = self.tasks[task]
        lead = Meta(actor=f"unit-of-{t['lead']}", role="unit", unit=t["lead"])
        if t["open_notices"] and choose.number(0, 1):
            return Command("answer_supervision", lead, {"answer": "已落实"}, target=task)
        if choose.number(0, 4) == 0:
            answer_by = self.now() + timedelta(hours=choose.number(1, 12))
            return Command("supervise_task", COMMANDER, {"notice": "请报告进展", "answer_by": answer_by.isoformat()}, target=task)
        if t["state"] == "assigned":
            step = choose.pick(["claim_task", "claim_task", "claim_task", "refuse_task"])
            return Command(step, lead, {"reason": "不属于本单位"} if step == "refuse_task" else {}, target=task)
        if choose.number(0, 2):
            return Command("report_progress", lead, {"percent": min(100, t["percent"] + choose.number(0, 40))}, target=task)
        return Command("complete_task", lead, {}, target=task)

    def _task_took(self, name: str, task: str, args: dict[str, Any]) -> None:
        t = self.tasks[task]
        if name == "report_progress":
            t["percent"] = args["percent"]
        elif name == "supervise_task":
            t["open_notices"] += 1
        elif name == "answer_supervision":
            t["open_notices"] -= 1
        else:
            t["state"] = {"claim_task": "claimed", "complete_task": "completed", "refuse_task": "refused"}[name]

    def _issue_alert(self, choose: Any, open_: list[str]) -> Command:
        incident = choose.pick(open_)
        args = {"incident": incident, "headline": "健康提示", "severity": "Moderate", "urgency": "Expected",
                "certainty": "Likely", "area": square_around(self.incidents[incident]["location"], 0.01)}
        return Command("issue_alert", COMMANDER, args)

    def _update_alert(self, choose: Any, open_: list[str]) -> Command:
        return Command("update_alert", COMMANDER, {"severity": choose.pick(["Severe", "Minor"])}, target=choose.pick(self.alerts))

    def _cancel_alert(self, choose: Any, open_: list[str]) -> Command:
        return Command("cancel_alert", COMMANDER, {"reason": "解除"}, target=choose.pick(self.alerts))


def plot_from_read_side(map_state: dict[str, Any], ledger_state: dict[str, Any], now: Any) -> Plot:
    """What exists, as the read models say: lets a restarted script carry on its story."""
    plot = Plot(now, units=list(map_state["units"]))
    plot.incidents = {i: {"open": v["status"] == "open", "location": v["location"]} for i, v in map_state["incidents"].items()}
    plot.zones = {z: v["kind"] for z, v in map_state["zones"].items() if not v["lifted"]}
    plot.resources = {r: {"kind": v["kind"], "unit": v["unit"], "dispatch": v["dispatch"]} for r, v in map_state["resources"].items()}
    plot.dispatches = {d: {"state": v["state"], "kind": v["kind"], "resource": v["resource"]} for d, v in map_state["dispatches"].items()}
    plot.tasks = {t: {"state": v["state"], "lead": v["lead"], "percent": v["percent"],
                      "open_notices": sum(n["answered_at"] is None for n in v["supervision"])}
                  for t, v in ledger_state["tasks"].items()}
    plot.alerts = [a for a, v in map_state["alerts"].items() if not v["cancelled"]]
    return plot
