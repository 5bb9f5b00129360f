"""Joint-prevention tasks (联防联控任务) and their supervision notices (督办单)."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import Meta, Thing
from domain.errors import InvalidInput, NotPermitted, Refused
from domain.times import time_of
from domain.values import text_of


class Task(Thing):
    class TaskAssigned(Thing.Created):
        title: str
        lead: str
        cooperating: list[str]
        due: str
        incident: str | None
        zone: str | None
        description: str | None = None  # added later: a task recorded before it has none

    class TaskClaimed(Thing.Event):
        unit: str

        def apply(self, task: Task) -> None:
            task.state = "claimed"

    class ProgressReported(Thing.Event):
        percent: int
        note: str | None

        def apply(self, task: Task) -> None:
            task.percent = self.percent

    class TaskCompleted(Thing.Event):
        def apply(self, task: Task) -> None:
            task.state, task.percent = "completed", 100

    class TaskRefused(Thing.Event):
        reason: str

        def apply(self, task: Task) -> None:
            task.state = "refused"

    class SupervisionIssued(Thing.Event):
        notice_no: int
        notice: str
        answer_by: str

        def apply(self, task: Task) -> None:
            task.unanswered.append(self.notice_no)
            task.notices += 1

    class SupervisionAnswered(Thing.Event):
        notice_no: int
        answer: str

        def apply(self, task: Task) -> None:
            task.unanswered.remove(self.notice_no)

    def __init__(self, title: str, lead: str, cooperating: list[str], due: str, incident: str | None, zone: str | None,
                 description: str | None = None) -> None:
        self.title = title
        self.description = description
        self.lead = lead
        self.cooperating = cooperating
        self.due = due
        self.incident = incident
        self.zone = zone
        self.state = "assigned"
        self.percent = 0
        self.notices = 0
        self.unanswered: list[int] = []

    @classmethod
    def assign(
        cls, id: UUID, meta: Meta, *, title: Any, lead: str, due: Any,  # noqa: A002
        cooperating: list[str] = (), incident: str | None = None, zone: str | None = None,  # type: ignore[assignment]
        description: Any = None,
    ) -> Task:
        meta.check_role("commander", doing="assigning a joint task")
        due_at = time_of(due, "due", now=meta.at)
        if due_at <= meta.at:
            raise InvalidInput(f"due {due} is already past; give the unit a due time in the future")
        if lead in cooperating:
            raise InvalidInput("the lead unit cannot also be a cooperating unit")
        return cls.begin(
            cls.TaskAssigned, id, meta, title=text_of(title, "title", max_len=200), lead=lead,
            cooperating=sorted(set(cooperating)), due=due_at.isoformat(), incident=incident, zone=zone,
            description=text_of(description, "description", required=False, max_len=5000),
        )

    def claim(self, meta: Meta) -> None:
        self.check_lead(meta, "claim")
        if self.state != "assigned":
            raise Refused(f"task “{self.title}” is {self.state}; only an assigned task can be claimed")
        self.happen(self.TaskClaimed, meta, unit=self.lead)

    def report_progress(self, meta: Meta, *, percent: Any, note: Any = None) -> None:
        if meta.role != "unit" or meta.unit not in (self.lead, *self.cooperating):
            raise NotPermitted("progress is reported by the lead unit or a cooperating unit of this task")
        if self.state != "claimed":
            raise Refused(f"task “{self.title}” is {self.state}; progress is reported on a claimed task")
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            raise InvalidInput(f"percent must be a whole number from 0 to 100, not {percent!r}")
        if percent < self.percent:
            raise Refused(f"progress never goes down: the task is at {self.percent}%, not {percent}%")
        self.happen(self.ProgressReported, meta, percent=percent, note=text_of(note, "note", required=False))

    def complete(self, meta: Meta) -> None:
        self.check_lead(meta, "complete")
        if self.state != "claimed":
            raise Refused(f"task “{self.title}” is {self.state}; claim it before completing it")
        self.happen(self.TaskCompleted, meta)

    def refuse(self, meta: Meta, *, reason: Any) -> None:
        self.check_lead(meta, "refuse")
        if self.state not in ("assigned", "claimed"):
            raise Refused(f"task “{self.title}” is {self.state} and cannot be refused")
        self.happen(self.TaskRefused, meta, reason=text_of(reason, "reason", max_len=500))

    def supervise(self, meta: Meta, *, notice: Any, answer_by: Any) -> None:
        meta.check_role("commander", doing="issuing a supervision notice")
        if self.state in ("completed", "refused"):
            raise Refused(f"task “{self.title}” is {self.state}; there is nothing left to supervise")
        answer_at = time_of(answer_by, "answer_by", now=meta.at)
        if answer_at <= meta.at:
            raise InvalidInput(f"answer_by {answer_by} is already past; give the unit time to answer")
        self.happen(
            self.SupervisionIssued, meta, notice_no=self.notices + 1,
            notice=text_of(notice, "notice", max_len=2000), answer_by=answer_at.isoformat(),
        )

    def answer_supervision(self, meta: Meta, *, answer: Any) -> None:
        self.check_lead(meta, "answer supervision notices on")
        if not self.unanswered:
            raise Refused(f"task “{self.title}” has no unanswered supervision notice")
        self.happen(self.SupervisionAnswered, meta, notice_no=self.unanswered[0], answer=text_of(answer, "answer", max_len=2000))

    def check_lead(self, meta: Meta, to_do: str) -> None:
        if meta.role != "unit" or meta.unit != self.lead:
            raise NotPermitted(f"only the lead unit may {to_do} this task")
