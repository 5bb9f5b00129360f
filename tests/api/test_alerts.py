"""Alerts through the API: issue, update, cancel, CAP 1.2 export and import, hostile documents, roles."""
from __future__ import annotations

import json
import math
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from api.cap import CAP_NS, DEFAULT_MAX_BYTES, from_cap_xml, validate_cap
from api.main import create_app
from api.tokens import CLI, issue_token, open_store
from domain.commands import Command
from domain.application.settings import Settings
from domain.application.writer import execute
from modes import projection_worker

EXAMPLES = Path(__file__).parent / "cap_examples"
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
NS = {"cap": CAP_NS}

# About 2 km square in central Chengdu: longitude ~104.0, latitude ~30.6.
CHENGDU = {"type": "Polygon",
           "coordinates": [[[104.0, 30.6], [104.02, 30.6], [104.02, 30.62], [104.0, 30.62], [104.0, 30.6]]]}
ALERT = {"headline": "锦江区幼儿园发热聚集健康提示", "severity": "Severe", "urgency": "Immediate",
         "certainty": "Observed", "area": CHENGDU, "description": "请周边居民出现发热症状及时就医。",
         "expires": "2026-03-02T08:00:00+08:00"}


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]

    def headers(self, role: str = "commander", **more: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **more}

    def post(self, path: str, role: str = "commander", **kwargs: Any) -> Any:
        return self.client.post(f"/api/v1{path}", headers=self.headers(role, **kwargs.pop("headers", {})), **kwargs)

    def get(self, path: str, role: str = "commander", **kwargs: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers(role), **kwargs)

    def issue(self, **fields: Any) -> dict[str, Any]:
        r = self.post("/alerts", json={**ALERT, **fields})
        assert r.status_code == 201, r.text
        return r.json()

    def cap(self, alert_id: str, role: str = "commander") -> bytes:
        r = self.get(f"/alerts/{alert_id}.cap.xml", role)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/xml; charset=utf-8"
        return r.content

    def import_cap(self, data: bytes, content_type: str = "application/cap+xml", role: str = "commander") -> Any:
        return self.post("/alerts/cap", role, content=data, headers={"content-type": content_type})

    def last(self) -> int:
        return self.get("/events", params={"after": 0, "limit": 5000}).json()["last"]

    def alert_feature(self, alert_id: str, position: int) -> dict[str, Any] | None:
        features = self.get("/map", params={"min_position": position}).json()["features"]
        return next((f for f in features if f["properties"].get("kind") == "alert"
                     and f["properties"]["id"] == alert_id), None)


def start(data_dir: Path, drill: dict[str, Any] | None = None, **settings_: Any) -> Iterator[Api]:
    if drill is not None:
        (data_dir / "drill.json").write_text(json.dumps(drill))
    settings = Settings(data_dir=data_dir, **settings_)
    with projection_worker(settings):
        with open_store(settings) as store:
            unit = str(execute(store, Command("register_unit", CLI, {"name": "县卫健局", "kind": "department"})).id)
            tokens = {role: issue_token(store, role=role, unit=unit if role in ("unit", "field") else None, name=role)
                      for role in ("commander", "unit", "field", "observer")}
        with TestClient(create_app(settings)) as client:
            yield Api(client, tokens)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, module_backends: Callable[[], dict[str, Any]]) -> Iterator[Api]:
    yield from start(tmp_path_factory.mktemp("alerts"), **module_backends())


@pytest.fixture(scope="module")
def drill_api(tmp_path_factory: pytest.TempPathFactory, module_backends: Callable[[], dict[str, Any]]) -> Iterator[Api]:
    yield from start(tmp_path_factory.mktemp("drill"), {"run": "r1", "scenario": "test drill"}, **module_backends())


def root_of(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)


def text(xml: bytes, path: str) -> str | None:
    return root_of(xml).findtext(path, namespaces=NS)


def cap_pairs(polygon: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in pair.split(",")) for pair in polygon.split()]  # type: ignore[misc]


def close_rings(a: list[list[float]], b: list[list[float]], tolerance: float = 1e-6) -> bool:
    return len(a) == len(b) and all(math.dist(p, q) <= tolerance for p, q in zip(a, b))


# --- export ------------------------------------------------------------------------------------


