"""OASIS CAP 1.2 codec for Lianfang alerts: a pure library, no web framework.

`to_cap_xml` writes an alert dict as CAP 1.2 XML, `from_cap_xml` reads one from another
system (size-limited, no DTDs or entities, schema-validated), `validate_cap` checks a document.
Geometry is GeoJSON [lon, lat] in the dicts and "lat,lon" in CAP.
"""
from __future__ import annotations

from .decode import DEFAULT_MAX_BYTES, from_cap_xml, validate_cap
from .encode import to_cap_xml
from .errors import CapError
from .fields import CAP_NS
from .geometry import cap_polygon_to_geojson_ring, geojson_ring_to_cap_polygon
from .schema import xsd_path

__all__ = [
    "CAP_NS",
    "DEFAULT_MAX_BYTES",
    "CapError",
    "cap_polygon_to_geojson_ring",
    "from_cap_xml",
    "geojson_ring_to_cap_polygon",
    "to_cap_xml",
    "validate_cap",
    "xsd_path",
]
