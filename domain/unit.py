"""Responsible units (责任单位): county departments and township governments."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import Meta, Thing
from domain.errors import Refused
from domain.values import UNIT_KINDS, kind_of, text_of


class Unit(Thing):
    class UnitRegistered(Thing.Created):
        name: str
        kind: str
        jurisdiction: str | None

    class UnitRetired(Thing.Event):
        reason: str | None

        def apply(self, unit: Unit) -> None:
            unit.retired = True

    def __init__(self, name: str, kind: str, jurisdiction: str | None) -> None:
        self.name = name
        self.kind = kind
        self.jurisdiction = jurisdiction
        self.retired = False

    @classmethod
    def register(cls, id: UUID, meta: Meta, *, name: Any, kind: Any, jurisdiction: Any = None) -> Unit:  # noqa: A002
        meta.check_role("commander", doing="registering a unit")
        return cls.begin(
            cls.UnitRegistered,
            id,
            meta,
            name=text_of(name, "name", max_len=100),
            kind=kind_of(kind, UNIT_KINDS, "unit"),
            jurisdiction=text_of(jurisdiction, "jurisdiction", required=False, max_len=32),
        )

    def retire(self, meta: Meta, *, reason: Any = None) -> None:
        """The unit is dissolved or merged: it stays in the record (its past tasks and resources name it)."""
        meta.check_role("commander", doing="retiring a unit")
        if self.retired:
            raise Refused(f"unit {self.name} is already retired")
        self.happen(self.UnitRetired, meta, reason=text_of(reason, "reason", required=False, max_len=500))

    def check_active(self, to_do: str) -> None:
        if self.retired:
            raise Refused(f"unit {self.name} was retired, so it cannot {to_do}; name a unit in service")
