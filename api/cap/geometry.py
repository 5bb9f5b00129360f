"""CAP polygons and circles are "lat,lon"; GeoJSON positions are [lon, lat]."""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from .errors import CapError, at

SWAP_HINT = 'CAP writes "lat,lon" and GeoJSON [lon, lat]: are they swapped?'


def plain_number(value: float) -> str:
    """Shortest exact decimal without an exponent: CAP readers do not expect 1e-05."""
    return format(Decimal(repr(float(value))), "f")


def check_lon_lat(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise CapError(f"coordinates must be finite numbers, got lon {lon}, lat {lat}")
    if not -90.0 <= lat <= 90.0:
        raise CapError(f"latitude {lat} is outside -90..90; {SWAP_HINT}")
    if not -180.0 <= lon <= 180.0:
        raise CapError(f"longitude {lon} is outside -180..180; {SWAP_HINT}")


def _check_ring(points: list[tuple[float, float]]) -> None:
    if len(points) < 4:
        raise CapError(f"a polygon needs at least 4 points, the first repeated as the last; got {len(points)}")
    if points[0] != points[-1]:
        raise CapError("a polygon must be closed: its last point must equal its first")


def _geojson_position(position: Any) -> tuple[float, float]:
    if not isinstance(position, Sequence) or isinstance(position, str) or len(position) != 2:
        raise CapError(f"positions must be [lon, lat] pairs (CAP polygons have no altitude), got {position!r}")
    if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in position):
        raise CapError(f"a position must be two numbers, got {position!r}")
    lon, lat = float(position[0]), float(position[1])
    check_lon_lat(lon, lat)
    return lon, lat


def _cap_pair(token: str) -> tuple[float, float]:
    """One "lat,lon" token, returned as (lon, lat)."""
    parts = token.split(",")
    try:
        if len(parts) != 2:
            raise ValueError(token)
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise CapError(f'expected "lat,lon" pairs separated by spaces, got {token[:40]!r}') from None
    check_lon_lat(lon, lat)
    return lon, lat


def geojson_ring_to_cap_polygon(coords: Sequence[Sequence[float]]) -> str:
    """A closed GeoJSON ring of [lon, lat] as the text of a CAP <polygon>."""
    if not isinstance(coords, Sequence) or isinstance(coords, str):
        raise CapError("a ring must be a list of [lon, lat] positions")
    points = [_geojson_position(p) for p in coords]
    _check_ring(points)
    return " ".join(f"{plain_number(lat)},{plain_number(lon)}" for lon, lat in points)


def cap_polygon_to_geojson_ring(text: str) -> list[list[float]]:
    """The text of a CAP <polygon> as a closed GeoJSON ring of [lon, lat]."""
    points = [_cap_pair(token) for token in text.split()]
    _check_ring(points)
    return [[lon, lat] for lon, lat in points]


def check_cap_circle(text: str) -> None:
    match = re.fullmatch(r"\s*(\S+)\s+(\S+)\s*", text)
    if match is None:
        raise CapError(f'a circle is "lat,lon radius_km", got {text[:60]!r}')
    _cap_pair(match.group(1))
    try:
        radius = float(match.group(2))
    except ValueError:
        radius = math.nan
    if not (math.isfinite(radius) and radius >= 0):
        raise CapError(f"circle radius must be a number of km >= 0, got {match.group(2)[:20]!r}")


def geometry_to_cap_polygons(geometry: Any, path: str) -> list[str]:
    """A GeoJSON Polygon or MultiPolygon as the texts of one or more CAP <polygon>."""
    kind = geometry.get("type") if isinstance(geometry, Mapping) else None
    coordinates = geometry.get("coordinates") if isinstance(geometry, Mapping) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise CapError(f"must be a GeoJSON Polygon or MultiPolygon (or null), got type {kind!r}", path)
    if not isinstance(coordinates, list) or not coordinates:
        raise CapError("coordinates must be a non-empty list", path)
    if kind == "Polygon":
        return [_polygon_to_cap(coordinates, path)]
    return [_polygon_to_cap(p, f"{path}.coordinates[{i}]") for i, p in enumerate(coordinates)]


def _polygon_to_cap(rings: Any, path: str) -> str:
    with at(path):
        if not isinstance(rings, list) or not rings:
            raise CapError("a polygon must be a non-empty list of rings")
        if len(rings) > 1:
            raise CapError("CAP polygons cannot have holes; give only the outer ring")
        return geojson_ring_to_cap_polygon(rings[0])


def rings_to_geometry(rings: list[list[list[float]]]) -> dict[str, Any] | None:
    if not rings:
        return None
    if len(rings) == 1:
        return {"type": "Polygon", "coordinates": [rings[0]]}
    return {"type": "MultiPolygon", "coordinates": [[ring] for ring in rings]}
