"""Hostile input: one reading of each header (issue 15, item 3). With two Content-Type headers, the JSON guard
and FastAPI read different ones, and duplicate keys got past the guard."""
from __future__ import annotations

import pytest

from reliability.hostile.served import IN_DONGSHAN, Served, assert_problem, served  # noqa: F401

pytestmark = pytest.mark.integration

TWICE_TITLED = b'{"kind": "cluster", "title": "first", "title": "second", "location": [104.2493, 30.6626]}'


@pytest.mark.parametrize("types", [("application/json", "text/plain"), ("text/plain", "application/json"),
                                   ("application/json", "application/json")], ids=["json-first", "json-last", "json-twice"])
def test_a_request_with_several_content_types_is_refused_and_records_nothing(served: Served, types: tuple[str, str]) -> None:
    head = served.head()
    headers = [("authorization", served.auth["Authorization"]), *(("content-type", t) for t in types)]
    response = served.client.post("/api/v1/incidents", content=TWICE_TITLED, headers=headers)
    assert_problem(response, 422, "Content-Type")
    assert served.head() == head


def test_one_content_type_is_still_taken(served: Served) -> None:
    response = served.client.post("/api/v1/incidents", json={"kind": "cluster", "title": "t", "location": IN_DONGSHAN},
                                  headers=served.auth)
    assert response.status_code == 201, response.text
