"""Jurisdictions (county → township → village → grid) and where a point falls among them."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import shapely
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.prepared import prep

LEVELS = ("county", "township", "street", "village", "community", "grid")
DEPTH = {"county": 0, "township": 1, "street": 1, "village": 2, "community": 2, "grid": 3}


class GeographyError(ValueError):
    pass


@dataclass
class Jurisdiction:
    code: str
    name: str
    level: str
    parent: str | None
    geometry: dict[str, Any]
    shape: Any = field(repr=False)
    depth: int = 0


LOCATED = 10_000  # points remembered by `locate` (a geography never changes: a drawn one is a new Geography)


class Geography:
    """The jurisdictions of one geography file, with a spatial index over them."""

    def __init__(self, jurisdictions: list[Jurisdiction]) -> None:
        self.by_code = {j.code: j for j in jurisdictions}
        self._list = jurisdictions
        self._tree = STRtree([j.shape for j in jurisdictions]) if jurisdictions else None
        self._prepared = [prep(j.shape) for j in jurisdictions]
        for j in jurisdictions:
            shapely.prepare(j.shape)  # fast repeated point tests (holds)
        # Where points are: the writer's policy locates the same few places (incidents') for every report.
        self._located: dict[tuple[float, float], str | None] = {}

    @classmethod
    def load(cls, path: Path | str) -> Geography:
        path = Path(path)
        if not path.is_file():
            raise GeographyError(f"geography file {path} does not exist")
        try:
            collection = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as e:
            raise GeographyError(f"{path}: not JSON ({e})") from None
        return cls.from_geojson(collection, str(path))

    @classmethod
    def from_geojson(cls, collection: Any, where: str = "geography") -> Geography:
        if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
            raise GeographyError(f"{where}: expected a GeoJSON FeatureCollection of jurisdictions")
        jurisdictions = []
        for index, feature in enumerate(collection.get("features") or []):
            props = feature.get("properties") or {}
            geometry = feature.get("geometry") or {}
            code, level = props.get("code"), props.get("level")
            if not code or level not in DEPTH or geometry.get("type") not in ("Polygon", "MultiPolygon"):
                raise GeographyError(
                    f"{where}: feature {index} needs properties code, name, level ({', '.join(LEVELS)}) "
                    "and a Polygon or MultiPolygon geometry"
                )
            polygon = shape(geometry)
            if not polygon.is_valid:
                raise GeographyError(f"{where}: jurisdiction {code} has an invalid polygon")
            jurisdictions.append(Jurisdiction(
                str(code), str(props.get("name") or code), level, props.get("parent"), geometry, polygon, DEPTH[level],
            ))
        return cls(jurisdictions)

    def __len__(self) -> int:
        return len(self._list)

    def __iter__(self):  # noqa: ANN204
        return iter(self._list)

    def locate(self, point: list[float]) -> str | None:
        """The deepest jurisdiction that holds the point."""
        if self._tree is None:
            return None
        key = (point[0], point[1])
        if key not in self._located:
            if len(self._located) >= LOCATED:
                self._located.clear()
            self._located[key] = self._locate(point)
        return self._located[key]

    def _locate(self, point: list[float]) -> str | None:
        p = Point(point)
        best: Jurisdiction | None = None
        for index in self._tree.query(p):
            j = self._list[int(index)]
            if self._prepared[int(index)].covers(p) and (best is None or j.depth > best.depth):
                best = j
        return best.code if best else None

    def chain(self, code: str | None) -> list[str]:
        """The code and all its ancestors, deepest first."""
        codes: list[str] = []
        while code and code in self.by_code and code not in codes:
            codes.append(code)
            code = self.by_code[code].parent
        return codes

    def holds(self, code: str, point: list[float]) -> bool:
        """Is the point inside jurisdiction `code`? (A field team acts only inside its own.)"""
        j = self.by_code.get(code)
        return j is not None and bool(shapely.intersects_xy(j.shape, point[0], point[1]))

    def root(self) -> Jurisdiction | None:
        return next((j for j in self._list if j.parent is None), None)


def in_force(base: Geography, drawn: dict[str, dict[str, Any]]) -> Geography:
    """The geography a store's events drew (county setup's `JurisdictionDrawn`), else the server's file."""
    if not drawn:
        return base
    return Geography([Jurisdiction(j["code"], j["name"], j["level"], j["parent"], j["area"], shape(j["area"]),
                                   DEPTH[j["level"]]) for j in drawn.values()])
