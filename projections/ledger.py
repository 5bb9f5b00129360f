"""The joint-task ledger (重点工作台账) and its three colours (三色清单).

A task's colour is a pure function of (task, now, thresholds); `tick(now)` reports the tasks
whose colour changed by the passing of time, so red shows at the due time, not at the next event.
"""
from __future__ import annotations

import heapq
from datetime import datetime, timedelta
from functools import singledispatchmethod
from typing import Any

from domain.task import Task
from domain.unit import Unit
from projections.events import Fact
from projections.readmodel import ReadModel


def colour_of(t: dict[str, Any], now: datetime, due_soon: timedelta, silence: timedelta) -> tuple[str, str, str]:
    """(colour, reason in Chinese, reason in English)."""
    due = datetime.fromisoformat(t["due"])
    if t["state"] == "refused":
        return "red", f"已拒绝：{t['refusal']}", f"refused: {t['refusal']}"
    if t["state"] == "completed":
        if datetime.fromisoformat(t["completed_at"]) <= due:
            return "green", "按时完成", "completed on time"
        return "red", "逾期完成", "completed after its due time"
    for notice in t["supervision"]:
        if notice["answered_at"] is None and datetime.fromisoformat(notice["answer_by"]) < now:
            return "red", f"督办单第{notice['no']}号逾期未回复", f"supervision notice {notice['no']} unanswered past its answer-by"
    if now > due:
        return "red", "已逾期未完成", "overdue"
    if due - now <= due_soon:
        return "yellow", "即将到期", f"due within {due_soon.total_seconds() / 3600:g} h"
    if now - datetime.fromisoformat(t["last_activity_at"]) > silence:
        hours = f"{silence.total_seconds() / 3600:g}"
        return "yellow", f"超过{hours}小时未认领或无进展报告", f"no claim or progress report for over {hours} h"
    return "green", "正常推进", "on track"


def next_colour_change(t: dict[str, Any], now: datetime, due_soon: timedelta, silence: timedelta) -> datetime | None:
    if t["state"] in ("refused", "completed"):
        return None
    due = datetime.fromisoformat(t["due"])
    moments = [due - due_soon, due + timedelta(microseconds=1),
               datetime.fromisoformat(t["last_activity_at"]) + silence + timedelta(microseconds=1)]
    moments += [datetime.fromisoformat(n["answer_by"]) + timedelta(microseconds=1)
                for n in t["supervision"] if n["answered_at"] is None]
    later = [m for m in moments if m > now]
    return min(later) if later else None


