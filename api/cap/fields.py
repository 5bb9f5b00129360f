"""CAP 1.2 elements, their dict keys, and the rules shared by export and import."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .errors import CapError

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"

ENUMS: dict[str, tuple[str, ...]] = {
    "status": ("Actual", "Exercise", "System", "Test", "Draft"),
    "msgType": ("Alert", "Update", "Cancel", "Ack", "Error"),
    "scope": ("Public", "Restricted", "Private"),
    "category": (
        "Geo", "Met", "Safety", "Security", "Rescue", "Fire",
        "Health", "Env", "Transport", "Infra", "CBRNE", "Other",
    ),
    "responseType": (
        "Shelter", "Evacuate", "Prepare", "Execute", "Avoid",
        "Monitor", "Assess", "AllClear", "None",
    ),
    "urgency": ("Immediate", "Expected", "Future", "Past", "Unknown"),
    "severity": ("Extreme", "Severe", "Moderate", "Minor", "Unknown"),
    "certainty": ("Observed", "Likely", "Possible", "Unlikely", "Unknown"),
}

# Kinds: text, id, time, int, decimal (one element); texts, pairs, group (repeated element);
# refs (one element holding a list); polygons (repeated <polygon> as one GeoJSON geometry);
# circles (repeated <circle>, checked).
REPEATED_KINDS = frozenset({"texts", "pairs", "group", "polygons", "circles"})


@dataclass(frozen=True)
class Field:
    key: str
    tag: str
    kind: str = "text"
    required: bool = False
    default: Any = None  # what we write when the dict leaves the field out
    read_default: Any = None  # what CAP says an absent element means
    children: tuple[Field, ...] = ()


RESOURCE_FIELDS = (
    Field("resource_desc", "resourceDesc", required=True),
    Field("mime_type", "mimeType", required=True),
    Field("size", "size", "int"),
    Field("uri", "uri"),
    Field("deref_uri", "derefUri"),
    Field("digest", "digest"),
)

AREA_FIELDS = (
    Field("area_desc", "areaDesc", required=True),
    Field("geometry", "polygon", "polygons"),
    Field("circles", "circle", "circles"),
    Field("geocodes", "geocode", "pairs"),
    Field("altitude", "altitude", "decimal"),
    Field("ceiling", "ceiling", "decimal"),
)

INFO_FIELDS = (
    Field("language", "language", default="zh-CN", read_default="en-US"),
    Field("category", "category", "texts", required=True, default=("Health",)),
    Field("event", "event", required=True),
    Field("response_type", "responseType", "texts"),
    Field("urgency", "urgency", required=True),
    Field("severity", "severity", required=True),
    Field("certainty", "certainty", required=True),
    Field("audience", "audience"),
    Field("event_codes", "eventCode", "pairs"),
    Field("effective", "effective", "time"),
    Field("onset", "onset", "time"),
    Field("expires", "expires", "time"),
    Field("sender_name", "senderName"),
    Field("headline", "headline"),
    Field("description", "description"),
    Field("instruction", "instruction"),
    Field("web", "web"),
    Field("contact", "contact"),
    Field("parameters", "parameter", "pairs"),
    Field("resources", "resource", "group", children=RESOURCE_FIELDS),
    Field("areas", "area", "group", children=AREA_FIELDS),
)

ALERT_FIELDS = (
    Field("identifier", "identifier", "id", required=True),
    Field("sender", "sender", "id", required=True),
    Field("sent", "sent", "time", required=True),
    Field("status", "status", required=True),
    Field("msg_type", "msgType", required=True),
    Field("source", "source"),
    Field("scope", "scope", required=True, default="Public"),
    Field("restriction", "restriction"),
    Field("addresses", "addresses"),
    Field("codes", "code", "texts"),
    Field("note", "note"),
    Field("references", "references", "refs"),
    Field("incidents", "incidents"),
    Field("info", "info", "group", children=INFO_FIELDS),
)

REPEATED_TAGS = frozenset(
    f.tag
    for table in (ALERT_FIELDS, INFO_FIELDS, AREA_FIELDS, RESOURCE_FIELDS)
    for f in table
    if f.kind in REPEATED_KINDS
)


def element_path(parent: str, tag: str, index: int) -> str:
    """XPath-like location of a child element, 1-based as XPath counts."""
    return f"{parent}/{tag}[{index + 1}]" if tag in REPEATED_TAGS else f"{parent}/{tag}"


def check_value(tag: str, value: str) -> None:
    if tag == "language" and not re.fullmatch(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*", value):
        raise CapError(f"{value!r} is not a language tag like zh-CN (RFC 3066)")
    allowed = ENUMS.get(tag)
    if allowed is not None and value not in allowed:
        raise CapError(f"{value!r} is not a CAP 1.2 {tag}; use one of {', '.join(allowed)}")


def check_id(value: str) -> None:
    # References are "sender,identifier,sent" triples separated by spaces, so these would break them.
    if not re.fullmatch(r"[^\s,<&]+", value):
        raise CapError(f"{value!r} must be non-empty without spaces, commas, '<' or '&'")


def format_cap_datetime(value: datetime | str) -> str:
    """CAP's dateTime: seconds precision, numeric offset, UTC written as -00:00."""
    dt = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(dt, datetime):
        raise CapError(f"expected a datetime or ISO 8601 string, got {type(value).__name__}")
    offset = dt.utcoffset()
    if offset is None:
        raise CapError(f"{dt.isoformat()} has no time zone; give an offset, e.g. +08:00")
    if offset % timedelta(minutes=1):
        raise CapError(f"time zone offset {offset} is not a whole number of minutes")
    text = dt.replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if offset == timedelta(0) else text


def parse_datetime(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise CapError(f"{text!r} is not a date-time like 2026-03-01T08:05:00+08:00") from None


def check_reference(text: str) -> None:
    parts = text.split(",")
    if len(parts) != 3 or not all(parts) or any(p != p.strip() for p in parts):
        raise CapError(f"{text!r} is not a reference of the form sender,identifier,sent")
    if parse_datetime(parts[2]).utcoffset() is None:
        raise CapError(f"the sent time in reference {text!r} has no time zone")


def check_references_rule(msg_type: object, references: list[str] | None) -> None:
    """Every message type but Alert acts on earlier messages, which CAP names in <references>."""
    if msg_type != "Alert" and not references:
        raise CapError(f"a {msg_type} message must carry references to the message(s) it replaces")
