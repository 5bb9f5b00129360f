"""Privacy: patients are counted, never named. The API has no field for a name, ID number or phone
number of a person, and every free-text field of every command refuses text carrying a mainland
ID-card number or mobile number, with a 422 that says why, recording nothing."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reliability.served import IN_DONGSHAN, PROBLEM, SQUARE_IN_DONGSHAN, World, due_in, key

pytestmark = pytest.mark.integration

# Words that would name a person or a way to reach one, as parts of a snake_case field name.
PERSONAL = {"patient", "patients", "person", "people", "phone", "mobile", "tel", "telephone", "cellphone", "idcard",
            "passport", "birth", "birthday", "dob", "gender", "sex", "age", "address", "citizen", "ssn", "surname",
            "firstname", "lastname", "fullname", "wechat", "email", "姓名", "身份证", "手机", "电话", "患者", "病人"}
PERSONAL_PAIRS = re.compile(r"(^|_)(id_?(card|number|no)|contact_?(name|phone|number|info))($|_)")

ID_NUMBERS = ["患者身份证号110101199003071234已隔离", "证件11010119900307123X", "id: 11010119900307123x",
              "身份证１１０１０１１９９００３０７１２３４"]
MOBILES = ["联系电话13812345678", "call +86 138-1234-5678", "家属手机：199 1234 5678", "(+86)15912345678"]
ORDINARY = ["新增确诊3例，密接20人", "2026-03-01 08:00 采样1200份", "值班电话 028-86123456", "批次号 12345678901"]


def field_names(schema: Any) -> set[str]:
    """Every property and parameter name anywhere in an OpenAPI document."""
    names: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            if "in" in node and "name" in node:
                names.add(node["name"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names


def test_the_served_schema_has_no_field_for_a_persons_name_id_number_or_phone(world: World) -> None:
    schema = world.client.get("/openapi.json").json()
    names = field_names(schema)
    assert {"note", "title", "counts", "close_contacts"} <= names, "the walk found the fields"
    personal = sorted(n for n in names if set(n.lower().split("_")) & PERSONAL or PERSONAL_PAIRS.search(n.lower()))
    assert personal == []
    # Incidents and field reports carry counts and places, and no name field at all.
    components = schema["components"]["schemas"]
    for model in ("ReportIncident", "FileReport", "Counts"):
        assert not {n for n in components[model]["properties"] if "name" in n}, model


class Things:
    """One thing of each kind in the state each free-text command needs."""

    def __init__(self, world: World) -> None:
        c, unit = world.commander, world.unit_tokens["dongshan"]
        self.world = world
        self.incident = world.incident()["id"]
        self.zone = c.created("/zones", {"incident": self.incident, "kind": "sealed", "area": SQUARE_IN_DONGSHAN})["id"]
        self.dispatch = c.created("/dispatches", {"incident": self.incident, "kind": "ambulance"})["id"]
        self.task = world.task()["id"]
        self.refusable = world.task()["id"]
        self.claimed = world.task()["id"]
        self.supervised = world.task()["id"]
        with httpx.Client(base_url=world.server.url, headers={"Authorization": f"Bearer {unit}"}) as as_unit:
            assert as_unit.post(f"/api/v1/tasks/{self.claimed}/claim", json={}).status_code == 200
        c.created(f"/tasks/{self.supervised}/supervise", {"notice": "请于今日内报送进展", "answer_by": due_in(12)})
        self.alert = c.created("/alerts", {"headline": "发热门诊就诊提示", "severity": "Moderate", "urgency": "Expected",
                                           "certainty": "Likely", "area": SQUARE_IN_DONGSHAN})["id"]


# (command, who, path, body with the text in its free-text field, the field)
Sender = Callable[[Things, str], tuple[str, str, dict[str, Any], str]]
FIELDS: list[tuple[str, Sender]] = [
    ("report_incident", lambda t, x: ("commander", "/incidents", {"kind": "cluster", "title": x, "location": IN_DONGSHAN}, "title")),
    ("file_report", lambda t, x: ("field", f"/incidents/{t.incident}/reports", {"new": {"confirmed": 1}, "note": x}, "note")),
    ("set_level", lambda t, x: ("commander", f"/incidents/{t.incident}/level", {"level": "III", "reason": x}, "reason")),
    ("close_incident", lambda t, x: ("commander", f"/incidents/{t.incident}/close", {"reason": x}, "reason")),
    ("declare_zone", lambda t, x: ("commander", "/zones", {"incident": t.incident, "kind": "controlled",
                                                          "area": SQUARE_IN_DONGSHAN, "name": x}, "name")),
    ("downgrade_zone", lambda t, x: ("commander", f"/zones/{t.zone}/downgrade", {"reason": x}, "reason")),
    ("lift_zone", lambda t, x: ("commander", f"/zones/{t.zone}/lift", {"reason": x}, "reason")),
    ("register_resource", lambda t, x: ("commander", "/resources", {"kind": "ambulance", "name": x,
                                                                    "unit": t.world.units["dongshan"], "position": IN_DONGSHAN}, "name")),
    ("cancel_dispatch", lambda t, x: ("commander", f"/dispatches/{t.dispatch}/cancel", {"reason": x}, "reason")),
    ("assign_task", lambda t, x: ("commander", "/tasks", {"title": x, "lead": t.world.units["dongshan"], "due": due_in(48)}, "title")),
    ("report_progress", lambda t, x: ("unit", f"/tasks/{t.claimed}/progress", {"percent": 10, "note": x}, "note")),
    ("refuse_task", lambda t, x: ("unit", f"/tasks/{t.refusable}/refuse", {"reason": x}, "reason")),
    ("supervise_task", lambda t, x: ("commander", f"/tasks/{t.task}/supervise", {"notice": x, "answer_by": due_in(12)}, "notice")),
    ("answer_supervision", lambda t, x: ("unit", f"/tasks/{t.supervised}/answer", {"answer": x}, "answer")),
    ("issue_alert headline", lambda t, x: ("commander", "/alerts", {"headline": x, "severity": "Minor", "urgency": "Future",
                                                                    "certainty": "Possible", "area": SQUARE_IN_DONGSHAN}, "headline")),
    ("issue_alert description", lambda t, x: ("commander", "/alerts", {"headline": "提示", "severity": "Minor", "urgency": "Future",
                                                                       "certainty": "Possible", "area": SQUARE_IN_DONGSHAN,
                                                                       "description": x}, "description")),
    ("issue_alert instruction", lambda t, x: ("commander", "/alerts", {"headline": "提示", "severity": "Minor", "urgency": "Future",
                                                                       "certainty": "Possible", "area": SQUARE_IN_DONGSHAN,
                                                                       "instruction": x}, "instruction")),
    ("update_alert", lambda t, x: ("commander", f"/alerts/{t.alert}/update", {"description": x}, "description")),
    ("cancel_alert", lambda t, x: ("commander", f"/alerts/{t.alert}/cancel", {"reason": x}, "reason")),
    ("register_unit", lambda t, x: ("commander", "/units", {"name": x, "kind": "department"}, "name")),
]


@pytest.fixture(scope="module")
def things(world: World) -> Things:
    return Things(world)


def post(things: Things, who: str, path: str, body: dict[str, Any]) -> httpx.Response:
    token = {"commander": things.world.commander.token, "unit": things.world.unit_tokens["dongshan"],
             "field": things.world.field_tokens["dongshan"]}[who]
    return things.world.client.post(f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}",
                                                                          "Idempotency-Key": key()})


@pytest.mark.parametrize("kind", ["ID-card number", "mobile number"])
@pytest.mark.parametrize(("command", "send"), FIELDS, ids=[f[0] for f in FIELDS])
def test_every_free_text_field_refuses_personal_numbers_and_says_why(things: Things, command: str, send: Sender,
                                                                    kind: str) -> None:
    samples = ID_NUMBERS if kind == "ID-card number" else MOBILES
    for n, text in enumerate(samples if command == "file_report" else samples[len(command) % 2::2]):
        who, path, body, field = send(things, text)
        head = things.world.server.head()
        response = post(things, who, path, body)
        assert response.status_code == 422, (text, response.status_code, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        detail = response.json()["detail"]
        assert kind in detail and field in detail and "remove" in detail, detail
        assert things.world.server.head() == head, f"{command}: something was recorded"


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_numbers_in_a_note_are_kept(things: Things, text: str) -> None:
    response = post(things, "field", f"/incidents/{things.incident}/reports", {"new": {"suspected": 1}, "note": text})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("text", [
    pytest.param("身份证 110101 19900307 1234", id="ID number in groups of 6-8-4"),
    pytest.param("身份证110101-19900307-123X", id="ID number with hyphens"),
    pytest.param("电话１３８１２３４５６７８", id="mobile number in full-width digits"),
])
def test_personal_numbers_as_people_type_them_are_refused(things: Things, text: str) -> None:
    head = things.world.server.head()
    response = post(things, "field", f"/incidents/{things.incident}/reports", {"new": {"suspected": 1}, "note": text})
    assert response.status_code == 422, response.text
    assert things.world.server.head() == head


def test_an_imported_cap_alert_with_a_mobile_number_is_refused(things: Things) -> None:
    cap = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>TEST-{key()}</identifier><sender>cdc@example.org</sender><sent>2026-03-01T08:00:00+08:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><category>Health</category><event>发热</event><urgency>Expected</urgency><severity>Moderate</severity>
    <certainty>Likely</certainty><headline>发热门诊提示</headline><description>如有症状请联系13812345678</description>
    <area><areaDesc>东山镇</areaDesc><polygon>30.65,104.24 30.65,104.26 30.67,104.26 30.67,104.24 30.65,104.24</polygon></area>
  </info>
</alert>""".encode()
    head = things.world.server.head()
    response = things.world.client.post("/api/v1/alerts/cap", content=cap, headers={
        "Authorization": f"Bearer {things.world.commander.token}", "Content-Type": "application/cap+xml"})
    assert response.status_code == 422, response.text
    assert "mobile number" in response.json()["detail"]
    assert things.world.server.head() == head