def test_issued_alert_is_valid_cap_1_2_with_lat_lon_polygon(api: Api) -> None:
    made = api.issue()
    xml = api.cap(made["id"])
    validate_cap(xml)
    assert text(xml, "cap:identifier") == made["id"]
    assert text(xml, "cap:sender") == "lianfang"
    assert (text(xml, "cap:status"), text(xml, "cap:msgType"), text(xml, "cap:scope")) == ("Actual", "Alert", "Public")
    assert text(xml, "cap:references") is None
    assert text(xml, "cap:sent").endswith("+08:00")
    assert text(xml, "cap:info/cap:language") == "zh-CN"
    assert text(xml, "cap:info/cap:category") == "Health"
    assert text(xml, "cap:info/cap:headline") == ALERT["headline"]
    assert text(xml, "cap:info/cap:expires") == "2026-03-02T08:00:00+08:00"
    polygon = text(xml, "cap:info/cap:area/cap:polygon")
    assert polygon.startswith("30.6,104.0 ")  # CAP: latitude first
    assert all(30 < lat < 31 and 103 < lon < 105 for lat, lon in cap_pairs(polygon))
    # ... and read back it is GeoJSON [lon, lat] again.
    assert from_cap_xml(xml)["info"][0]["areas"][0]["geometry"] == CHENGDU


def test_alert_of_a_drill_is_an_exercise(drill_api: Api) -> None:
    made = drill_api.issue()
    xml = drill_api.cap(made["id"])
    validate_cap(xml)
    assert text(xml, "cap:status") == "Exercise"
    assert drill_api.alert_feature(made["id"], made["position"])["properties"]["status"] == "Exercise"


def test_an_alert_issued_as_an_exercise_exports_as_an_exercise(api: Api) -> None:
    made = api.issue(status="Exercise")
    assert text(api.cap(made["id"]), "cap:status") == "Exercise"
    assert api.post("/alerts", json={**ALERT, "status": "Draft"}).status_code == 422


def test_the_preview_is_the_cap_message_an_alert_would_go_out_as_and_records_nothing(api: Api) -> None:
    before = api.last()
    preview = api.post("/alerts/preview", json={**ALERT, "status": "Exercise"})
    assert preview.status_code == 200 and preview.headers["content-type"].startswith("application/xml")
    validate_cap(preview.content)
    assert (text(preview.content, "cap:status"), text(preview.content, "cap:msgType")) == ("Exercise", "Alert")
    assert text(preview.content, "cap:info/cap:headline") == ALERT["headline"]
    assert api.last() == before
    # It refuses what issuing refuses, for whom issuing refuses it.
    bad = api.post("/alerts/preview", json={**ALERT, "area": {"type": "Polygon", "coordinates": [[[104.0, 30.6], [104.1, 30.7], [104.1, 30.6], [104.0, 30.7], [104.0, 30.6]]]}})
    assert bad.status_code == 422 and bad.json()["detail"]
    assert api.post("/alerts/preview", role="observer", json=ALERT).status_code == 403
    assert api.last() == before


