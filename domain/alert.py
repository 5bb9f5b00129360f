"""Public alerts (预警), exchangeable as OASIS CAP 1.2."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import Meta, Thing
from domain.errors import InvalidInput, Refused
from domain.geometry import area_of
from domain.times import time_of
from domain.values import text_of

SEVERITY = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
STATUS = ("Actual", "Exercise", "System", "Test", "Draft")
RESPONSE_TYPES = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None")


def one_of(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"{what} must be one of {', '.join(allowed)} (CAP 1.2), not {value!r}")
    return str(value)


class Alert(Thing):
    class AlertIssued(Thing.Created):
        headline: str
        severity: str
        urgency: str
        certainty: str
        area: dict[str, Any]
        area_desc: str | None
        description: str | None
        instruction: str | None
        incident: str | None
        expires: str | None
        status: str
        event: str
        response_type: list[str]
        language: str
        sender: str
        identifier: str
        references: list[str]

    class AlertUpdated(Thing.Event):
        changes: dict[str, Any]

        def apply(self, alert: Alert) -> None:
            alert.fields.update(self.changes)

    class AlertCancelled(Thing.Event):
        reason: str | None

        def apply(self, alert: Alert) -> None:
            alert.cancelled = True

    def __init__(self, **fields: Any) -> None:
        self.fields = dict(fields)
        self.cancelled = False

    @classmethod
    def issue(
        cls, id: UUID, meta: Meta, *, headline: Any, severity: Any, urgency: Any, certainty: Any, area: Any,  # noqa: A002
        description: Any = None, instruction: Any = None, incident: str | None = None, expires: Any = None,
        event: Any = "突发公共卫生事件", response_type: Any = ("Monitor",), language: Any = "zh-CN",
        area_desc: Any = None, sender: str = "lianfang", identifier: str | None = None, references: Any = (),
    ) -> Alert:
        meta.check_role("commander", doing="issuing a public alert")
        if not isinstance(response_type, (list, tuple)) or not response_type:
            raise InvalidInput("response_type must be a non-empty list of CAP response types")
        return cls.begin(
            cls.AlertIssued, id, meta,
            headline=text_of(headline, "headline", max_len=160),
            severity=one_of(severity, SEVERITY, "severity"),
            urgency=one_of(urgency, URGENCY, "urgency"),
            certainty=one_of(certainty, CERTAINTY, "certainty"),
            area=area_of(area), area_desc=text_of(area_desc, "area_desc", required=False, max_len=500),
            description=text_of(description, "description", required=False, max_len=5000),
            instruction=text_of(instruction, "instruction", required=False, max_len=5000),
            incident=incident,
            expires=time_of(expires, "expires", now=meta.at).isoformat() if expires else None,
            status="Exercise" if meta.drill_run else "Actual",
            event=text_of(event, "event", max_len=200),
            response_type=[one_of(r, RESPONSE_TYPES, "response_type") for r in response_type],
            language=text_of(language, "language", max_len=35),
            sender=text_of(sender, "sender", max_len=200), identifier=identifier or str(id),
            references=list(references),
        )

    def update(self, meta: Meta, **changes: Any) -> None:
        meta.check_role("commander", doing="updating an alert")
        self.check_live()
        allowed = {"headline", "severity", "urgency", "certainty", "description", "instruction", "expires"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(f"cannot update {', '.join(sorted(unknown))}; updatable: {', '.join(sorted(allowed))}")
        self.happen(self.AlertUpdated, meta, changes=changes)

    def cancel(self, meta: Meta, *, reason: Any = None) -> None:
        meta.check_role("commander", doing="cancelling an alert")
        self.check_live()
        self.happen(self.AlertCancelled, meta, reason=text_of(reason, "reason", required=False, max_len=500))

    def check_live(self) -> None:
        if self.cancelled:
            raise Refused("this alert was cancelled; issue a new one")
