"""Hostile CAP documents through HTTP, in both modes: refused fast, nothing recorded, the server still answers."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.tokens import issue_token, open_store
from domain.application.settings import Settings
from modes import projection_worker

ALERT = (Path(__file__).resolve().parents[2] / "api" / "cap_examples" / "a2_severe_thunderstorm_warning.xml").read_bytes()
ISSUE = {"headline": "发热聚集健康提示", "severity": "Severe", "urgency": "Immediate", "certainty": "Observed",
         "area": {"type": "Polygon", "coordinates": [[[104.0, 30.6], [104.02, 30.6], [104.02, 30.62], [104.0, 30.6]]]}}
# Before: 50,000 attributes (about 490 KB) cost about 4 minutes of CPU in xmlschema; refused now before it runs.
FAST = 5.0  # seconds, generous for a loaded 2-core machine; the refusal itself takes about 0.1 s


class Server:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def import_cap(self, doc: bytes) -> Any:
        return self.client.post("/api/v1/alerts/cap", content=doc,
                                headers={**self.headers, "content-type": "application/cap+xml"})

    def last(self) -> int:
        return self.client.get("/api/v1/events", params={"after": 0, "limit": 5000}, headers=self.headers).json()["last"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, module_backends: Callable[[], dict[str, Any]]) -> Iterator[Server]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("hostile-cap"), cap_sender="cdc@here.example",
                        **module_backends())
    with projection_worker(settings):
        with open_store(settings) as store:
            token = issue_token(store, role="commander", unit=None, name="commander")
        with TestClient(create_app(settings)) as client:
            yield Server(client, token)


def attribute_flood(n: int) -> bytes:
    attrs = " ".join(f'a{i}="x"' for i in range(n))
    return ALERT.replace(b"<headline>", f"<headline {attrs}>".encode(), 1)


def element_flood(n: int) -> bytes:
    geocode = b"<geocode><valueName>UGC</valueName><value>X</value></geocode>"
    return ALERT.replace(b"</areaDesc>", b"</areaDesc>" + geocode * n, 1)


@pytest.mark.parametrize(("doc", "says"), [
    (attribute_flood(50_000), "attribute 'a0' is not allowed"),
    (element_flood(4_000), "more than 10000 elements"),
], ids=["50000-attributes", "12000-elements"])
def test_a_flood_is_refused_in_well_under_a_second_of_work_and_records_nothing(server: Server, doc: bytes,
                                                                               says: str) -> None:
    assert len(doc) < 1_048_576  # within the byte limit: only counting stops it
    before = server.last()
    started = time.monotonic()
    r = server.import_cap(doc)
    assert time.monotonic() - started < FAST
    assert r.status_code == 422, r.text[:300]
    assert says in r.json()["detail"]
    assert server.last() == before
    assert server.import_cap(ALERT).status_code in (200, 201)  # and the server still takes real alerts


def test_this_deployments_own_export_is_refused(server: Server) -> None:
    made = server.client.post("/api/v1/alerts", json=ISSUE, headers=server.headers).json()
    xml = server.client.get(f"/api/v1/alerts/{made['id']}.cap.xml", headers=server.headers).content
    assert b"<sender>cdc@here.example</sender>" in xml
    before = server.last()
    r = server.import_cap(xml)
    assert r.status_code == 409, r.text
    assert "sent by this deployment" in r.json()["detail"]
    assert server.last() == before
