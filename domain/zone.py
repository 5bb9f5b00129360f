"""Control zones (封控区 / 管控区 / 防范区): declared, downgraded one step, lifted."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from domain import terms
from domain.base import Meta, Thing
from domain.errors import InvalidInput, Refused
from domain.geometry import area_of
from domain.incident import Incident
from domain.terms import chinese
from domain.values import text_of

ZONE_KINDS = chinese(terms.ZONE_KINDS)
NEXT_KIND = {"sealed": "controlled", "controlled": "prevention"}


class Zone(Thing):
    class ZoneDeclared(Thing.Created):
        incident: str
        kind: str
        area: dict[str, Any]
        name: str | None

    class ZoneDowngraded(Thing.Event):
        previous: str
        kind: str
        reason: str | None

        def apply(self, zone: Zone) -> None:
            zone.kind = self.kind

    class ZoneLifted(Thing.Event):
        reason: str | None

        def apply(self, zone: Zone) -> None:
            zone.lifted = True

    def __init__(self, incident: str, kind: str, area: dict[str, Any], name: str | None) -> None:
        self.incident = incident
        self.kind = kind
        self.area = area
        self.name = name
        self.lifted = False

    @classmethod
    def declare(cls, id: UUID, meta: Meta, incident: Incident, *, kind: Any, area: Any, name: Any = None) -> Zone:  # noqa: A002
        meta.check_role("commander", doing="declaring a control zone")
        incident.check_open("get new control zones")
        if not isinstance(kind, str) or kind not in ZONE_KINDS:
            raise InvalidInput(f"zone kind {kind!r} is unknown; use sealed (封控区), controlled (管控区) or prevention (防范区)")
        return cls.begin(
            cls.ZoneDeclared, id, meta,
            incident=str(incident.id), kind=kind, area=area_of(area),
            name=text_of(name, "name", required=False, max_len=100),
        )

    def downgrade(self, meta: Meta, *, reason: Any = None) -> None:
        meta.check_role("commander", doing="downgrading a zone")
        self.check_active()
        if self.kind not in NEXT_KIND:
            raise Refused(f"a {self.kind} zone is the lowest kind; lift it instead")
        self.happen(
            self.ZoneDowngraded, meta, previous=self.kind, kind=NEXT_KIND[self.kind],
            reason=text_of(reason, "reason", required=False, max_len=500),
        )

    def lift(self, meta: Meta, *, reason: Any = None) -> None:
        meta.check_role("commander", doing="lifting a zone")
        self.check_active()
        self.happen(self.ZoneLifted, meta, reason=text_of(reason, "reason", required=False, max_len=500))

    def check_active(self) -> None:
        if self.lifted:
            raise Refused(f"zone {self.name or self.id} was already lifted")
