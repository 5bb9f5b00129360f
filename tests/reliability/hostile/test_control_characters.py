"""A control character never reaches the store: refused with a 422 naming the field (HTTP, CAP import), exit
status 2 with the line (scenario files), a refusal (CLI); in both modes. Multi-line fields keep tab and newline,
with CR and CRLF stored as LF."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reliability.hostile.conftest import IN_DONGSHAN, Hostile

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"
LIANFANG = [str(Path(sys.executable).parent / "lianfang")]
SQUARE = {"type": "Polygon", "coordinates": [[[104.24, 30.65], [104.26, 30.65], [104.26, 30.67], [104.24, 30.67], [104.24, 30.65]]]}


def head(h: Hostile) -> int:
    return h.client.get("/api/v1/events", params={"after": 0, "limit": 5000}, headers=h.commander).json()["last"]


def refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert field in response.json()["detail"], response.json()


def audit_holds(h: Hostile, position: int) -> None:
    """The audit trail reaches `position` and its chain verifies: no read model died on what was stored."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        verdict = h.client.get("/api/v1/audit/verify", headers=h.commander).json()
        if verdict["head"] >= position:
            assert verdict["ok"], verdict
            return
        time.sleep(0.05)
    raise AssertionError(f"the audit trail did not reach position {position}: {verdict}")


# (what, path of the command (incident id filled in), body, field the refusal names)
CASES = [
    ("NUL in a title", "/incidents", {"kind": "cluster", "title": "a\u0000b", "location": IN_DONGSHAN}, "title"),
    ("NUL in a note", "/incidents/{incident}/reports", {"new": {"confirmed": 1}, "note": "a\u0000b"}, "note"),
    ("a C0 control in a reason", "/incidents/{incident}/level", {"level": "II", "reason": "a\u001bb"}, "reason"),
    ("DEL in a unit's name", "/units", {"name": "东山\u007f镇", "kind": "township"}, "name"),
    ("a C1 control in a zone's name", "/zones", {"incident": "{incident}", "kind": "sealed", "area": SQUARE, "name": "a\u0085b"}, "name"),
    ("a newline in a title", "/incidents", {"kind": "cluster", "title": "a\nb", "location": IN_DONGSHAN}, "title"),
    ("a tab in a resource's name", "/resources", {"kind": "sampling_team", "name": "a\tb", "unit": "{unit}", "position": IN_DONGSHAN}, "name"),
    ("a right-to-left override in a title", "/incidents", {"kind": "cluster", "title": "abc\u202edcba", "location": IN_DONGSHAN}, "title"),
    ("an isolate in a unit's name", "/units", {"name": "a\u2067b\u2069", "kind": "township"}, "name"),
    ("a line separator in a note", "/incidents/{incident}/reports", {"new": {"confirmed": 1}, "note": "a\u2028b"}, "note"),
    ("a paragraph separator in a headline", "/alerts", {"headline": "a\u2029b", "severity": "Minor", "urgency": "Expected",
                                                          "certainty": "Likely", "area": SQUARE}, "headline"),
    ("NUL in an alert's description", "/alerts", {"headline": "h", "severity": "Minor", "urgency": "Expected",
                                                    "certainty": "Likely", "area": SQUARE, "description": "a\u0000b"}, "description"),
]


def filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids) if "{" in value and "}" in value and value.strip("{}") in ids else value
    if isinstance(value, dict):
        return {k: filled(v, ids) for k, v in value.items()}
    return value


def test_a_control_character_is_refused_with_a_422_naming_the_field(hostile: Hostile) -> None:
    # One store for every case (a store per case would cost seconds each in scale-out mode).
    ids = {"incident": hostile.incident(), "unit": hostile.unit}
    before = head(hostile)
    for what, path, body, field in CASES:
        response = hostile.post(path.format(**ids), filled(body, ids))
        assert response.status_code == 422, f"{what}: {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith(PROBLEM)
        assert field in response.json()["detail"], f"{what}: {response.json()}"
    assert head(hostile) == before, "nothing is recorded"
    audit_holds(hostile, before)


