"""Lianfang's Alert aggregate as CAP 1.2 alert dicts, and imported CAP dicts as `import_alert` fields.

Export: each event of an alert is one CAP message. The issue is msgType Alert (or the imported
original's own msgType); after an update the latest message is an Update, after a cancel a Cancel,
identified `<identifier>-v<version>` and referencing every earlier message of the alert.
Import: the first <info> and all its areas' polygons and circles (a circle becomes a 32-sided
polygon); an area given only by <geocode> or <areaDesc> is kept without a shape, with its geocodes.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from shapely import affinity
from shapely.geometry import MultiPolygon, Point, Polygon, mapping
from shapely.geometry.polygon import orient
from shapely.ops import unary_union
from shapely.validation import explain_validity

from domain.alert import ISSUED_AS

from .errors import CapError, at
from .fields import format_cap_datetime
from .geometry import check_cap_circle

BEIJING = timezone(timedelta(hours=8))
KM_PER_DEGREE = 111.0  # of latitude; of longitude, times cos(latitude)
CIRCLE_SEGMENTS = 32
MIN_CIRCLE_KM = 0.1  # a circle of radius 0 (a point, as CAP allows) is shown as 100 m around it
MAX_AREA_DESC = 500
INFO = "/alert/info[1]"


# --- export ------------------------------------------------------------------------------------


def alert_to_cap(alert: Any, sender: str) -> dict[str, Any]:
    """The latest CAP message of an Alert aggregate (its `fields`, `messages`, `cancel_reason`);
    `sender` is this deployment's, for the messages it sent."""
    f = alert.fields
    messages = [{"by": sender, **m} for m in alert.messages]
    refs = [_reference(alert, m) for m in messages[:-1]]
    latest = messages[-1]
    return {
        "identifier": _identifier(alert, latest),
        "sender": _sender(alert, latest),
        "sent": _sent(alert, latest),
        "status": f["status"],
        "msg_type": latest["msg_type"],
        "scope": f["scope"],
        "restriction": f["restriction"],
        "addresses": f["addresses"],
        "note": alert.cancel_reason if latest["msg_type"] == "Cancel" else None,
        "references": list(f["references"]) + refs,
        "incidents": f["incident"],
        "info": [_first_info(f), *[_more_info(i, f) for i in (f.get("infos") or [])[1:]]],
    }


def _more_info(info: Mapping[str, Any], f: Mapping[str, Any]) -> dict[str, Any]:
    """Another language's <info> of an imported alert, over the same area."""
    return {
        "language": info["language"], "category": info["category"], "event": info["event"] or f["event"],
        "response_type": info["response_type"], "urgency": info["urgency"], "severity": info["severity"],
        "certainty": info["certainty"], "expires": info["expires"], "headline": info["headline"],
        "description": info["description"], "instruction": info["instruction"],
        "sender_name": info.get("sender_name"), "web": info.get("web"), "contact": info.get("contact"),
        "areas": [{"area_desc": info["area_desc"] or f["area_desc"] or info["headline"] or f["headline"],
                   "geometry": f["area"], "geocodes": list(f.get("geocodes") or [])}],
    }


def _first_info(f: Mapping[str, Any]) -> dict[str, Any]:
    return {
            "language": f["language"],
            "category": list(f["category"]),
            "event": f["event"],
            "response_type": list(f["response_type"]),
            "urgency": f["urgency"],
            "severity": f["severity"],
            "certainty": f["certainty"],
            "expires": f["expires"],
            "headline": f["headline"],
            "description": f["description"],
            "instruction": f["instruction"],
            "areas": [{"area_desc": f["area_desc"] or f["headline"], "geometry": f["area"],
                       "geocodes": list(f.get("geocodes") or [])}],
    }


def _is_original(message: Mapping[str, Any]) -> bool:
    return message["msg_type"] in ISSUED_AS and message["version"] == 1


def _identifier(alert: Any, message: Mapping[str, Any]) -> str:
    if "identifier" in message:  # an imported Update or Cancel keeps its own
        return str(message["identifier"])
    identifier = alert.fields["identifier"]
    return identifier if _is_original(message) else f"{identifier}-v{message['version']}"


def _sender(alert: Any, message: Mapping[str, Any]) -> str:
    # An imported alert keeps its sender, and so do its imported updates; what is changed here is sent by us.
    if "sender" in message:
        return str(message["sender"])
    return alert.fields["sender"] if _is_original(message) else str(message["by"])


def _sent(alert: Any, message: Mapping[str, Any]) -> datetime:
    if message.get("sent"):
        return datetime.fromisoformat(message["sent"])
    if _is_original(message) and alert.fields.get("sent"):
        return alert.issued_at  # an imported original's, with its own offset
    return message["at"].astimezone(BEIJING)


def _reference(alert: Any, message: Mapping[str, Any]) -> str:
    sent = format_cap_datetime(_sent(alert, message))
    return f"{_sender(alert, message)},{_identifier(alert, message)},{sent}"


# --- import ------------------------------------------------------------------------------------


