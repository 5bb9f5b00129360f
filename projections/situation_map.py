"""The situation map (一张图): incidents, zones, resources, dispatches, alerts, jurisdictions.

A pure function of the log: `apply(fact)` changes the state and returns the map changes it made.
Time-driven changes (a zone's quiet days) come from `tick(now)`.
"""
from __future__ import annotations

from datetime import datetime
from functools import singledispatchmethod
from typing import Any

from domain.alert import Alert
from domain.catalogue import Catalogue
from domain.dispatch import Dispatch
from domain.incident import Incident
from domain.jurisdictions import Jurisdictions
from domain.resource import Resource
from domain.unit import Unit
from domain.values import Counts
from domain.zone import Zone
from projections import features as f
from projections.events import Fact
from projections.geography import Geography, in_force
from projections.quiet_days import QuietDays
from projections.readmodel import ReadModel
from projections.zone_index import ZoneIndex
from projections.tally import JurisdictionTally, StatusAt, map_counts


class SituationMap(QuietDays, ReadModel):
    name = "situation_map"

    def __init__(self, geography: Geography, quiet_days: dict[str, float]) -> None:
        self.base_geography = self.geography = geography  # the server's file, until the store draws its own
        self.quiet_days = quiet_days
        super().__init__()

    def empty(self) -> dict[str, Any]:
        return {"incidents": {}, "zones": {}, "resources": {}, "dispatches": {}, "alerts": {}, "units": {}}

    def loaded(self) -> None:
        self.state.setdefault("kinds", {})  # a checkpoint written before the county's catalogue had none
        self.geography = in_force(self.base_geography, self.state.setdefault("drawn", {}))
        self._zones = ZoneIndex()
        self._zone_heap: list[tuple[str, str]] = []
        self._zone_days: dict[str, int] = {}  # the quiet-day count last shown, so a tick says only what changed
        # Zones to schedule, and quiet-day counts to note, each with the moment it was asked: done once a zone
        # before the schedule is next read (`_settled`), not at every case (a long history's zones overlap).
        self._unscheduled: dict[str, datetime] = {}
        self._uncounted: dict[str, datetime] = {}
        for z in self.state["zones"].values():
            if not z["lifted"]:
                self._zones.add(z["id"], z["area"])
                self._zone_days[z["id"]] = f.quiet_days_of(z, self.now())
                self._schedule_zone(z)
        self._tally = JurisdictionTally()
        for i in self.state["incidents"].values():
            self._tally.count(i, self.geography.chain(i["jurisdiction"]))

    # -- events --------------------------------------------------------------------------------

    @singledispatchmethod
    def process(self, event: Any, fact: Fact) -> list[dict[str, Any]]:
        return []

    @process.register(Unit.UnitRegistered)
    def _(self, e: Unit.UnitRegistered, fact: Fact) -> list[dict[str, Any]]:
        self.state["units"][fact.thing] = {"id": fact.thing, "name": e.name, "kind": e.kind, "jurisdiction": e.jurisdiction}
        return []

    @process.register(Unit.UnitRetired)
    def _(self, e: Unit.UnitRetired, fact: Fact) -> list[dict[str, Any]]:
        self.state["units"][fact.thing]["retired_at"] = fact.at.isoformat()
        return []

    @process.register(Jurisdictions.JurisdictionDrawn)
    def _(self, e: Jurisdictions.JurisdictionDrawn, fact: Fact) -> list[dict[str, Any]]:
        self.touch("drawn", e.code)
        self.state["drawn"][e.code] = {"code": e.code, "name": e.name, "level": e.level, "parent": e.parent, "area": e.area}
        return self._redrawn()

    @process.register(Jurisdictions.JurisdictionErased)
    def _(self, e: Jurisdictions.JurisdictionErased, fact: Fact) -> list[dict[str, Any]]:
        self.touch("drawn", e.code, removes=True)
        self.state["drawn"].pop(e.code, None)
        return self._redrawn()

    def _redrawn(self) -> list[dict[str, Any]]:
        """The geography in force changed: incidents are counted again in it, and the layer follows."""
        before = self.geography
        self.geography = in_force(self.base_geography, self.state["drawn"])
        self._tally = JurisdictionTally()
        for i in self.state["incidents"].values():
            self._tally.count(i, self.geography.chain(i["jurisdiction"]))
        return f.jurisdictions_redrawn(before, self.geography, self._tally.status)

    @process.register(Catalogue.KindDeclared)
    def _(self, e: Catalogue.KindDeclared, fact: Fact) -> list[dict[str, Any]]:
        self.touch("kinds", f"{e.group}:{e.code}")
        self.state["kinds"][f"{e.group}:{e.code}"] = {"group": e.group, "code": e.code, "zh": e.zh, "en": e.en}
        return []

    @process.register(Incident.IncidentReported)
    def _(self, e: Incident.IncidentReported, fact: Fact) -> list[dict[str, Any]]:
        # A named jurisdiction wins; one the geography does not know (a typo) must not hide the incident.
        code = e.jurisdiction if e.jurisdiction in self.geography.by_code else self.geography.locate(e.location)
        self.state["incidents"][fact.thing] = {
            "id": fact.thing, "kind": e.kind, "title": e.title, "location": e.location, "jurisdiction": code,
            "counts": dict(e.counts), "level": None, "status": "open", "reported_at": fact.at.isoformat(),
            "updated_at": fact.at.isoformat(), "version": fact.version,
        }
        return [*self._incident_changed(fact), *self._cases_at(e.location, Counts(**e.counts), fact)]

    @process.register(Incident.FieldReportFiled)
    def _(self, e: Incident.FieldReportFiled, fact: Fact) -> list[dict[str, Any]]:
        i = self.state["incidents"][fact.thing]
        i["counts"] = (Counts(**i["counts"]) + Counts(**e.new)).as_dict()
        return [*self._incident_changed(fact), *self._cases_at(e.position or i["location"], Counts(**e.new), fact)]

    @process.register(Incident.LevelSet)
    def _(self, e: Incident.LevelSet, fact: Fact) -> list[dict[str, Any]]:
        self.state["incidents"][fact.thing]["level"] = e.level
        return self._incident_changed(fact)

    @process.register(Incident.IncidentClosed)
    def _(self, e: Incident.IncidentClosed, fact: Fact) -> list[dict[str, Any]]:
        self.state["incidents"][fact.thing]["status"] = "closed"
        return self._incident_changed(fact)

    @process.register(Zone.ZoneDeclared)
    def _(self, e: Zone.ZoneDeclared, fact: Fact) -> list[dict[str, Any]]:
        at = fact.at.isoformat()
        z = {"id": fact.thing, "incident": e.incident, "kind": e.kind, "area": e.area, "name": e.name,
             "declared_at": at, "kind_since": at, "last_case_at": at, "lifted": False, "version": fact.version}
        self.state["zones"][fact.thing] = z
        self._zones.add(fact.thing, e.area)
        self._schedule_zone(z)
        return self._zone_upsert(z)

    @process.register(Zone.ZoneDowngraded)
    def _(self, e: Zone.ZoneDowngraded, fact: Fact) -> list[dict[str, Any]]:
        z = self.state["zones"][fact.thing]
        z.update(kind=e.kind, kind_since=fact.at.isoformat(), version=fact.version)
        self._schedule_zone(z)
        return self._zone_upsert(z)

    @process.register(Zone.ZoneLifted)
    def _(self, e: Zone.ZoneLifted, fact: Fact) -> list[dict[str, Any]]:
        z = self.state["zones"][fact.thing]
        z.update(lifted=True, version=fact.version)
        self._zones.remove(fact.thing)
        return [{"op": "remove", "layer": "zones", "id": f"zone:{fact.thing}"}]

    @process.register(Resource.ResourceRegistered)
    def _(self, e: Resource.ResourceRegistered, fact: Fact) -> list[dict[str, Any]]:
        self.state["resources"][fact.thing] = {
            "id": fact.thing, "kind": e.kind, "name": e.name, "unit": e.unit, "position": e.position,
            "capacity": e.capacity, "quantity": e.quantity, "dispatch": None, "version": fact.version,
        }
        return self._resource_upsert(fact.thing)

    @process.register(Resource.ResourceMoved)
    def _(self, e: Resource.ResourceMoved, fact: Fact) -> list[dict[str, Any]]:
        r = self.state["resources"][fact.thing]
        r.update(position=e.position, version=fact.version)
        changes = self._resource_upsert(fact.thing)
        if r["dispatch"] and r["dispatch"] in self.state["dispatches"]:
            changes += self._dispatch_upsert(r["dispatch"])
        return changes

    @process.register(Resource.ResourceAmended)
    def _(self, e: Resource.ResourceAmended, fact: Fact) -> list[dict[str, Any]]:
        self.state["resources"][fact.thing].update(kind=e.kind, unit=e.unit, capacity=e.capacity, quantity=e.quantity,
                                                   version=fact.version)
        return self._resource_upsert(fact.thing)

    @process.register(Resource.ResourceRetired)
    def _(self, e: Resource.ResourceRetired, fact: Fact) -> list[dict[str, Any]]:
        self.state["resources"][fact.thing].update(retired_at=fact.at.isoformat(), version=fact.version)
        return [{"op": "remove", "layer": "resources", "id": f"resource:{fact.thing}"}]

    @process.register(Resource.ResourceAssigned)
    def _(self, e: Resource.ResourceAssigned, fact: Fact) -> list[dict[str, Any]]:
        self.state["resources"][fact.thing].update(dispatch=e.dispatch, version=fact.version)
        return []  # shown with the dispatch's own event, which follows in the same commit

    @process.register(Resource.ResourceFreed)
    def _(self, e: Resource.ResourceFreed, fact: Fact) -> list[dict[str, Any]]:
        self.state["resources"][fact.thing].update(dispatch=None, version=fact.version)
        return self._resource_upsert(fact.thing)

    @process.register(Dispatch.DispatchRequested)
    def _(self, e: Dispatch.DispatchRequested, fact: Fact) -> list[dict[str, Any]]:
        self.state["dispatches"][fact.thing] = {
            "id": fact.thing, "incident": e.incident, "kind": e.kind, "quantity": e.quantity,
            "destination": e.destination, "state": "requested", "resource": None, "resource_unit": None,
            "times": {"requested": fact.at.isoformat()}, "version": fact.version,
        }
        return self._dispatch_upsert(fact.thing)

    @process.register(Dispatch.DispatchCommitted)
    def _(self, e: Dispatch.DispatchCommitted, fact: Fact) -> list[dict[str, Any]]:
        d = self._dispatch_moved(fact, "committed")
        d.update(resource=e.resource, resource_unit=e.resource_unit)
        return [*self._dispatch_upsert(fact.thing), *self._resource_upsert(e.resource)]

    @process.register(Dispatch.DispatchDeparted)
    def _(self, e: Any, fact: Fact) -> list[dict[str, Any]]:
        return self._dispatch_step(fact, "en_route")

    @process.register(Dispatch.DispatchArrived)
    def _(self, e: Any, fact: Fact) -> list[dict[str, Any]]:
        return self._dispatch_step(fact, "on_scene")

    @process.register(Dispatch.DispatchReleased)
    def _(self, e: Any, fact: Fact) -> list[dict[str, Any]]:
        return self._dispatch_step(fact, "released")

    @process.register(Dispatch.DispatchCancelled)
    def _(self, e: Any, fact: Fact) -> list[dict[str, Any]]:
        return self._dispatch_step(fact, "cancelled")

    @process.register(Alert.AlertIssued)
    def _(self, e: Alert.AlertIssued, fact: Fact) -> list[dict[str, Any]]:
        a = self.state["alerts"][fact.thing] = {
            "id": fact.thing, "headline": e.headline, "severity": e.severity, "urgency": e.urgency,
            "certainty": e.certainty, "area": e.area, "status": e.status, "expires": e.expires,
            "incident": e.incident, "source": fact.meta.get("source", "api"), "sender": e.sender,
            "cancelled": False, "version": fact.version, "area_desc": e.area_desc, "geocodes": list(e.geocodes),
            "language": e.language, "event": e.event, "description": e.description, "instruction": e.instruction,
            "infos": [dict(i) for i in e.infos],
        }
        self._place_alert(a)
        f.keep_first_info(a)
        return self._alert_upsert(a)

    @process.register(Alert.AlertUpdated)
    def _(self, e: Alert.AlertUpdated, fact: Fact) -> list[dict[str, Any]]:
        a = self.state["alerts"][fact.thing]
        a.update({k: v for k, v in e.changes.items() if k in a}, version=fact.version)
        if "area" in e.changes:
            a["placed_by"] = None
        self._place_alert(a)
        f.keep_first_info(a)
        return self._alert_upsert(a)

    @process.register(Alert.AlertCancelled)
    def _(self, e: Alert.AlertCancelled, fact: Fact) -> list[dict[str, Any]]:
        self.state["alerts"][fact.thing].update(cancelled=True, version=fact.version)
        return [{"op": "remove", "layer": "alerts", "id": f"alert:{fact.thing}"}]

    # -- helpers ---------------------------------------------------------------------------------

    def _place_alert(self, a: dict[str, Any]) -> None:
        """An alert given only by geocodes takes the polygon of the first one naming a jurisdiction of ours;
        one given only by a description stays unplaced (listed, on the map without a shape)."""
        if a["area"] is None or a.get("placed_by"):
            known = next((g["value"] for g in a.get("geocodes") or () if g["value"] in self.geography.by_code), None)
            a["area"] = self.geography.by_code[known].geometry if known else None
            a["placed_by"] = known
        a["placed"] = a["area"] is not None

    def _incident_changed(self, fact: Fact) -> list[dict[str, Any]]:
        i = self.state["incidents"][fact.thing]
        i.update(updated_at=fact.at.isoformat(), version=fact.version)
        chain = self.geography.chain(i["jurisdiction"])
        self._tally.count(i, chain)
        if self.quiet:
            return []
        changes = [{"op": "upsert", "layer": "incidents", "id": f"incident:{i['id']}", "feature": f.incident_feature(i)}]
        for code in chain:
            changes.append({"op": "update", "layer": "jurisdictions", "id": f"jurisdiction:{code}",
                            "properties": self.jurisdiction_properties(code)})
        return changes

    def _cases_at(self, location: list[float], new: Counts, fact: Fact) -> list[dict[str, Any]]:
        """New cases reset the clock of every active zone that holds the point."""
        if new.cases == 0 or not self._zones:
            return []
        changes, at = [], fact.at.isoformat()
        for zone_id in self._zones.containing(location):
            self.touch("zones", zone_id)
            z = self.state["zones"][zone_id]
            z["last_case_at"] = at
            self._schedule_zone(z)
            changes += self._zone_upsert(z)
        return changes

    def _dispatch_moved(self, fact: Fact, state: str) -> dict[str, Any]:
        d = self.state["dispatches"][fact.thing]
        d["state"] = state
        d["times"][state] = fact.at.isoformat()
        d["version"] = fact.version
        return d

    def _dispatch_step(self, fact: Fact, state: str) -> list[dict[str, Any]]:
        d = self._dispatch_moved(fact, state)
        changes = []
        if state in ("released", "cancelled"):
            changes.append({"op": "remove", "layer": "dispatches", "id": f"dispatch:{fact.thing}"})
        else:
            changes += self._dispatch_upsert(fact.thing)
        if d["resource"] and d["resource"] in self.state["resources"]:
            changes += self._resource_upsert(d["resource"])
        return changes

    # Each upsert is a list, empty when no one reads the changes (`quiet`: a rebuild, a catch-up).

    def _zone_upsert(self, z: dict[str, Any], now: datetime | None = None) -> list[dict[str, Any]]:
        if self.quiet:
            self._uncounted[z["id"]] = now or self.now()
            return []
        feature = f.zone_feature(z, now or self.now(), self.quiet_days)
        self._uncounted.pop(z["id"], None)
        self._zone_days[z["id"]] = feature["properties"]["days_since_last_case"]
        return [{"op": "upsert", "layer": "zones", "id": f"zone:{z['id']}", "feature": feature}]

    def _resource_upsert(self, rid: str) -> list[dict[str, Any]]:
        if self.quiet:
            return []
        r = self.state["resources"][rid]
        d = self.state["dispatches"].get(r["dispatch"] or "")
        return [{"op": "upsert", "layer": "resources", "id": f"resource:{rid}", "feature": f.resource_feature(r, d["state"] if d else None)}]

    def _dispatch_upsert(self, did: str) -> list[dict[str, Any]]:
        if self.quiet:
            return []
        d = self.state["dispatches"][did]
        r = self.state["resources"].get(d["resource"] or "")
        return [{"op": "upsert", "layer": "dispatches", "id": f"dispatch:{did}", "feature": f.dispatch_feature(d, r["position"] if r else None)}]

    def _alert_upsert(self, a: dict[str, Any]) -> list[dict[str, Any]]:
        return [] if self.quiet else [{"op": "upsert", "layer": "alerts", "id": f"alert:{a['id']}", "feature": f.alert_feature(a)}]

    # -- queries ---------------------------------------------------------------------------------

    def detached(self) -> SituationMap:
        """What the map shows now, copied, so that a large answer (a county's snapshot) can be built
        from it outside the projection lock, without holding up the projection for a second.

        Things are copied one level deep: the projection replaces the values that features show
        (counts, positions, areas) rather than changing them in place. Only `feature_collection`
        and `counts` are meant to be asked of the copy: it applies no events.
        """
        copy = SituationMap.__new__(SituationMap)
        copy.geography, copy.base_geography, copy.quiet_days = self.geography, self.base_geography, self.quiet_days
        copy.state = {key: {k: dict(v) for k, v in things.items()} for key, things in self.state.items()}
        copy.position, copy.at, copy.clock = self.position, self.now(), None  # now() stays the moment of the copy
        copy._tally = StatusAt({j.code: self._tally.status(j.code) for j in self.geography})
        return copy

    def jurisdiction_properties(self, code: str) -> dict[str, Any]:
        return f.jurisdiction_properties(self.geography.by_code[code], *self._tally.status(code))

    def feature_collection(self, now: datetime | None = None) -> dict[str, Any]:
        now = now or self.now()
        s = self.state
        features = [f.jurisdiction_feature(j, *self._tally.status(j.code)) for j in self.geography]
        features += [f.zone_feature(z, now, self.quiet_days) for z in s["zones"].values() if not z["lifted"]]
        features += [f.incident_feature(i) for i in s["incidents"].values()]
        for r in s["resources"].values():
            if r.get("retired_at"):
                continue
            d = s["dispatches"].get(r["dispatch"] or "")
            features.append(f.resource_feature(r, d["state"] if d else None))
        for d in s["dispatches"].values():
            if d["state"] not in ("released", "cancelled"):
                r = s["resources"].get(d["resource"] or "")
                features.append(f.dispatch_feature(d, r["position"] if r else None))
        features += [f.alert_feature(a) for a in s["alerts"].values() if not a["cancelled"]]
        return {"type": "FeatureCollection", "features": features}

    def counts(self) -> dict[str, Any]:
        """The numbers a drill's `expect` checks: open incidents, zones, dispatches, cases."""
        return map_counts(self.state)
