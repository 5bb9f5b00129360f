"""CAP 1.2 XML -> alert dict (the shape `to_cap_xml` takes)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from typing import Any

from .errors import at
from .fields import (
    ALERT_FIELDS,
    CAP_NS,
    Field,
    check_id,
    check_reference,
    check_references_rule,
    element_path,
    parse_datetime,
)
from .geometry import cap_polygon_to_geojson_ring, check_cap_circle, rings_to_geometry
from .schema import parse_cap

DEFAULT_MAX_BYTES = 1_048_576


def from_cap_xml(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Read a CAP 1.2 alert from another system; every key is present, absent ones None or []."""
    root = parse_cap(data, max_bytes)
    alert = _decode_record(root, ALERT_FIELDS, "/alert")
    with at("/alert/references"):
        check_references_rule(alert["msg_type"], alert["references"])
    return alert


def validate_cap(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Raise CapError unless `data` is valid against the CAP 1.2 schema and CAP's rules on
    identifiers, references, polygons and circles that the schema cannot express."""
    from_cap_xml(data, max_bytes)


def _decode_record(elem: ET.Element, fields: Sequence[Field], path: str) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for field in fields:
        # The schema has checked order and cardinality, so a plain lookup by tag is enough.
        children = elem.findall(f"{{{CAP_NS}}}{field.tag}")
        paths = [element_path(path, field.tag, i) for i in range(len(children))]
        record[field.key] = _DECODERS[field.kind](field, children, paths)
    return record


def _single(field: Field, children: list[ET.Element], paths: list[str]) -> tuple[str, str] | None:
    return (children[0].text or "", paths[0]) if children else None


def _text(field: Field, children: list[ET.Element], paths: list[str]) -> str | None:
    found = _single(field, children, paths)
    return found[0] if found else field.read_default


def _id(field: Field, children: list[ET.Element], paths: list[str]) -> str:
    text = children[0].text or ""  # required by the schema, so present
    with at(paths[0]):
        check_id(text)
    return text


def _time(field: Field, children: list[ET.Element], paths: list[str]) -> Any:
    found = _single(field, children, paths)
    if found is None:
        return None
    with at(found[1]):
        return parse_datetime(found[0])


def _int(field: Field, children: list[ET.Element], paths: list[str]) -> int | None:
    found = _single(field, children, paths)
    return int(found[0]) if found else None


def _decimal(field: Field, children: list[ET.Element], paths: list[str]) -> float | None:
    found = _single(field, children, paths)
    return float(found[0]) if found else None


def _texts(field: Field, children: list[ET.Element], paths: list[str]) -> list[str]:
    return [child.text or "" for child in children]


def _refs(field: Field, children: list[ET.Element], paths: list[str]) -> list[str]:
    found = _single(field, children, paths)
    refs = found[0].split() if found else []
    for ref in refs:
        with at(paths[0]):
            check_reference(ref)
    return refs


def _pairs(field: Field, children: list[ET.Element], paths: list[str]) -> list[dict[str, str]]:
    return [
        {
            "value_name": child.findtext(f"{{{CAP_NS}}}valueName") or "",
            "value": child.findtext(f"{{{CAP_NS}}}value") or "",
        }
        for child in children
    ]


def _group(field: Field, children: list[ET.Element], paths: list[str]) -> list[dict[str, Any]]:
    return [_decode_record(child, field.children, path) for child, path in zip(children, paths)]


def _polygons(field: Field, children: list[ET.Element], paths: list[str]) -> dict[str, Any] | None:
    rings = []
    for child, path in zip(children, paths):
        with at(path):
            rings.append(cap_polygon_to_geojson_ring(child.text or ""))
    return rings_to_geometry(rings)


def _circles(field: Field, children: list[ET.Element], paths: list[str]) -> list[str]:
    for child, path in zip(children, paths):
        with at(path):
            check_cap_circle(child.text or "")
    return [child.text or "" for child in children]


_DECODERS: dict[str, Callable[[Field, list[ET.Element], list[str]], Any]] = {
    "text": _text,
    "id": _id,
    "time": _time,
    "int": _int,
    "decimal": _decimal,
    "texts": _texts,
    "refs": _refs,
    "pairs": _pairs,
    "group": _group,
    "polygons": _polygons,
    "circles": _circles,
}