def import_fields(alert: Mapping[str, Any]) -> dict[str, Any]:
    """`import_alert`'s fields from a decoded CAP alert (`from_cap_xml`); CapError names the element."""
    if alert["msg_type"] not in (*ISSUED_AS, "Cancel"):
        raise CapError(f"only Alert, Update and Cancel messages are imported, not {alert['msg_type']}",
                       "/alert/msgType")
    if not alert["info"] and alert["msg_type"] == "Cancel":  # a Cancel may carry no <info>
        return {key: alert[key] for key in ("sender", "identifier", "msg_type", "references", "note")} | {
            "sent": _iso(alert["sent"])}
    if not alert["info"]:
        raise CapError("the alert has no <info>, so nothing to show: an import needs headline, severity and area",
                       "/alert")
    info = alert["info"][0]
    area, area_desc = _area(info["areas"])
    fields = {
        "headline": info["headline"] or info["event"],
        "severity": info["severity"],
        "urgency": info["urgency"],
        "certainty": info["certainty"],
        "event": info["event"],
        "language": info["language"],
        "category": list(info["category"]),
        "response_type": list(info["response_type"]) or None,
        "description": info["description"],
        "instruction": info["instruction"],
        "expires": _iso(info["expires"]),
        "area": area,
        "area_desc": area_desc,
        "sender": alert["sender"],
        "identifier": alert["identifier"],
        "sent": _iso(alert["sent"]),
        "references": list(alert["references"]),
        "status": alert["status"],
        "scope": alert["scope"],
        "msg_type": alert["msg_type"],
        "restriction": alert["restriction"],
        "addresses": alert["addresses"],
        "geocodes": [g for a in info["areas"] for g in a["geocodes"]],
        "infos": [_info(i) for i in alert["info"]],
    }
    if alert["msg_type"] == "Cancel":
        fields["note"] = alert["note"]
    return fields


def _info(info: Mapping[str, Any]) -> dict[str, Any]:
    descs = [a["area_desc"].strip() for a in info["areas"] if a["area_desc"] and a["area_desc"].strip()]
    return {
        "language": info["language"], "headline": info["headline"] or info["event"], "event": info["event"],
        "description": info["description"], "instruction": info["instruction"], "severity": info["severity"],
        "urgency": info["urgency"], "certainty": info["certainty"], "category": list(info["category"]),
        "response_type": list(info["response_type"]), "expires": _iso(info["expires"]),
        "area_desc": "; ".join(descs)[:MAX_AREA_DESC] or None, "sender_name": info["sender_name"],
        "web": info["web"], "contact": info["contact"],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _area(areas: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, str | None]:
    """One GeoJSON Polygon or MultiPolygon for all the areas' polygons and circles (None if they have none)."""
    shapes: list[Polygon] = []
    for i, area in enumerate(areas):
        path = f"{INFO}/area[{i + 1}]"
        geometry = area["geometry"]
        if geometry is not None:
            rings = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
            for j, polygon in enumerate(rings):
                shapes.append(_valid(Polygon(polygon[0]), f"{path}/polygon[{j + 1}]"))
        for j, circle in enumerate(area["circles"]):
            with at(f"{path}/circle[{j + 1}]"):
                shapes.append(Polygon(circle_to_ring(circle)))
    descs = [a["area_desc"].strip() for a in areas if a["area_desc"] and a["area_desc"].strip()]
    desc = "; ".join(descs)
    if len(desc) > MAX_AREA_DESC:
        desc = desc[: MAX_AREA_DESC - 1] + "…"
    return (_as_geojson(shapes) if shapes else None), desc or None


def _valid(polygon: Polygon, path: str) -> Polygon:
    if not polygon.is_valid:
        raise CapError(f"not a valid polygon: {explain_validity(polygon)}", path)
    if polygon.area == 0:
        raise CapError("the polygon encloses no area", path)
    return polygon


def _as_geojson(shapes: list[Polygon]) -> dict[str, Any]:
    if len(shapes) == 1:
        return _rings(shapes)
    together = MultiPolygon(shapes)
    if together.is_valid:  # disjoint: keep every vertex as sent
        return _rings(shapes)
    merged = unary_union(shapes)  # overlapping areas: their union, outer rings only as CAP has no holes
    parts = list(merged.geoms) if isinstance(merged, MultiPolygon) else [merged]
    return _rings([Polygon(p.exterior) for p in parts])


def _rings(shapes: list[Polygon]) -> dict[str, Any]:
    coords = [[[list(pt) for pt in mapping(p)["coordinates"][0]]] for p in shapes]
    if len(coords) == 1:
        return {"type": "Polygon", "coordinates": coords[0]}
    return {"type": "MultiPolygon", "coordinates": coords}


def circle_to_ring(text: str) -> list[list[float]]:
    """A CAP circle "lat,lon radius_km" as a closed GeoJSON ring of [lon, lat] with 32 sides.

    Degrees of latitude are taken as 111 km and of longitude as 111·cos(lat) km: close enough
    for the few kilometres of a public-health alert, away from the poles.
    """
    check_cap_circle(text)
    centre, radius_text = text.split()
    lat, lon = (float(v) for v in centre.split(","))
    radius = max(float(radius_text), MIN_CIRCLE_KM)
    dlat = radius / KM_PER_DEGREE
    dlon = radius / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-9))
    unit_circle = Point(0.0, 0.0).buffer(1.0, quad_segs=CIRCLE_SEGMENTS // 4)
    ellipse = affinity.scale(unit_circle, xfact=dlon, yfact=dlat, origin=(0, 0))
    circle = orient(affinity.translate(ellipse, lon, lat), sign=1.0)  # counter-clockwise, as RFC 7946 asks
    ring = [[x, y] for x, y in circle.exterior.coords]
    if any(not -90.0 <= y <= 90.0 for _, y in ring):
        raise CapError(f"a circle of {radius} km around latitude {lat} reaches past a pole")
    if any(not -180.0 <= x <= 180.0 for x, _ in ring):
        raise CapError(f"a circle of {radius} km around longitude {lon} crosses the antimeridian, which is not supported")
    return ring

