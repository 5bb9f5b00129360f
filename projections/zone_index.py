"""Active zones found by point: a grid of cells, each listing the zones whose bounding box touches it.

Adding, removing and finding cost the same however many zones the county has declared: a point
is tested only against the zones of its own cell (and the few that span many cells). An STRtree
had to be rebuilt as zones came and went, which made a long history quadratic in its zones.
Shapes are made from the GeoJSON on first use, so restoring a checkpoint builds none.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from shapely.geometry import Point, shape

CELL = 0.01  # degrees: a zone is typically a few hundred metres across
WIDE = 64  # a zone over more cells than this is kept aside and tested for every point


class ZoneIndex:
    def __init__(self) -> None:
        self.areas: dict[str, dict[str, Any]] = {}
        self._shapes: dict[str, Any] = {}
        self._cells: dict[tuple[int, int], dict[str, None]] = {}
        self._wide: dict[str, None] = {}
        self._placed: dict[str, list[tuple[int, int]]] = {}
        self._order: dict[str, int] = {}
        self._added = 0

    def __bool__(self) -> bool:
        return bool(self.areas)

    def add(self, zone_id: str, area: dict[str, Any]) -> None:
        self.remove(zone_id)
        self.areas[zone_id] = area
        self._added += 1
        self._order[zone_id] = self._added
        cells = list(_cells_of(area))
        if len(cells) > WIDE:
            self._wide[zone_id] = None
            cells = []
        for cell in cells:
            self._cells.setdefault(cell, {})[zone_id] = None
        self._placed[zone_id] = cells

    def remove(self, zone_id: str) -> None:
        if self.areas.pop(zone_id, None) is None:
            return
        self._shapes.pop(zone_id, None)
        del self._order[zone_id]
        self._wide.pop(zone_id, None)
        for cell in self._placed.pop(zone_id):
            listed = self._cells[cell]
            del listed[zone_id]
            if not listed:
                del self._cells[cell]

    def containing(self, location: list[float]) -> list[str]:
        """The zones whose area holds the point (its boundary included), in the order they were added."""
        near = [*self._cells.get(_cell(location[0], location[1]), ()), *self._wide]
        if not near:
            return []
        point = Point(location)
        found = [z for z in near if self._shape(z).intersects(point)]
        return sorted(found, key=self._order.__getitem__) if len(found) > 1 else found

    def _shape(self, zone_id: str) -> Any:
        found = self._shapes.get(zone_id)
        if found is None:
            found = self._shapes[zone_id] = shape(self.areas[zone_id])
        return found


def _cell(x: float, y: float) -> tuple[int, int]:
    return math.floor(x / CELL), math.floor(y / CELL)


def _cells_of(area: dict[str, Any]) -> Iterator[tuple[int, int]]:
    xs, ys = [], []
    _positions(area.get("coordinates") or [], xs, ys)
    if not xs:
        yield from ((i, 0) for i in range(WIDE + 1))  # nothing to place it by: tested for every point
        return
    (x0, y0), (x1, y1) = _cell(min(xs), min(ys)), _cell(max(xs), max(ys))
    if (x1 - x0 + 1) * (y1 - y0 + 1) > WIDE:
        yield from ((x0 + i, y0) for i in range(WIDE + 1))  # only their number matters: kept aside
        return
    for cx in range(x0, x1 + 1):
        for cy in range(y0, y1 + 1):
            yield cx, cy


def _positions(coordinates: Any, xs: list[float], ys: list[float]) -> None:
    if coordinates and isinstance(coordinates[0], (int, float)):
        xs.append(coordinates[0])
        ys.append(coordinates[1])
        return
    for inner in coordinates:
        _positions(inner, xs, ys)