class Ledger(ReadModel):
    name = "ledger"

    def __init__(self, due_soon_hours: float, silence_hours: float) -> None:
        self.due_soon = timedelta(hours=due_soon_hours)
        self.silence = timedelta(hours=silence_hours)
        super().__init__()

    def empty(self) -> dict[str, Any]:
        return {"tasks": {}, "units": {}}

    def loaded(self) -> None:
        self._heap: list[tuple[str, str]] = []
        self._shown: dict[str, str] = {}
        now = self.now()
        for t in self.state["tasks"].values():
            self._shown[t["id"]] = colour_of(t, now, self.due_soon, self.silence)[0]
            self._schedule(t, now)

    @singledispatchmethod
    def process(self, event: Any, fact: Fact) -> list[dict[str, Any]]:
        return []

    @process.register(Unit.UnitRegistered)
    def _(self, e: Unit.UnitRegistered, fact: Fact) -> list[dict[str, Any]]:
        self.state["units"][fact.thing] = e.name
        return []

    @process.register(Task.TaskAssigned)
    def _(self, e: Task.TaskAssigned, fact: Fact) -> list[dict[str, Any]]:
        at = fact.at.isoformat()
        self.state["tasks"][fact.thing] = {
            "id": fact.thing, "title": e.title, "description": e.description, "lead": e.lead, "cooperating": list(e.cooperating), "due": e.due,
            "incident": e.incident, "zone": e.zone, "state": "assigned", "percent": 0, "refusal": None,
            "assigned_at": at, "claimed_at": None, "first_progress_at": None, "completed_at": None,
            "refused_at": None, "last_activity_at": at, "progress": [], "supervision": [], "version": fact.version,
        }
        return self._changed(fact)

    @process.register(Task.TaskClaimed)
    def _(self, e: Any, fact: Fact) -> list[dict[str, Any]]:
        return self._changed(fact, state="claimed", claimed_at=fact.at.isoformat(), last_activity_at=fact.at.isoformat())

    @process.register(Task.ProgressReported)
    def _(self, e: Task.ProgressReported, fact: Fact) -> list[dict[str, Any]]:
        t = self.state["tasks"][fact.thing]
        t["progress"].append({"percent": e.percent, "note": e.note, "at": fact.at.isoformat(), "unit": fact.meta.get("unit")})
        return self._changed(fact, percent=e.percent, first_progress_at=t["first_progress_at"] or fact.at.isoformat(),
                             last_activity_at=fact.at.isoformat())

    @process.register(Task.TaskCompleted)
    def _(self, e: Any, fact: Fact) -> list[dict[str, Any]]:
        return self._changed(fact, state="completed", percent=100, completed_at=fact.at.isoformat())

    @process.register(Task.TaskRefused)
    def _(self, e: Task.TaskRefused, fact: Fact) -> list[dict[str, Any]]:
        return self._changed(fact, state="refused", refusal=e.reason, refused_at=fact.at.isoformat())

    @process.register(Task.SupervisionIssued)
    def _(self, e: Task.SupervisionIssued, fact: Fact) -> list[dict[str, Any]]:
        self.state["tasks"][fact.thing]["supervision"].append({
            "no": e.notice_no, "notice": e.notice, "answer_by": e.answer_by, "issued_at": fact.at.isoformat(),
            "answer": None, "answered_at": None,
        })
        return self._changed(fact)

    @process.register(Task.SupervisionAnswered)
    def _(self, e: Task.SupervisionAnswered, fact: Fact) -> list[dict[str, Any]]:
        for notice in self.state["tasks"][fact.thing]["supervision"]:
            if notice["no"] == e.notice_no:
                notice.update(answer=e.answer, answered_at=fact.at.isoformat())
        return self._changed(fact)

    def _changed(self, fact: Fact, **fields: Any) -> list[dict[str, Any]]:
        t = self.state["tasks"][fact.thing]
        t.update(fields, version=fact.version)
        now = self.now()
        self._shown[t["id"]] = colour_of(t, now, self.due_soon, self.silence)[0]
        self._schedule(t, now)
        if self.quiet:
            return []
        return [{"op": "upsert", "layer": "tasks", "id": f"task:{t['id']}", "task": self.row(t, now)}]

    def _schedule(self, t: dict[str, Any], now: datetime) -> None:
        moment = next_colour_change(t, now, self.due_soon, self.silence)
        if moment is not None:
            heapq.heappush(self._heap, (moment.isoformat(), t["id"]))

    def next_change(self) -> datetime | None:
        return datetime.fromisoformat(self._heap[0][0]) if self._heap else None

    def tick(self, now: datetime) -> list[dict[str, Any]]:
        changes = []
        while self._heap and datetime.fromisoformat(self._heap[0][0]) <= now:
            _, tid = heapq.heappop(self._heap)
            t = self.state["tasks"][tid]
            colour = colour_of(t, now, self.due_soon, self.silence)[0]
            if colour != self._shown.get(tid):
                self._shown[tid] = colour
                changes.append({"op": "upsert", "layer": "tasks", "id": f"task:{tid}", "task": self.row(t, now)})
            self._schedule(t, now)
        return changes

    def row(self, t: dict[str, Any], now: datetime) -> dict[str, Any]:
        """The task as it is now; a copy, since deltas are serialised after later events changed the task."""
        colour, reason_zh, reason_en = colour_of(t, now, self.due_soon, self.silence)
        units = self.state["units"]
        open_ = t["state"] in ("assigned", "claimed")
        return {**t, "description": t.get("description"), "cooperating": list(t["cooperating"]), "progress": [dict(p) for p in t["progress"]],
                "supervision": [dict(n) for n in t["supervision"]],
                "colour": colour, "reason": reason_zh, "reason_en": reason_en,
                "overdue": open_ and now > datetime.fromisoformat(t["due"]),
                "lead_name": units.get(t["lead"], t["lead"]),
                "cooperating_names": [units.get(u, u) for u in t["cooperating"]]}

    def rows(self, now: datetime | None = None) -> list[dict[str, Any]]:
        now = now or self.now()
        return sorted((self.row(t, now) for t in self.state["tasks"].values()), key=lambda r: (r["due"], r["id"]))

    def colours(self, now: datetime | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.rows(now):
            counts[r["colour"]] = counts.get(r["colour"], 0) + 1
        return counts
