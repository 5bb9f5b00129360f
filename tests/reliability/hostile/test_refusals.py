"""Hostile input: refusals that say the right thing (issue 15, item 6): a malformed `after=` on the live feed is a
422 problem (not a bare 403 that reads like a refused token), and a 422 never echoes more than ~200 characters."""
from __future__ import annotations

import re

import pytest
from starlette.testclient import WebSocketDenialResponse

from reliability.hostile.served import IN_DONGSHAN, PROBLEM, Served, assert_problem, served  # noqa: F401

pytestmark = pytest.mark.integration

LONG = "x" * 5000


@pytest.mark.parametrize("after", ["-1", "abc", "1e3", "", "3.0", "99999999999999999999999"])
def test_a_malformed_after_on_the_live_feed_is_a_422_problem(served: Served, after: str) -> None:
    with pytest.raises(WebSocketDenialResponse) as refused:
        with served.client.websocket_connect(f"/api/v1/live?after={after}&access_token={served.token}") as feed:
            feed.receive_text()
    response = refused.value
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "after" in response.json()["detail"]


def test_a_well_formed_after_still_resumes(served: Served) -> None:
    with served.client.websocket_connect(f"/api/v1/live?after=0&access_token={served.token}") as feed:
        assert '"type"' in feed.receive_text()


def longest_echo(text: str) -> int:
    return max((len(m) for m in re.findall(r"x+", text)), default=0)


@pytest.mark.parametrize("how", ["kind", "unknown-field", "duplicate-key", "if-match"])
def test_a_422_never_echoes_more_than_about_200_characters_of_the_input(served: Served, how: str) -> None:
    body = {"kind": "cluster", "title": "t", "location": IN_DONGSHAN}
    headers = dict(served.auth)
    path, content = "/api/v1/incidents", None
    if how == "kind":
        body["kind"] = LONG
    elif how == "unknown-field":
        body[LONG] = 1
    elif how == "duplicate-key":
        content = ('{"%s": 1, "%s": 2, "kind": "cluster", "title": "t", "location": [104.2493, 30.6626]}' % (LONG, LONG)).encode()
    elif how == "if-match":
        incident = served.created("/incidents", body)["id"]
        path, body, headers = f"/api/v1/incidents/{incident}/level", {"level": "III", "reason": "r"}, {**headers, "If-Match": LONG}
    if content is not None:
        response = served.client.post(path, content=content, headers={**headers, "Content-Type": "application/json"})
    else:
        response = served.client.post(path, json=body, headers=headers)
    problem = assert_problem(response, 422)
    assert longest_echo(response.text) <= 200, (longest_echo(response.text), problem["detail"][:300])
    assert len(problem["detail"]) <= 260 and problem["detail"].strip()
