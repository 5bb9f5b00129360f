"""Retries: field posts sent again with the same Idempotency-Key, some at once, have exactly one effect each."""
from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import pytest

from domain.access import token_hash, token_id
from reliability.served import IN_DONGSHAN, World, by_key, key, patient, read_log, shape_of, sizes

pytestmark = pytest.mark.integration
COUNTS = ("confirmed", "suspected", "asymptomatic", "close_contacts")


def actor_of(secret: str) -> str:
    return str(token_id(token_hash(secret)))


def plan(posts: int, incidents: list[str], seed: int) -> list[dict[str, Any]]:
    """Each post: its key, incident, body, how many times it is sent (2–4), and whether the copies race."""
    rng = random.Random(seed)
    planned = []
    for n in range(posts):
        new = {k: rng.randint(0, 3) for k in COUNTS}
        new["confirmed"] += 1
        body: dict[str, Any] = {"new": new, "position": IN_DONGSHAN}
        if rng.random() < 0.3:
            body["note"] = f"第{n}次排查：发现新病例"
        planned.append({"key": key(), "incident": rng.choice(incidents), "body": body,
                        "sends": 1 + rng.randint(1, 3), "together": rng.random() < 0.5})
    return planned


async def send_all(url: str, token: str, planned: list[dict[str, Any]], in_flight: int = 48) -> None:
    """Send every post with its retries; the copies of a post go out at once or one after another."""
    gate = asyncio.Semaphore(in_flight)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=in_flight * 2, max_keepalive_connections=in_flight * 2)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def once(post: dict[str, Any]) -> httpx.Response:
            return await patient(lambda: client.post(f"/api/v1/incidents/{post['incident']}/reports", json=post["body"],
                                                     headers={**headers, "Idempotency-Key": post["key"]}))

        async def one(post: dict[str, Any]) -> None:
            async with gate:
                if post["together"]:
                    post["responses"] = await asyncio.gather(*(once(post) for _ in range(post["sends"])))
                else:
                    post["responses"] = [await once(post) for _ in range(post["sends"])]

        await asyncio.gather(*(one(p) for p in planned))


@pytest.mark.parametrize("posts", sizes(500, 10_000))
def test_each_retried_field_post_has_exactly_one_effect(world: World, posts: int) -> None:
    server, field = world.server, world.field_tokens["dongshan"]
    incidents = {i["id"]: i for i in (world.incident() for _ in range(8))}
    head = server.caught_up()
    planned = plan(posts, list(incidents), seed=posts)

    asyncio.run(send_all(server.url, field, planned))

    # Every copy of a post got the same answer: the first one.
    for post in planned:
        statuses = [r.status_code for r in post["responses"]]
        assert statuses == [200] * post["sends"], (post["key"], [r.text for r in post["responses"]])
        answers = {r.content for r in post["responses"]}
        assert len(answers) == 1, (post["key"], answers)
    # The log holds exactly one report per key, and each answer names it.
    events = read_log(world.client, world.commander.token, after=head)
    groups = by_key(events)
    actor = actor_of(field)
    for post in planned:
        group = groups.pop((actor, post["key"]), [])
        assert shape_of(group) == ["FieldReportFiled"], (post["key"], group)
        report = next(e for e in group if e["type"] == "FieldReportFiled")
        answer = post["responses"][0].json()
        assert (report["thing"], report["version"], report["position"]) == (answer["id"], answer["version"], answer["position"])
        assert report["data"]["new"] == post["body"]["new"]
    assert not groups, f"events under keys nobody sent: {list(groups)[:5]}"
    assert len(events) == posts
    # The incidents' totals are their first counts plus each post once.
    last = max(e["position"] for e in events)
    for incident_id in incidents:
        board = world.commander.get(f"/incidents/{incident_id}", min_position=last).json()["incident"]
        for count in COUNTS:
            expected = (3 if count == "confirmed" else 0) + sum(
                p["body"]["new"][count] for p in planned if p["incident"] == incident_id)
            assert board["counts"][count] == expected, (incident_id, count)
    sends = sum(p["sends"] for p in planned)
    together = sum(p["sends"] for p in planned if p["together"])
    print(f"retries: {posts} field posts sent {sends} times ({together} of them concurrently with their twins), "
          f"{posts} effects, 0 duplicated, 0 lost")

