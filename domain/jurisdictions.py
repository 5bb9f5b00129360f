"""The county's jurisdictions as its setup file draws them (县 → 乡镇/街道 → 村/社区 → 网格), in force from the
moment each is drawn. One aggregate per store, at a fixed id; a store that drew none uses the server's
geography file (the setting `geography`), as it always did."""
from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, uuid5

from domain.base import Meta, Thing
from domain.errors import InvalidInput, Refused
from domain.geometry import area_of
from domain.values import text_of

JURISDICTIONS_ID = uuid5(NAMESPACE_URL, "https://lianfang.example/jurisdictions")
LEVELS = ("county", "township", "street", "village", "community", "grid")


class Jurisdictions(Thing):
    class JurisdictionsOpened(Thing.Created):
        pass

    class JurisdictionDrawn(Thing.Event):
        code: str
        name: str
        level: str
        parent: str | None
        area: dict[str, Any]

        def apply(self, jurisdictions: Jurisdictions) -> None:
            jurisdictions.drawn[self.code] = {"code": self.code, "name": self.name, "level": self.level,
                                              "parent": self.parent, "area": self.area}

    class JurisdictionErased(Thing.Event):
        code: str

        def apply(self, jurisdictions: Jurisdictions) -> None:
            jurisdictions.drawn.pop(self.code, None)

    def __init__(self) -> None:
        self.drawn: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, meta: Meta) -> Jurisdictions:
        return cls.begin(cls.JurisdictionsOpened, JURISDICTIONS_ID, meta)

    def draw(self, meta: Meta, *, code: Any, name: Any, level: Any, parent: Any = None, area: Any) -> None:
        meta.check_role("commander", doing="drawing a jurisdiction")
        code = text_of(code, "code (the jurisdiction's code)", max_len=32)
        if level not in LEVELS:
            raise InvalidInput(f"jurisdiction {code}: level must be one of {', '.join(LEVELS)}, not {level!r}")
        fields = {"code": code, "name": text_of(name, "name", max_len=100), "level": level,
                  "parent": text_of(parent, "parent", required=False, max_len=32), "area": area_of(area, f"jurisdiction {code}")}
        if self.drawn.get(code) == fields:
            raise Refused(f"jurisdiction {code} is already drawn so")
        self.happen(self.JurisdictionDrawn, meta, **fields)

    def erase(self, meta: Meta, *, code: Any) -> None:
        meta.check_role("commander", doing="erasing a jurisdiction")
        if code not in self.drawn:
            raise Refused(f"jurisdiction {code!r} is not drawn; nothing to erase")
        self.happen(self.JurisdictionErased, meta, code=code)
