"""The county's own records that setup draws: its catalogue of kinds and its jurisdictions (Coordination's commands)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.base import Meta
from domain.catalogue import CATALOGUE_ID, Catalogue, defaults
from domain.errors import NotFound
from domain.jurisdictions import JURISDICTIONS_ID, Jurisdictions

if TYPE_CHECKING:
    from domain.base import Thing


class CountyRecords:
    """Mixed into Coordination, whose `load` and `stage` these use."""

    def load(self, cls: type[Thing], thing_id: Any, field: str) -> Any:  # pragma: no cover  (Coordination's)
        raise NotImplementedError

    def stage(self, main: Thing, *others: Thing) -> UUID:  # pragma: no cover  (Coordination's)
        raise NotImplementedError

    def kinds(self, group: str) -> dict[str, tuple[str, str]]:
        """The store's kinds of a group, as this unit of work sees them (the defaults alone if none was declared)."""
        try:
            return self.load(Catalogue, CATALOGUE_ID, "catalogue").kinds(group)
        except NotFound:
            return defaults(group)

    def declare_kind(self, meta: Meta, *, group: Any, code: Any, zh: Any, en: Any) -> UUID:
        """Add a kind to the county's catalogue (or rename one), with its Chinese and English names."""
        try:
            catalogue = self.load(Catalogue, CATALOGUE_ID, "catalogue")
        except NotFound:
            catalogue = Catalogue.open(meta)
        catalogue.declare(meta, group=group, code=code, zh=zh, en=en)
        return self.stage(catalogue)

    def draw_jurisdiction(self, meta: Meta, *, code: Any, name: Any, level: Any, parent: Any = None, area: Any) -> UUID:
        """Draw (or redraw) one of the county's jurisdictions: in force from now on."""
        try:
            drawn = self.load(Jurisdictions, JURISDICTIONS_ID, "jurisdictions")
        except NotFound:
            drawn = Jurisdictions.open(meta)
        drawn.draw(meta, code=code, name=name, level=level, parent=parent, area=area)
        return self.stage(drawn)

    def erase_jurisdiction(self, meta: Meta, *, code: Any) -> UUID:
        """Erase a jurisdiction the county drew: from now on it is no longer on the map."""
        drawn = self.load(Jurisdictions, JURISDICTIONS_ID, "jurisdictions")
        drawn.erase(meta, code=code)
        return self.stage(drawn)
