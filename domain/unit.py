"""Responsible units (责任单位): county departments and township governments."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import Meta, Thing
from domain.values import UNIT_KINDS, kind_of, text_of


class Unit(Thing):
    class UnitRegistered(Thing.Created):
        name: str
        kind: str
        jurisdiction: str | None

    def __init__(self, name: str, kind: str, jurisdiction: str | None) -> None:
        self.name = name
        self.kind = kind
        self.jurisdiction = jurisdiction

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
