"""Tokens: only their hashes are stored, they are never logged, and a revoked one fails at once.

Tokens are created and revoked with the real CLI, in another process than the running server.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import websockets

from domain.access import token_hash, token_id
from reliability.served import IN_DONGSHAN, LIANFANG, Server, World, key

pytestmark = pytest.mark.integration


def cli(server: Server, *args: str) -> str:
    done = subprocess.run([LIANFANG, *args], env=server.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def create(server: Server, role: str, unit: str | None = None) -> str:
    return cli(server, "tokens", "create", "--role", role, "--name", f"{role} 测试", *(["--unit", unit] if unit else [])).strip().splitlines()[-1]


def revoke(server: Server, secret: str) -> None:
    cli(server, "tokens", "revoke", str(token_id(token_hash(secret))))


def every_byte_under(directory: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in directory.rglob("*") if path.is_file()}


@pytest.fixture
def running(fresh_server: Server) -> Server:
    fresh_server.env["LIANFANG_LOG_LEVEL"] = "DEBUG"  # the chattiest the server gets
    return fresh_server.start()


def use(server: Server, secret: str, near_miss: str) -> None:
    """Every way a token travels: header on reads and writes, query parameter on the live feed, and near misses."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        auth = {"Authorization": f"Bearer {secret}"}
        assert client.post("/api/v1/incidents", json={"kind": "cluster", "title": "发热", "location": IN_DONGSHAN},
                           headers={**auth, "Idempotency-Key": key()}).status_code in (201, 403)  # observers only read
        assert client.get("/api/v1/map", headers=auth).status_code == 200
        assert client.get("/api/v1/events", headers=auth).status_code == 200
        assert client.post("/api/v1/incidents", json={"kind": "?"}, headers=auth).status_code == 422
        for wrong in (near_miss, secret + "x", secret.upper()):
            assert client.get("/api/v1/map", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
        assert client.get("/api/v1/map", headers={"Authorization": secret}).status_code == 401  # no scheme

    async def feed() -> None:
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/api/v1/live?access_token={secret}", max_size=None) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "snapshot"
        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(f"ws://127.0.0.1:{server.port}/api/v1/live?access_token={near_miss}"):
                pass

    asyncio.run(feed())


def test_only_hashes_are_stored_and_no_secret_is_ever_logged(running: Server) -> None:
    server = running
    secrets = [create(server, "commander"), create(server, "observer")]
    for secret in secrets:
        use(server, secret, near_miss=secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    revoke(server, secrets[1])
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/api/v1/map", headers={"Authorization": f"Bearer {secrets[1]}"}).status_code == 401
    listed = cli(server, "tokens", "list")
    server.stop()  # flush everything a clean stop writes

    files = every_byte_under(server.data_dir)
    assert any(p.name.startswith("events.sqlite") for p in files) and any("projections" in p.parts for p in files)
    for secret in secrets:
        digest = hashlib.sha256(secret.encode()).hexdigest().encode()
        holding = [p.name for p, content in files.items() if secret.encode() in content]
        assert holding == [], f"the secret is stored in {holding}"
        assert any(digest in content for content in files.values()), "the hash is stored: the search looked in the right place"
        assert secret not in server.output(), "the secret is in the server's log"
        assert secret not in listed


async def watch_until_closed(port: int, secret: str, opened: asyncio.Event, timeout: float) -> tuple[int | None, float]:
    """Receive on the live feed until the server closes it; the close code and when."""
    async with websockets.connect(f"ws://127.0.0.1:{port}/api/v1/live", max_size=None, ping_interval=None,
                                  additional_headers={"Authorization": f"Bearer {secret}"}) as ws:
        assert json.loads(await ws.recv())["type"] == "snapshot"
        opened.set()
        try:
            while True:
                await asyncio.wait_for(ws.recv(), timeout)
        except websockets.ConnectionClosed as closed:
            return (closed.rcvd.code if closed.rcvd else None), time.monotonic()


def test_a_token_revoked_by_the_cli_fails_at_once_on_http_and_on_an_open_busy_feed(running: Server) -> None:
    server = running
    with httpx.Client(base_url=server.url, timeout=30) as client:
        world = World.build(server, client)
        incident = world.incident()["id"]
        viewer = create(server, "field", world.units["dongshan"])

        async def scenario() -> tuple[int | None, float, float]:
            opened, busy = asyncio.Event(), True
            watching = asyncio.create_task(watch_until_closed(server.port, viewer, opened, timeout=15))
            await asyncio.wait_for(opened.wait(), 15)

            async def keep_posting() -> None:  # deltas keep coming: the feed is never idle
                async with httpx.AsyncClient(base_url=server.url, timeout=30) as poster:
                    while busy:
                        await poster.post(f"/api/v1/incidents/{incident}/reports", json={"new": {"close_contacts": 1}},
                                          headers={"Authorization": f"Bearer {world.commander.token}"})
                        await asyncio.sleep(0.05)

            posting = asyncio.create_task(keep_posting())
            await asyncio.sleep(1.0)
            await asyncio.to_thread(revoke, server, viewer)
            revoked_at = time.monotonic()
            async with httpx.AsyncClient(base_url=server.url) as client_after:
                answers = await asyncio.gather(*(client_after.get("/api/v1/map", headers={"Authorization": f"Bearer {viewer}"})
                                                 for _ in range(10)))
            assert [a.status_code for a in answers] == [401] * 10  # the very next requests
            code, closed_at = await watching
            busy = False
            await posting
            return code, closed_at, revoked_at

        code, closed_at, revoked_at = asyncio.run(scenario())
    assert code == 4401, code
    assert closed_at - revoked_at < 2.5, f"the feed stayed open {closed_at - revoked_at:.1f}s after the revocation"
