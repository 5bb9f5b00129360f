"""RFC 7946 features of the situation map, built from projection state (coordinates to 6 places)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.terms import LEVEL_COLOURS as LEVEL_COLOUR
from domain.terms import LEVEL_RANKS as LEVEL_RANK


def rounded(value: Any) -> Any:
    """GeoJSON coordinates of any depth, to 6 places. A position is rounded in one step: the county's
    map has 100,000 points and 17,649 zones, and this runs for each of them in every snapshot."""
    if not isinstance(value, list):
        return round(value, 6) if isinstance(value, float) else value
    if not value or isinstance(value[0], list):
        return [rounded(v) for v in value]
    return [round(v, 6) if v.__class__ is float else v for v in value]


# The rounded coordinates of each feature, with the coordinates they were rounded from: a thing's
# coordinates are replaced when it moves, never changed in place, so while they are the same object
# the rounding stands. Snapshots of a county's map then round only what moved since the last one.
_rounded_by_feature: dict[str, tuple[Any, Any]] = {}


def feature(fid: str, geometry: dict[str, Any] | None, properties: dict[str, Any]) -> dict[str, Any]:
    if geometry is not None:
        coordinates = geometry["coordinates"]
        known = _rounded_by_feature.get(fid)
        if known is None or known[0] is not coordinates:
            known = _rounded_by_feature[fid] = (coordinates, rounded(coordinates))
        geometry = {"type": geometry["type"], "coordinates": known[1]}
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": properties}


def point(coordinates: list[float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": coordinates}


def incident_feature(i: dict[str, Any]) -> dict[str, Any]:
    return feature(f"incident:{i['id']}", point(i["location"]), {
        "kind": "incident", "id": i["id"], "title": i["title"], "incident_kind": i["kind"],
        "level": i["level"], "colour": LEVEL_COLOUR.get(i["level"] or "", "grey"),
        "counts": i["counts"], "status": i["status"], "jurisdiction": i["jurisdiction"],
        "reported_at": i["reported_at"], "updated_at": i["updated_at"], "version": i["version"],
    })


def zone_feature(z: dict[str, Any], now: datetime, quiet_days: dict[str, float]) -> dict[str, Any]:
    days = quiet_days_of(z, now)
    due_after = quiet_days.get(z["kind"])
    return feature(f"zone:{z['id']}", z["area"], {
        "kind": "zone", "id": z["id"], "zone_kind": z["kind"], "name": z["name"], "incident": z["incident"],
        "declared_at": z["declared_at"], "last_case_at": z["last_case_at"],
        "days_since_last_case": days, "downgrade_due": due_after is not None and days >= due_after,
        "version": z["version"],
    })


def quiet_days_of(z: dict[str, Any], now: datetime) -> int:
    """Whole days without a new case inside, counted from the last case or the last change of kind."""
    since = max(datetime.fromisoformat(z["last_case_at"]), datetime.fromisoformat(z["kind_since"]))
    return max(0, int((now - since).total_seconds() // 86400))


def resource_feature(r: dict[str, Any], dispatch_state: str | None) -> dict[str, Any]:
    return feature(f"resource:{r['id']}", point(r["position"]), {
        "kind": "resource", "id": r["id"], "name": r["name"], "resource_kind": r["kind"], "unit": r["unit"],
        "status": dispatch_state or "available", "dispatch": r["dispatch"],
        "capacity": r["capacity"], "quantity": r["quantity"], "version": r["version"],
    })


def dispatch_feature(d: dict[str, Any], origin: list[float] | None) -> dict[str, Any]:
    geometry = {"type": "LineString", "coordinates": [origin, d["destination"]]} if origin else point(d["destination"])
    return feature(f"dispatch:{d['id']}", geometry, {
        "kind": "dispatch", "id": d["id"], "incident": d["incident"], "resource_kind": d["kind"],
        "quantity": d["quantity"], "state": d["state"], "resource": d["resource"], "version": d["version"],
    })


def alert_feature(a: dict[str, Any]) -> dict[str, Any]:
    return feature(f"alert:{a['id']}", a["area"], {
        "kind": "alert", "id": a["id"], "headline": a["headline"], "severity": a["severity"],
        "urgency": a["urgency"], "certainty": a["certainty"], "status": a["status"],
        "expires": a["expires"], "source": a["source"], "sender": a["sender"], "version": a["version"],
        "placed": a.get("placed", True), "area_desc": a.get("area_desc"), "description": a.get("description"),
        "instruction": a.get("instruction"), "incident": a.get("incident"),
        # Each language the alert came in (an imported CAP message's <info> blocks), for the page's language.
        "infos": [{k: i.get(k) for k in ("language", "headline", "description", "instruction")} for i in a.get("infos") or ()],
    })


INFO_KEYS = ("language", "headline", "event", "description", "instruction", "severity", "urgency", "certainty",
             "expires", "area_desc")


def keep_first_info(a: dict[str, Any]) -> None:
    """`infos` lists the alert in each language it came in; the first is the alert's own (current) fields."""
    infos = a.get("infos") or [{}]
    infos[0] = {**infos[0], **{k: a.get(k) for k in INFO_KEYS}}
    a["infos"] = infos


def jurisdiction_feature(j: Any, worst: str | None, cases: dict[str, int], open_incidents: int) -> dict[str, Any]:
    return feature(f"jurisdiction:{j.code}", j.geometry, jurisdiction_properties(j, worst, cases, open_incidents))


def jurisdiction_properties(j: Any, worst: str | None, cases: dict[str, int], open_incidents: int) -> dict[str, Any]:
    return {
        "kind": "jurisdiction", "code": j.code, "name": j.name, "level": j.level, "parent": j.parent,
        "worst_level": worst, "colour": LEVEL_COLOUR.get(worst or "", "none"),
        "cases": cases, "open_incidents": open_incidents,
    }


def jurisdictions_redrawn(before: Any, now: Any, status: Any) -> list[dict[str, Any]]:
    """The jurisdictions layer's changes when the geography in force changed."""
    gone = sorted(set(before.by_code) - set(now.by_code))
    return [*({"op": "remove", "layer": "jurisdictions", "id": f"jurisdiction:{code}"} for code in gone),
            *({"op": "upsert", "layer": "jurisdictions", "id": f"jurisdiction:{j.code}",
               "feature": jurisdiction_feature(j, *status(j.code))} for j in now)]