def test_update_then_cancel_are_cap_update_and_cancel_referencing_what_they_replace(api: Api) -> None:
    made = api.issue()
    original = api.cap(made["id"])
    first = f"lianfang,{made['id']},{text(original, 'cap:sent')}"

    r = api.post(f"/alerts/{made['id']}/update", json={"severity": "Extreme", "instruction": "居家，不外出"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    updated = api.cap(made["id"])
    validate_cap(updated)
    assert text(updated, "cap:msgType") == "Update"
    assert text(updated, "cap:identifier") == f"{made['id']}-v2"
    assert text(updated, "cap:references") == first
    assert text(updated, "cap:info/cap:severity") == "Extreme"
    assert text(updated, "cap:info/cap:instruction") == "居家，不外出"
    assert api.alert_feature(made["id"], r.json()["position"])["properties"]["severity"] == "Extreme"

    r = api.post(f"/alerts/{made['id']}/cancel", json={"reason": "疫情解除"})
    assert r.status_code == 200, r.text
    cancelled = api.cap(made["id"])
    validate_cap(cancelled)
    assert text(cancelled, "cap:msgType") == "Cancel"
    assert text(cancelled, "cap:identifier") == f"{made['id']}-v3"
    second = f"lianfang,{made['id']}-v2,{text(updated, 'cap:sent')}"
    assert text(cancelled, "cap:references").split() == [first, second]
    assert text(cancelled, "cap:note") == "疫情解除"
    assert api.alert_feature(made["id"], r.json()["position"]) is None  # off the map
    listed = {a["id"]: a for a in api.get("/alerts", params={"min_position": r.json()["position"]}).json()["alerts"]}
    assert listed[made["id"]]["cancelled"] is True


def test_cancelled_or_unknown_alerts_cannot_change(api: Api) -> None:
    made = api.issue()
    assert api.post(f"/alerts/{made['id']}/cancel").status_code == 200
    before = api.last()
    assert api.post(f"/alerts/{made['id']}/update", json={"severity": "Minor"}).status_code == 409
    assert api.post(f"/alerts/{made['id']}/cancel").status_code == 409
    unknown = "00000000-0000-0000-0000-000000000000"
    assert api.post(f"/alerts/{unknown}/update", json={"severity": "Minor"}).status_code == 404
    assert api.get(f"/alerts/{unknown}.cap.xml").status_code == 404
    assert api.get("/alerts/not-an-id.cap.xml").status_code == 404
    assert api.post(f"/alerts/{made['id']}/update", json={"severity": "Apocalyptic"}).status_code == 422
    assert api.last() == before


def test_list_of_alerts_has_its_position(api: Api) -> None:
    made = api.issue(headline="列表中的预警")
    r = api.get("/alerts", params={"min_position": made["position"]})
    assert r.status_code == 200
    assert r.json()["position"] >= made["position"]
    listed = {a["id"]: a for a in r.json()["alerts"]}
    assert listed[made["id"]]["headline"] == "列表中的预警"
    assert listed[made["id"]]["cap"] == f"/api/v1/alerts/{made['id']}.cap.xml"


def scenario_alerts() -> list[Any]:
    found = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
        start_at = datetime.fromisoformat(str(scenario["start"]))
        found += [pytest.param(f"{path.stem}:{inject['at']}", inject["with"], start_at, id=f"{path.stem}@{inject['at']}")
                  for inject in scenario["injects"] if inject["do"] == "issue_alert"]
    return found


def scenario_time(value: str, start_at: datetime) -> str:
    hours, minutes = value.lstrip("+").split(":")
    return (start_at + timedelta(hours=int(hours), minutes=int(minutes))).isoformat()


@pytest.mark.parametrize(("name", "fields", "start_at"), scenario_alerts())
def test_every_alert_of_the_demo_scenarios_is_valid_cap(drill_api: Api, name: str, fields: dict[str, Any],
                                                        start_at: datetime) -> None:
    body = dict(fields)
    if str(body.get("incident", "")).startswith("$"):
        ring = body["area"]["coordinates"][0]
        centre = [sum(p[0] for p in ring[:-1]) / (len(ring) - 1), sum(p[1] for p in ring[:-1]) / (len(ring) - 1)]
        r = drill_api.post("/incidents", json={"kind": "other", "title": f"演练事件 {name}", "location": centre})
        assert r.status_code == 201, r.text
        body["incident"] = r.json()["id"]
    if str(body.get("expires", "")).startswith("+"):
        body["expires"] = scenario_time(body["expires"], start_at)
    r = drill_api.post("/alerts", json=body)
    assert r.status_code == 201, r.text
    xml = drill_api.cap(r.json()["id"])
    validate_cap(xml)
    assert text(xml, "cap:status") == "Exercise"
    assert text(xml, "cap:info/cap:headline") == fields["headline"]
    assert text(xml, "cap:incidents") == body.get("incident")


def test_demo_scenarios_issue_alerts() -> None:
    assert scenario_alerts(), "no scenario issues an alert, so the test above checks nothing"


# --- import ------------------------------------------------------------------------------------

PLACEABLE = [p for p in sorted(EXAMPLES.glob("*.xml")) if b"<polygon>" in p.read_bytes() or b"<circle>" in p.read_bytes()]
UNPLACEABLE = [p for p in sorted(EXAMPLES.glob("*.xml")) if p not in PLACEABLE]


def test_the_spec_examples_include_polygon_circle_and_geocode_only_areas() -> None:
    assert [p.stem[:2] for p in PLACEABLE] == ["a2", "a3"]
    assert [p.stem[:2] for p in UNPLACEABLE] == ["a1", "a4"]


@pytest.mark.parametrize("path", PLACEABLE, ids=lambda p: p.stem)
def test_imported_example_is_on_the_map_in_the_audit_and_exports_the_same(api: Api, path: Path) -> None:
    original = from_cap_xml(path.read_bytes())
    r = api.import_cap(path.read_bytes())
    assert r.status_code == 201, r.text
    made = r.json()
    assert r.headers["location"] == f"/api/v1/alerts/{made['id']}"

    feature = api.alert_feature(made["id"], made["position"])
    assert feature is not None
    props = feature["properties"]
    assert (props["source"], props["sender"], props["status"]) == ("import", original["sender"], "Actual")
    assert props["headline"] == original["info"][0]["headline"]

    entries = api.get("/audit", params={"thing": made["id"], "min_position": made["position"]}).json()["entries"]
    assert [(e["type"], e["source"]) for e in entries] == [("AlertIssued", "import")]
    assert original["sender"] in entries[0]["reason"]
    assert original["identifier"] in entries[0]["reason"]

    xml = api.cap(made["id"])
    validate_cap(xml)
    exported = from_cap_xml(xml)
    for key in ("identifier", "sender", "sent", "status", "msg_type", "references"):
        assert exported[key] == original[key], key
    info, was = exported["info"][0], original["info"][0]
    for key in ("headline", "severity", "urgency", "certainty", "event", "language", "category", "description"):
        assert info[key] == (was[key].strip() if isinstance(was[key], str) else was[key]), key  # text is trimmed
    ring = info["areas"][0]["geometry"]["coordinates"][0]
    assert close_rings(ring, feature["geometry"]["coordinates"][0], 2e-6)  # the map rounds to 6 decimals
    if was["areas"][0]["geometry"] is not None:  # a polygon comes back as sent
        assert close_rings(ring, was["areas"][0]["geometry"]["coordinates"][0])
    else:  # a circle comes back as a polygon around its centre, in [lon, lat]
        (lat, lon), _ = [tuple(map(float, v.split(","))) if "," in v else v for v in was["areas"][0]["circles"][0].split()]
        centre = [sum(p[0] for p in ring[:-1]) / (len(ring) - 1), sum(p[1] for p in ring[:-1]) / (len(ring) - 1)]
        assert math.dist(centre, [lon, lat]) < 1e-4
        assert len(ring) == 33


@pytest.fixture(scope="module")
def neighbour(tmp_path_factory: pytest.TempPathFactory, module_backends: Callable[[], dict[str, Any]]) -> Iterator[Api]:
    """Another county running Lianfang, with its own CAP sender."""
    yield from start(tmp_path_factory.mktemp("neighbour"), cap_sender="cdc@neighbour.example", **module_backends())


def test_own_export_imported_elsewhere_comes_back_the_same(api: Api, neighbour: Api) -> None:
    made = neighbour.issue(headline="再导入的预警")
    xml = neighbour.cap(made["id"])
    assert text(xml, "cap:sender") == "cdc@neighbour.example"  # the setting, not a constant
    r = api.import_cap(xml, "application/xml; charset=utf-8")
    assert r.status_code == 201, r.text
    again = from_cap_xml(api.cap(r.json()["id"]))
    first = from_cap_xml(xml)
    assert again == first
    # ...and this county's own export, sent back to it, is refused: it is already here.
    r = neighbour.import_cap(xml)
    assert r.status_code == 409, r.text
    assert "sent by this deployment" in r.json()["detail"]


def chengdu_cap(area: str, identifier: str | None = None, **replace: str) -> bytes:
    """A CAP alert from Chengdu's CDC; a new identifier each time unless one is given."""
    identifier = identifier or f"CD-{uuid.uuid4().hex[:12]}"
    doc = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>cdc@chengdu.example</sender>
  <sent>2026-03-01T08:05:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>zh-CN</language>
    <category>Health</category>
    <event>聚集性疫情</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <headline>成都市锦江区发热聚集预警</headline>
    <description>请出现发热症状者及时就医。</description>
    <area>
      <areaDesc>锦江区</areaDesc>
      {area}
    </area>
  </info>
</alert>
"""
    for old, new in replace.items():
        doc = doc.replace(old, new)
    return doc.encode("utf-8")


CD_POLYGON = "<polygon>30.6,104.0 30.6,104.02 30.62,104.02 30.62,104.0 30.6,104.0</polygon>"


def test_imported_cap_polygon_is_lon_lat_on_the_map(api: Api) -> None:
    r = api.import_cap(chengdu_cap(CD_POLYGON))
    assert r.status_code == 201, r.text
    feature = api.alert_feature(r.json()["id"], r.json()["position"])
    assert feature["geometry"] == CHENGDU  # GeoJSON: longitude ~104 first
    assert text(api.cap(r.json()["id"]), "cap:info/cap:area/cap:polygon").startswith("30.6,104.0 ")


def test_imported_cap_circle_is_a_polygon_around_lat_lon(api: Api) -> None:
    r = api.import_cap(chengdu_cap("<circle>30.61,104.01 0.5</circle>"))
    assert r.status_code == 201, r.text
    ring = api.alert_feature(r.json()["id"], r.json()["position"])["geometry"]["coordinates"][0]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    assert 104.0 < min(lons) < max(lons) < 104.02 and 30.6 < min(lats) < max(lats) < 30.62
    # 0.5 km is 0.5/111 degrees of latitude, and 0.5/(111 cos 30.61°) of longitude.
    assert max(lats) - 30.61 == pytest.approx(0.5 / 111, rel=1e-3)
    assert max(lons) - 104.01 == pytest.approx(0.5 / (111 * math.cos(math.radians(30.61))), rel=1e-3)


def test_drill_import_is_an_exercise(drill_api: Api) -> None:
    r = drill_api.import_cap(chengdu_cap(CD_POLYGON))
    assert r.status_code == 201, r.text
    assert text(drill_api.cap(r.json()["id"]), "cap:status") == "Exercise"


# --- refused imports: 422 (or 413, 415) and nothing recorded -----------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE alert [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
""" + chengdu_cap(CD_POLYGON).split(b"?>", 1)[1].replace("成都市锦江区发热聚集预警".encode(), b"&lol9;")

XXE = b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + (
    chengdu_cap(CD_POLYGON).split(b"?>", 1)[1].replace("成都市锦江区发热聚集预警".encode(), b"&xxe;"))
EXTERNAL_DTD = b'<?xml version="1.0"?>\n<!DOCTYPE alert SYSTEM "http://127.0.0.1:9/cap.dtd">' + (
    chengdu_cap(CD_POLYGON).split(b"?>", 1)[1])

NO_DTD = "has a DTD or entity declarations"  # refused before any entity is expanded or fetched

REFUSED = {
    "malformed": (chengdu_cap(CD_POLYGON)[:-30], "not well-formed XML", None),
    "empty": (b"", "not well-formed XML", None),
    "billion-laughs": (BILLION_LAUGHS, NO_DTD, None),
    "xxe": (XXE, NO_DTD, None),
    "external-dtd": (EXTERNAL_DTD, NO_DTD, None),
    "cap-1.1": (chengdu_cap(CD_POLYGON).replace(b"cap:1.2", b"cap:1.1"), "namespace", None),
    "bad-urgency": (chengdu_cap(CD_POLYGON, **{"<urgency>Immediate</urgency>": "<urgency>Soon</urgency>"}),
                    "Soon", "/alert/info[1]/urgency"),
    "no-sent": (chengdu_cap(CD_POLYGON, **{"<sent>2026-03-01T08:05:00+08:00</sent>": ""}), "sent", "/alert"),
    "swapped-polygon": (chengdu_cap("<polygon>104.0,30.6 104.02,30.6 104.02,30.62 104.0,30.62 104.0,30.6</polygon>"),
                        "latitude 104", "/alert/info[1]/area[1]/polygon[1]"),
    "self-intersecting": (chengdu_cap("<polygon>30.6,104.0 30.62,104.02 30.6,104.02 30.62,104.0 30.6,104.0</polygon>"),
                          "not a valid polygon", "/alert/info[1]/area[1]/polygon[1]"),
    "cancel-of-nothing-here": (chengdu_cap(CD_POLYGON, **{
        "<msgType>Alert</msgType>": "<msgType>Cancel</msgType>",
        "</scope>": "</scope><references>cdc@chengdu.example,CD-2026-0041,2026-03-01T07:00:00+08:00</references>"}),
        "a Cancel is imported only for an alert imported here", None),
    "mobile-number": (chengdu_cap(CD_POLYGON, **{"请出现": "联系13812345678，请出现"}), "mobile number",
                      "/alert/info[1]/description"),
    "headline-too-long": (chengdu_cap(CD_POLYGON, **{"成都市锦江区发热聚集预警": "预" * 161}), "at most 160",
                          "/alert/info[1]/headline"),
}
REFUSED_SPEC_EXAMPLES: dict[str, tuple[bytes, str, str | None]] = {}


@pytest.mark.parametrize(("doc", "says", "element"), [*REFUSED.values(), *REFUSED_SPEC_EXAMPLES.values()],
                         ids=[*REFUSED, *REFUSED_SPEC_EXAMPLES])
def test_refused_document_is_422_naming_the_element_and_records_nothing(api: Api, doc: bytes, says: str,
                                                                       element: str | None) -> None:
    before, alerts = api.last(), len(api.get("/alerts").json()["alerts"])
    r = api.import_cap(doc)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert says in problem["detail"]
    if element is not None:
        assert problem["element"] == element
        assert problem["detail"].startswith(element)
    assert "root:" not in r.text and "/bin/" not in r.text  # nothing of /etc/passwd
    assert api.last() == before
    assert len(api.get("/alerts").json()["alerts"]) == alerts


@pytest.fixture(scope="module")
def roomy_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A server whose general body limit is larger than the CAP import's own."""
    yield from start(tmp_path_factory.mktemp("roomy"), max_body_bytes=4 * DEFAULT_MAX_BYTES)


def test_oversize_document_is_413_and_records_nothing(roomy_api: Api) -> None:
    before = roomy_api.last()
    padding = b"<!--" + b"x" * DEFAULT_MAX_BYTES + b"-->"  # well-formed, valid CAP, only too big
    r = roomy_api.import_cap(chengdu_cap(CD_POLYGON).replace(b"<info>", padding + b"<info>"))
    assert r.status_code == 413, r.text
    assert str(DEFAULT_MAX_BYTES) in r.json()["detail"]
    assert roomy_api.last() == before
    assert roomy_api.import_cap(chengdu_cap(CD_POLYGON)).status_code == 201  # the same, small enough, is taken


def test_a_document_that_is_not_xml_by_media_type_is_415(api: Api) -> None:
    before = api.last()
    r = api.import_cap(chengdu_cap(CD_POLYGON), "application/json")
    assert r.status_code == 415
    assert api.last() == before


# --- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["field", "observer", "unit"])
def test_only_the_commander_issues_imports_updates_and_cancels(api: Api, role: str) -> None:
    made = api.issue()
    before = api.last()
    assert api.post("/alerts", role, json=ALERT).status_code == 403
    assert api.import_cap(chengdu_cap(CD_POLYGON), role=role).status_code == 403
    assert api.import_cap(BILLION_LAUGHS, role=role).status_code == 403  # not even parsed for them
    assert api.post(f"/alerts/{made['id']}/update", role, json={"severity": "Minor"}).status_code == 403
    assert api.post(f"/alerts/{made['id']}/cancel", role).status_code == 403
    assert api.last() == before
    # Everyone may read alerts.
    assert api.get("/alerts", role).status_code == 200
    validate_cap(api.cap(made["id"], role))


def test_no_token_is_401(api: Api) -> None:
    made = api.issue()
    assert api.client.get(f"/api/v1/alerts/{made['id']}.cap.xml").status_code == 401
    assert api.client.post("/api/v1/alerts/cap", content=chengdu_cap(CD_POLYGON),
                           headers={"content-type": "application/xml"}).status_code == 401


# --- real feeds: shapeless areas, every language, one alert per message chain ----------------------

FEEDS = Path(__file__).parent / "cap_feeds"


def listed(api: Api, alert_id: str, position: int) -> dict[str, Any]:
    alerts = api.get("/alerts", params={"min_position": position}).json()["alerts"]
    return next(a for a in alerts if a["id"] == alert_id)


@pytest.mark.parametrize("name", ["ntwc_tsunami_warning_geocode.xml", "sichuan_heat_advisory_areadesc.xml"])
def test_alert_given_only_by_geocode_or_area_description_is_kept_without_a_shape(api: Api, name: str) -> None:
    r = api.import_cap((FEEDS / name).read_bytes())
    assert r.status_code == 201, r.text
    made = r.json()
    alert = listed(api, made["id"], made["position"])
    assert (alert["placed"], alert["area"]) == (False, None)
    assert alert["area_desc"]
    collection = api.get("/map", params={"min_position": made["position"]}).json()
    assert collection["type"] == "FeatureCollection"
    feature = api.alert_feature(made["id"], made["position"])
    assert feature["geometry"] is None and feature["properties"]["placed"] is False
    validate_cap(api.cap(made["id"]))  # exported with its area description and geocodes, as it came


def test_geocode_naming_a_jurisdiction_of_the_county_takes_its_polygon(api: Api) -> None:
    town = next(f for f in json.loads((SCENARIOS / "demo-county.geojson").read_text())["features"]
                if f["properties"]["code"] == "510199001")
    r = api.import_cap(chengdu_cap("<geocode><valueName>GB/T2260</valueName><value>510199001</value></geocode>"))
    assert r.status_code == 201, r.text
    feature = api.alert_feature(r.json()["id"], r.json()["position"])
    assert feature["properties"]["placed"] is True
    assert feature["geometry"]["type"] == town["geometry"]["type"]
    assert close_rings(feature["geometry"]["coordinates"][0], town["geometry"]["coordinates"][0], 2e-6)


def test_bilingual_alert_keeps_every_info_for_the_page_to_pick_its_language(api: Api) -> None:
    doc = (FEEDS / "naad_bilingual_en_fr.xml").read_bytes()
    r = api.import_cap(doc)
    assert r.status_code == 201, r.text
    alert = listed(api, r.json()["id"], r.json()["position"])
    assert [(i["language"], i["headline"]) for i in alert["infos"]] == [
        ("en-CA", "snowfall warning in effect"), ("fr-CA", "avertissement de chute de neige en vigueur")]
    assert alert["infos"][1]["instruction"].startswith("Envisagez")
    assert alert["headline"] == alert["infos"][0]["headline"]  # the top-level fields are the first info's
    exported = from_cap_xml(api.cap(r.json()["id"]))
    assert [i["language"] for i in exported["info"]] == ["en-CA", "fr-CA"]


def test_same_message_twice_is_the_same_alert_and_other_content_is_a_conflict(api: Api) -> None:
    doc = chengdu_cap(CD_POLYGON)
    first = api.import_cap(doc)
    assert first.status_code == 201, first.text
    before = api.last()
    again = api.import_cap(doc)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == f"/api/v1/alerts/{first.json()['id']}"
    identifier = text(doc, "cap:identifier")
    changed = api.import_cap(chengdu_cap(CD_POLYGON, identifier, **{"Severe": "Extreme"}))
    assert changed.status_code == 409, changed.text
    assert "other content" in changed.json()["detail"]
    assert api.last() == before  # neither recorded anything


def update_of(original: bytes, identifier: str, kind: str = "Update", **replace: str) -> bytes:
    sent = text(original, "cap:sent")
    ref = f"cdc@chengdu.example,{text(original, 'cap:identifier')},{sent}"
    return chengdu_cap(CD_POLYGON, identifier, **{
        "<msgType>Alert</msgType>": f"<msgType>{kind}</msgType>",
        "</scope>": f"</scope><references>{ref}</references>", **replace})


def test_update_then_cancel_of_an_imported_alert_leave_one_alert_with_its_history(api: Api) -> None:
    original = chengdu_cap(CD_POLYGON)
    made = api.import_cap(original).json()
    update = update_of(original, f"{text(original, 'cap:identifier')}-u1", **{"Severe": "Extreme", "发热聚集预警": "发热聚集预警（升级）"})
    r = api.import_cap(update)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == made["id"] and r.json()["version"] == 2
    alert = listed(api, made["id"], r.json()["position"])
    assert (alert["severity"], alert["headline"]) == ("Extreme", "成都市锦江区发热聚集预警（升级）")
    assert api.import_cap(update).json() == r.json()  # the same Update again: the same alert, unchanged
    cancel = update_of(original, f"{text(original, 'cap:identifier')}-c1", "Cancel")
    r = api.import_cap(cancel)
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["version"]) == (made["id"], 3)
    alerts = api.get("/alerts", params={"min_position": r.json()["position"]}).json()["alerts"]
    assert [a["cancelled"] for a in alerts if a["id"] == made["id"]] == [True]
    assert api.alert_feature(made["id"], r.json()["position"]) is None  # it left the map
    entries = api.get("/audit", params={"thing": made["id"], "min_position": r.json()["position"]}).json()["entries"]
    assert [e["type"] for e in entries] == ["AlertIssued", "AlertUpdated", "AlertCancelled"]
    xml = api.cap(made["id"])  # the export is the Cancel as its sender sent it
    assert (text(xml, "cap:msgType"), text(xml, "cap:identifier")) == ("Cancel", text(cancel, "cap:identifier"))
