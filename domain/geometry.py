"""Validation of areas (control zones, alert areas): valid GeoJSON polygons in WGS84."""
from __future__ import annotations

from typing import Any

from shapely.geometry import shape
from shapely.validation import explain_validity

from domain.errors import InvalidInput
from domain.values import finite, shown

MAX_VERTICES = 100_000


def area_of(value: Any, what: str = "area") -> dict[str, Any]:
    """Return the GeoJSON Polygon or MultiPolygon as given, after checking it is valid."""
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidInput(f"{what} must be a GeoJSON Polygon or MultiPolygon object")
    coordinates = value.get("coordinates")
    polygons = [coordinates] if value["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise InvalidInput(f"{what} has no coordinates")
    vertices = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise InvalidInput(f"{what}: each polygon is a list of linear rings")
        for ring in polygon:
            _check_ring(ring, what)
            vertices += len(ring)
    if vertices > MAX_VERTICES:
        raise InvalidInput(f"{what} has {vertices} vertices; at most {MAX_VERTICES}")
    geometry = shape(value)
    if not geometry.is_valid:
        raise InvalidInput(f"{what} is not a valid polygon: {explain_validity(geometry)}")
    if geometry.is_empty or geometry.area == 0:
        raise InvalidInput(f"{what} encloses no area")
    return {"type": value["type"], "coordinates": _rounded(coordinates)}


def _check_ring(ring: Any, what: str) -> None:
    if not isinstance(ring, list) or len(ring) < 4:
        raise InvalidInput(f"{what}: a linear ring needs at least 4 positions (closed: first equals last)")
    for position in ring:
        if not isinstance(position, list) or len(position) not in (2, 3):
            raise InvalidInput(f"{what}: each position is [lon, lat] (or [lon, lat, altitude])")
        if any(finite(v) is None for v in position):
            raise InvalidInput(f"{what}: coordinates must be finite numbers, not {shown(position)}")
        lon, lat = position[0], position[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput(f"{what}: position {shown(position)} is out of range; coordinates are [lon, lat] in WGS84")
    if len({len(p) for p in ring}) != 1:
        raise InvalidInput(f"{what}: all positions of a ring need the same number of coordinates")
    if ring[0][:2] != ring[-1][:2]:
        raise InvalidInput(f"{what}: a linear ring must be closed (its first and last positions equal)")


def _rounded(value: Any) -> Any:
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(float(value), 7)
