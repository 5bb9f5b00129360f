"""Public-health incidents (突发公共卫生事件): reported, reported on, levelled, closed."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import Meta, Thing
from domain.errors import InvalidInput, Refused
from domain.catalogue import check_kind, defaults
from domain.values import Counts, Level, level_of, point_of, text_of


class IncidentClosedError(Refused):
    pass


class Incident(Thing):
    class IncidentReported(Thing.Created):
        kind: str
        title: str
        location: list[float]
        jurisdiction: str | None
        counts: dict[str, int]

    class FieldReportFiled(Thing.Event):
        new: dict[str, int]
        note: str | None
        position: list[float] | None

        def apply(self, incident: Incident) -> None:
            incident.counts = incident.counts + Counts(**self.new)

    class LevelSet(Thing.Event):
        level: str
        previous: str | None
        reason: str

        def apply(self, incident: Incident) -> None:
            incident.level = Level(self.level)

    class IncidentClosed(Thing.Event):
        reason: str

        def apply(self, incident: Incident) -> None:
            incident.closed = True

    def __init__(self, kind: str, title: str, location: list[float], jurisdiction: str | None, counts: dict[str, int]) -> None:
        self.kind = kind
        self.title = title
        self.location = location
        self.jurisdiction = jurisdiction
        self.counts = Counts(**counts)
        self.level: Level | None = None
        self.closed = False

    @classmethod
    def report(
        cls, id: UUID, meta: Meta, *, kind: Any, title: Any, location: Any,  # noqa: A002
        jurisdiction: Any = None, counts: Any = None, kinds: dict[str, tuple[str, str]] | None = None,
    ) -> Incident:
        meta.check_role("commander", "unit", "field", doing="reporting an incident")
        return cls.begin(
            cls.IncidentReported,
            id,
            meta,
            kind=check_kind(kind, kinds or defaults("incident"), "incident"),
            title=text_of(title, "title", max_len=200),
            location=point_of(location),
            jurisdiction=text_of(jurisdiction, "jurisdiction", required=False, max_len=32),
            counts=Counts.parse(counts).as_dict(),
        )

    def file_report(self, meta: Meta, *, new: Any, note: Any = None, position: Any = None) -> None:
        meta.check_role("commander", "unit", "field", doing="filing a field report")
        self.check_open("take field reports")
        counts = Counts.parse(new)
        note = text_of(note, "note", required=False)
        if counts == Counts() and not note:
            raise InvalidInput("a field report needs new counts or a note; send the cases found since your last report")
        self.happen(
            self.FieldReportFiled, meta,
            new=counts.as_dict(), note=note,
            position=point_of(position, "position") if position is not None else None,
        )

    def set_level(self, meta: Meta, *, level: Any, reason: Any) -> None:
        meta.check_role("commander", doing="setting the response level")
        self.check_open("change its response level")
        new_level = level_of(level)
        reason = text_of(reason, "reason", max_len=500)
        if new_level == self.level:
            raise Refused(f"the response level is already {new_level.value}")
        self.happen(
            self.LevelSet, meta, level=new_level.value,
            previous=self.level.value if self.level else None, reason=reason,
        )

    def close(self, meta: Meta, *, reason: Any) -> None:
        meta.check_role("commander", doing="closing an incident")
        self.check_open("be closed again")
        self.happen(self.IncidentClosed, meta, reason=text_of(reason, "reason", max_len=500))

    def check_open(self, to_do: str) -> None:
        if self.closed:
            raise IncidentClosedError(f"incident “{self.title}” is closed and cannot {to_do}")
