"""Alert dict -> CAP 1.2 XML."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import CapError, at
from .fields import (
    ALERT_FIELDS,
    CAP_NS,
    Field,
    check_value,
    check_id,
    check_reference,
    check_references_rule,
    format_cap_datetime,
)
from .geometry import check_cap_circle, geometry_to_cap_polygons, plain_number
from .schema import parse_cap

_NOT_XML_CHAR = re.compile(r"[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def to_cap_xml(alert: Mapping[str, Any]) -> bytes:
    """The alert as a UTF-8 CAP 1.2 document, checked against the OASIS schema."""
    root = ET.Element(f"{{{CAP_NS}}}alert")
    _encode_record(root, alert, ALERT_FIELDS, "alert")
    with at("alert.references"):
        check_references_rule(alert.get("msg_type"), alert.get("references"))
    ET.indent(root)
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS)
    try:
        parse_cap(data, max_bytes=len(data))
    except CapError as exc:
        # Input is checked field by field above, so a schema failure here means the encoder is wrong.
        raise CapError(f"bug in api.cap: generated CAP is invalid: {exc}") from exc
    return data


def _encode_record(parent: ET.Element, record: Any, fields: Sequence[Field], path: str) -> None:
    if not isinstance(record, Mapping):
        raise CapError(f"must be a mapping, got {type(record).__name__}", path)
    unknown = set(record) - {f.key for f in fields}
    if unknown:
        known = ", ".join(f.key for f in fields)
        raise CapError(f"unknown field(s) {', '.join(sorted(map(str, unknown)))}; known: {known}", path)
    for field in fields:
        value = record.get(field.key)
        if value is None:
            value = field.default
        where = f"{path}.{field.key}"
        if value is None or _is_empty_list(value):
            if field.required:
                raise CapError("is required", where)
            continue
        with at(where):
            _ENCODERS[field.kind](parent, field, value, where)


def _is_empty_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and not value


def _child(parent: ET.Element, field: Field, text: str) -> None:
    ET.SubElement(parent, f"{{{CAP_NS}}}{field.tag}").text = text


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise CapError(f"must be a list, got {type(value).__name__}")
    return list(value)


def _as_text(value: Any) -> str:
    if not isinstance(value, str):
        raise CapError(f"must be a string, got {type(value).__name__}")
    bad = _NOT_XML_CHAR.search(value)
    if bad:
        raise CapError(f"contains {bad.group()!r} at position {bad.start()}, which XML cannot carry")
    return value


def _text(parent: ET.Element, field: Field, value: Any, path: str) -> None:
    check_value(field.tag, _as_text(value))
    _child(parent, field, value)


def _id(parent: ET.Element, field: Field, value: Any, path: str) -> None:
    check_id(_as_text(value))
    _child(parent, field, value)


def _time(parent: ET.Element, field: Field, value: Any, path: str) -> None:
    _child(parent, field, format_cap_datetime(value))


def _int(parent: ET.Element, field: Field, value: Any, path: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise CapError(f"must be an integer, got {value!r}")
    _child(parent, field, str(value))


def _decimal(parent: ET.Element, field: Field, value: Any, path: str) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise CapError(f"must be a number, got {value!r}")
    _child(parent, field, plain_number(value))


def _texts(parent: ET.Element, field: Field, value: Any, path: str) -> None:
    for i, item in enumerate(_as_list(value)):
        with at(f"{path}[{i}]"):
            _text(parent, field, item, path)


def _refs(parent: ET.Element, field: Field, value: Any, path: str) -> None:
    refs = _as_list(value)
    for i, ref in enumerate(refs):
        with at(f"{path}[{i}]"):
            check_reference(_as_text(ref))
    _child(parent, field, " ".join(refs))


def _pairs(parent: ET.Element, field: Field, value: Any, path: str) -> None:
    for i, pair in enumerate(_as_list(value)):
        with at(f"{path}[{i}]"):
            if not isinstance(pair, Mapping) or set(pair) != {"value_name", "value"}:
                raise CapError('must be {"value_name": ..., "value": ...}')
            elem = ET.SubElement(parent, f"{{{CAP_NS}}}{field.tag}")
            ET.SubElement(elem, f"{{{CAP_NS}}}valueName").text = _as_text(pair["value_name"])
            ET.SubElement(elem, f"{{{CAP_NS}}}value").text = _as_text(pair["value"])


def _group(parent: ET.Element, field: Field, value: Any, path: str) -> None:
    for i, record in enumerate(_as_list(value)):
        elem = ET.SubElement(parent, f"{{{CAP_NS}}}{field.tag}")
        _encode_record(elem, record, field.children, f"{path}[{i}]")


def _polygons(parent: ET.Element, field: Field, value: Any, path: str) -> None:
    for text in geometry_to_cap_polygons(value, path):
        _child(parent, field, text)


def _circles(parent: ET.Element, field: Field, value: Any, path: str) -> None:
    for i, circle in enumerate(_as_list(value)):
        with at(f"{path}[{i}]"):
            check_cap_circle(_as_text(circle))
            _child(parent, field, circle)


_ENCODERS: dict[str, Callable[[ET.Element, Field, Any, str], None]] = {
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
