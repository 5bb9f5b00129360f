"""Races: many writers on one incident and one task, each with the version it read (If-Match).

No update is lost: each acknowledged write applies on top of the version its writer read, no
two writers are acknowledged for the same version, the losers get 409 and record nothing, and
the totals equal the sum of what was acknowledged.
"""
from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from domain.access import token_hash, token_id
from reliability.served import IN_DONGSHAN, World, by_key, key, patient, read_log, sizes

pytestmark = pytest.mark.integration


@dataclass
class Writer:
    n: int
    key: str = field(default_factory=key)
    body: dict[str, Any] = field(default_factory=dict)
    acked: dict[str, Any] | None = None  # the answer, and the version it was based on
    read_version: int | None = None
    conflicts: int = 0
    statuses: list[int] = field(default_factory=list)


async def race(url: str, token: str, writers: list[Writer], read: Any, post_path: str, make_body: Any,
               attempts: int | None) -> None:
    """All writers start together; each reads the version, posts with If-Match, and on 409 reads again."""
    start = asyncio.Event()
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=len(writers) + 8, max_keepalive_connections=len(writers) + 8)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def one(w: Writer) -> None:
            await start.wait()
            tries = 0
            while attempts is None or tries < attempts:
                tries += 1
                version, state = await read(client)
                w.body = make_body(w, state)
                response = await patient(lambda: client.post(post_path, json=w.body, headers={
                    **headers, "If-Match": f'"{version}"', "Idempotency-Key": w.key}))
                w.statuses.append(response.status_code)
                if response.status_code == 200:
                    w.acked, w.read_version = response.json(), version
                    return
                assert response.status_code == 409, response.text
                assert "version" in response.json()["detail"], response.text
                w.conflicts += 1
                await asyncio.sleep(random.uniform(0, 0.02))

        tasks = [asyncio.create_task(one(w)) for w in writers]
        await asyncio.sleep(0.05)
        start.set()
        await asyncio.gather(*tasks)


def check_no_lost_update(writers: list[Writer], first_version: int) -> list[Writer]:
    """Acked writes sit on the version their writer read, one per version, without gaps."""
    acked = sorted((w for w in writers if w.acked), key=lambda w: w.acked["version"])
    versions = [w.acked["version"] for w in acked]
    assert versions == list(range(first_version + 1, first_version + 1 + len(acked))), versions
    assert all(w.acked["version"] == w.read_version + 1 for w in acked)
    assert len(acked) >= 1 and sum(w.conflicts for w in writers) >= 1, "no race happened"
    return acked


def check_losers_recorded_nothing(world: World, token: str, writers: list[Writer], head: int, event_type: str) -> None:
    actor = str(token_id(token_hash(token)))
    groups = by_key(read_log(world.client, world.commander.token, after=head))
    for w in writers:
        written = Counter(e["type"] for e in groups.get((actor, w.key), []))
        assert written == (Counter({event_type: 1}) if w.acked else Counter()), (w, written)


@pytest.mark.parametrize("writers", sizes(100, 1000))
def test_concurrent_field_reports_with_if_match_lose_no_update(world: World, writers: int) -> None:
    server, token = world.server, world.field_tokens["dongshan"]
    incident = world.incident()["id"]
    head = server.caught_up()
    everyone = [Writer(n) for n in range(writers)]
    seen = {"position": head}

    async def read(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
        shown = (await patient(lambda: client.get(f"/api/v1/incidents/{incident}", params={"min_position": seen["position"]},
                                                  headers={"Authorization": f"Bearer {world.commander.token}"}))).json()
        seen["position"] = max(seen["position"], shown["position"])
        return shown["incident"]["version"], shown["incident"]

    def body(w: Writer, _: dict[str, Any]) -> dict[str, Any]:
        return {"new": {"confirmed": 1 + w.n % 5, "close_contacts": w.n % 7}, "position": IN_DONGSHAN,
                "note": f"第{w.n}组排查"}

    asyncio.run(race(server.url, token, everyone, read, f"/api/v1/incidents/{incident}/reports", body,
                     attempts=3))

    acked = check_no_lost_update(everyone, first_version=1)
    check_losers_recorded_nothing(world, token, everyone, head, "FieldReportFiled")
    last = max(w.acked["position"] for w in acked)
    shown = world.commander.get(f"/incidents/{incident}", min_position=last).json()["incident"]
    assert shown["version"] == 1 + len(acked)
    assert shown["counts"]["confirmed"] == 3 + sum(w.body["new"]["confirmed"] for w in acked)
    assert shown["counts"]["close_contacts"] == sum(w.body["new"]["close_contacts"] for w in acked)
    print(f"races on one incident: {writers} writers, {len(acked)} acknowledged, "
          f"{sum(w.conflicts for w in everyone)} answered 409, 0 lost")


@pytest.mark.parametrize("writers", sizes(100, 1000))
def test_concurrent_progress_reports_with_if_match_lose_no_update(world: World, writers: int) -> None:
    server, token = world.server, world.unit_tokens["dongshan"]
    task = world.task()["id"]
    unit = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    claimed = unit.post(f"/api/v1/tasks/{task}/claim", json={}, headers={"Idempotency-Key": key()})
    assert claimed.status_code == 200, claimed.text
    head = server.caught_up()
    everyone = [Writer(n) for n in range(writers)]
    seen = {"position": head}

    async def read(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
        ledger = (await patient(lambda: client.get("/api/v1/ledger", params={"min_position": seen["position"]},
                                                   headers={"Authorization": f"Bearer {world.commander.token}"}))).json()
        seen["position"] = max(seen["position"], ledger["position"])
        row = next(t for t in ledger["tasks"] if t["id"] == task)
        return row["version"], row

    def body(w: Writer, row: dict[str, Any]) -> dict[str, Any]:
        # One step on from what this writer read: a lost update would repeat a percentage.
        return {"percent": min(100, row["percent"] + 1), "note": f"writer {w.n}"}

    asyncio.run(race(server.url, token, everyone, read, f"/api/v1/tasks/{task}/progress", body,
                     attempts=3))

    acked = check_no_lost_update(everyone, first_version=2)
    check_losers_recorded_nothing(world, token, everyone, head, "ProgressReported")
    last = max(w.acked["position"] for w in acked)
    row = next(t for t in world.commander.get("/ledger", min_position=last).json()["tasks"] if t["id"] == task)
    assert row["version"] == 2 + len(acked)
    assert len(row["progress"]) == len(acked)
    assert [p["percent"] for p in row["progress"]] == [min(100, n) for n in range(1, len(acked) + 1)]
    print(f"races on one task: {writers} writers, {len(acked)} acknowledged, "
          f"{sum(w.conflicts for w in everyone)} answered 409, 0 lost")