def test_the_reproduction_of_issue_15_leaves_the_audit_trail_running(hostile: Hostile) -> None:
    # A NUL title, then a NUL note from the field team: both refused, and what comes after is projected and verified.
    refused(hostile.post("/incidents", {"kind": "cluster", "title": "a\u0000b", "location": IN_DONGSHAN}), "title")
    incident = hostile.incident()
    note = hostile.client.post(f"/api/v1/incidents/{incident}/reports", json={"new": {"confirmed": 1}, "note": "x\u0000"},
                               headers=hostile.field)
    refused(note, "note")
    after = hostile.post(f"/incidents/{incident}/reports", {"new": {"confirmed": 2}, "note": "复核"})
    assert after.status_code == 200
    audit_holds(hostile, after.json()["position"])


def test_multi_line_fields_keep_tab_and_newline_and_store_cr_as_lf(hostile: Hostile) -> None:
    incident = hostile.incident()
    report = hostile.post(f"/incidents/{incident}/reports", {"new": {"confirmed": 1}, "note": "第一行\r\n第二行\r第三行\n\t缩进"})
    assert report.status_code == 200, report.text
    events = hostile.client.get("/api/v1/events", params={"after": 0, "limit": 5000}, headers=hostile.commander).json()
    [filed] = [e for e in events["events"] if e["type"] == "FieldReportFiled"]
    assert filed["data"]["note"] == "第一行\n第二行\n第三行\n\t缩进"


def test_a_cap_import_with_a_control_character_is_refused(hostile: Hostile) -> None:
    before = head(hostile)
    # XML 1.0 may carry C1 controls (here as a character reference); Lianfang's text may not.
    doc = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>CD-2026-0042</identifier><sender>cdc@chengdu.example</sender><sent>2026-03-01T08:05:00+08:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>zh-CN</language><category>Health</category><event>聚集性疫情</event><urgency>Immediate</urgency>
    <severity>Severe</severity><certainty>Observed</certainty><headline>成都&#x85;发热聚集预警</headline>
    <area><areaDesc>锦江区</areaDesc><polygon>30.6,104.0 30.6,104.02 30.62,104.02 30.62,104.0 30.6,104.0</polygon></area>
  </info>
</alert>""".encode()
    response = hostile.client.post("/api/v1/alerts/cap", content=doc,
                                   headers={**hostile.commander, "content-type": "application/cap+xml"})
    refused(response, "headline")
    assert head(hostile) == before


def test_a_control_character_in_a_header_that_is_recorded_is_refused(hostile: Hostile) -> None:
    # Idempotency-Key is recorded with the event; obs-text bytes arrive as C1 characters (latin-1).
    response = hostile.client.post("/api/v1/incidents", headers={**hostile.commander, "Idempotency-Key": b"k\x85"},
                                   json={"kind": "cluster", "title": "t", "location": IN_DONGSHAN})
    refused(response, "Idempotency-Key")


SCENARIO = """scenario: 控制字符演练
start: 2026-03-01T08:00:00+08:00
geography: {geography}
actors:
  cmd: {{role: commander, name: 县指挥部}}
injects:
  - at: "+00:05"
    by: cmd
    do: report_incident
    with: {{kind: cluster, title: "幼儿园\\0发热", location: [104.2493, 30.6626]}}
"""


@pytest.mark.embedded_only("the file is refused before any store is opened")
def test_a_scenario_file_with_a_control_character_is_refused_with_its_line(tmp_path: Path, store_mode: str) -> None:
    geography = Path(__file__).resolve().parents[3] / "scenarios" / "demo-county.geojson"
    scenario = tmp_path / "nul.yaml"
    scenario.write_text(SCENARIO.format(geography=geography), encoding="utf-8")
    run = subprocess.run([*LIANFANG, "drill", "run", str(scenario), "--as-fast-as-possible", "--store", str(tmp_path / "store")],
                         capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[3])
    assert run.returncode == 2, run.stdout + run.stderr
    assert "nul.yaml:10:" in run.stderr and "title" in run.stderr, run.stderr
    assert not (tmp_path / "store" / "events.sqlite").exists()


def test_the_cli_refuses_a_control_character_in_a_token_name(hostile: Hostile) -> None:
    env = {"LIANFANG_DATA_DIR": str(hostile.settings.data_dir), "PATH": "/usr/bin:/bin"}
    if hostile.settings.database_url:
        env["LIANFANG_DATABASE_URL"] = hostile.settings.database_url
    before = head(hostile)
    run = subprocess.run([*LIANFANG, "tokens", "create", "--role", "observer", "--name", "a\x1bb"], capture_output=True,
                         text=True, timeout=120, env=env, cwd=Path(__file__).resolve().parents[3])
    assert run.returncode != 0 and "name" in run.stderr, run.stdout + run.stderr
    assert head(hostile) == before
