"""Active zones found by point: an STRtree over most of them, plus a short list of recent changes.

Rebuilding the tree on every declared or lifted zone made each change cost O(zones); now the
tree is rebuilt only after enough changes have piled up beside it.
"""
from __future__ import annotations

from typing import Any

from shapely import STRtree
from shapely.geometry import Point

REBUILD_AFTER = 64


class ZoneIndex:
    def __init__(self) -> None:
        self.shapes: dict[str, Any] = {}
        self._tree: STRtree | None = None
        self._tree_ids: list[str] = []
        self._recent: set[str] = set()
        self._removed: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self.shapes)

    def add(self, zone_id: str, geometry: Any) -> None:
        self.shapes[zone_id] = geometry
        self._recent.add(zone_id)
        self._removed.discard(zone_id)

    def remove(self, zone_id: str) -> None:
        self.shapes.pop(zone_id, None)
        self._recent.discard(zone_id)
        self._removed.add(zone_id)

    def containing(self, location: list[float]) -> list[str]:
        if self._tree is None or len(self._recent) + len(self._removed) > REBUILD_AFTER:
            self._rebuild()
        point = Point(location)
        found = [self._tree_ids[int(i)] for i in self._tree.query(point, predicate="intersects")] if self._tree else []
        found = [z for z in found if z not in self._removed]
        return found + [z for z in self._recent if self.shapes[z].intersects(point)]

    def _rebuild(self) -> None:
        self._tree_ids = list(self.shapes)
        self._tree = STRtree([self.shapes[z] for z in self._tree_ids]) if self._tree_ids else None
        self._recent, self._removed = set(), set()
