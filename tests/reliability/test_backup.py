"""Backup under load, restore into an empty store: the same map, nothing acknowledged lost, the audit trail verifies.

`lianfang backup` runs while senders post field reports; the backup's manifest names its log position P.
The restored server's log must be exactly the source's first P events, its map must equal a rebuild of
the source's log cut at P, every report acknowledged before the backup began must be there, and
`lianfang audit verify` must pass on the restored store. A non-empty target is refused (exit 2).
"""
from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.application.eventstore import EVENTS_FILE
from reliability.rebuild import rebuild_from_zero
from reliability.served import IN_DONGSHAN, LIANFANG, Process, Server, World, by_key, clean_env, key, read_log

pytestmark = pytest.mark.integration
SENDERS = 3


class Senders:
    """Field reporters posting keyed reports until stopped; each ack noted with its monotonic time."""

    def __init__(self, server: Server, token: str, incident: str) -> None:
        self.server, self.token, self.incident = server, token, incident
        self.acked: list[tuple[float, str]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self.run()), daemon=True)

    async def send(self, client: httpx.AsyncClient) -> None:
        while not self.stop.is_set():
            k = key()
            response = await client.post(f"/api/v1/incidents/{self.incident}/reports", headers={
                "Authorization": f"Bearer {self.token}", "Idempotency-Key": k},
                json={"new": {"confirmed": 1, "close_contacts": 2}, "position": IN_DONGSHAN})
            if response.status_code in (200, 201):
                self.acked.append((time.monotonic(), k))

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.server.url, timeout=30) as client:
            await asyncio.gather(*(self.send(client) for _ in range(SENDERS)))

    def wait_for(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < n:
            assert time.monotonic() < deadline, f"only {len(self.acked)} reports acknowledged"
            time.sleep(0.02)


def lianfang(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LIANFANG, *args], env=clean_env(**settings), capture_output=True, text=True, timeout=120)


def cut_at(events_file: Path, position: int, scratch: Path) -> Path:
    """A copy of a stopped store's log holding only its first `position` events."""
    scratch.mkdir()
    with sqlite3.connect(events_file) as src, sqlite3.connect(scratch / EVENTS_FILE) as dst:
        src.backup(dst)  # with what its write-ahead log holds: a file copy would miss what is not checkpointed yet
    with sqlite3.connect(scratch / EVENTS_FILE) as db:
        db.execute("DELETE FROM stored_events WHERE rowid > ?", (position,))
    return scratch


def test_backup_under_load_restores_the_same_map_and_a_verified_audit_trail(fresh_server: Server, tmp_path: Path) -> None:
    source = fresh_server.start()
    with httpx.Client(base_url=source.url, timeout=60) as client:
        world = World.build(source, client)
        incident = world.incident()["id"]
        senders = Senders(source, world.field_tokens["dongshan"], incident)
        senders.thread.start()
        try:
            senders.wait_for(30)
            began = time.monotonic()
            taken = lianfang("backup", str(tmp_path / "backup"), data_dir=str(source.data_dir))
            senders.wait_for(len(senders.acked) + 10)  # the senders went on past the backup
        finally:
            senders.stop.set()
            senders.thread.join(30)
        assert taken.returncode == 0, taken.stderr
        source_log = read_log(client, world.commander.token)
    source.stop()

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    position = manifest["position"]
    assert manifest["mode"] == "embedded" and manifest["events"] == position
    assert 0 < position < len(source_log), "the backup must land while the senders are writing"
    before = [k for at, k in senders.acked if at < began]

    refused = lianfang("restore", str(tmp_path / "backup"), data_dir=str(source.data_dir))
    assert refused.returncode == 2 and "not empty" in refused.stderr and "Traceback" not in refused.stderr

    restored_dir = tmp_path / "restored"
    done = lianfang("restore", str(tmp_path / "backup"), data_dir=str(restored_dir))
    assert done.returncode == 0, done.stderr
    restored = Server(restored_dir, tmp_path / "restored.log", log_level="INFO").start()
    try:
        head = restored.caught_up()
        assert head == position
        with httpx.Client(base_url=restored.url, timeout=60) as client:
            restored_log = read_log(client, world.commander.token)  # tokens are events: they came back too
            assert restored_log == source_log[:position]
            keys = {k for _, k in by_key(restored_log)}
            assert not [k for k in before if k not in keys], "a report acknowledged before the backup is missing"
            shown = client.get("/api/v1/map", params={"min_position": head},
                               headers={"Authorization": f"Bearer {world.commander.token}"}).json()
        expected = rebuild_from_zero(settings_for(cut_at(source.data_dir / EVENTS_FILE, position, tmp_path / "cut")),
                                     tmp_path / "cut-audit.sqlite")
        assert expected.head == position
        assert shown["position"] == position
        assert shown["counts"] == expected.map.counts()
        assert shown["features"] == expected.map.feature_collection()["features"]
    finally:
        restored.stop()
    verified = lianfang("audit", "verify", data_dir=str(restored_dir))
    assert verified.returncode == 0 and f"ok: {position} events verified" in verified.stdout, verified


def settings_for(data_dir: Path):  # noqa: ANN201, N802
    from domain.application.settings import Settings

    return Settings(_env_file=None, data_dir=data_dir)


def test_restore_refuses_a_damaged_backup_and_bad_arguments(tmp_path: Path) -> None:
    shutil.copytree(Path(__file__).parent.parent / "golden" / "store", tmp_path / "store")
    assert lianfang("backup", str(tmp_path / "b"), data_dir=str(tmp_path / "store")).returncode == 0
    again = lianfang("backup", str(tmp_path / "b"), data_dir=str(tmp_path / "store"))
    assert again.returncode == 2 and "not empty" in again.stderr
    missing = lianfang("restore", str(tmp_path / "nowhere"), data_dir=str(tmp_path / "r"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    with open(tmp_path / "b" / EVENTS_FILE, "r+b") as f:
        f.seek(200)
        f.write(b"\x00tampered")
    damaged = lianfang("restore", str(tmp_path / "b"), data_dir=str(tmp_path / "r"))
    assert damaged.returncode == 2 and "sha256" in damaged.stderr
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


def test_scaleout_backup_under_load_restores_into_an_empty_database(postgres_server: Any, tmp_path: Path) -> None:
    from servers import start_redis

    source_dsn, target_dsn = postgres_server.create_database(), postgres_server.create_database()
    with start_redis(tmp_path / "redis") as redis:
        deployments = []

        def deploy(name: str, dsn: str) -> Server:
            settings = {"database_url": dsn, "redis_url": redis.url}
            worker = Process(["projections", "run"], clean_env(data_dir=str(tmp_path / name), **settings),
                             tmp_path / f"{name}-worker.log")
            worker.spawn()
            server = Server(tmp_path / name, tmp_path / f"{name}.log", **settings).start()
            deployments.extend([server, worker])
            return server

        try:
            source = deploy("source", source_dsn)
            with httpx.Client(base_url=source.url, timeout=60) as client:
                world = World.build(source, client)
                senders = Senders(source, world.field_tokens["dongshan"], world.incident()["id"])
                senders.thread.start()
                try:
                    senders.wait_for(30)
                    began = time.monotonic()
                    taken = lianfang("backup", str(tmp_path / "backup"), database_url=source_dsn)
                    senders.wait_for(len(senders.acked) + 10)
                finally:
                    senders.stop.set()
                    senders.thread.join(30)
                assert taken.returncode == 0, taken.stderr
                source_log = read_log(client, world.commander.token)
            manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
            position = manifest["position"]
            assert manifest["mode"] == "scaleout" and "Redis" in manifest["note"]
            assert 0 < position < len(source_log)
            before = [k for at, k in senders.acked if at < began]

            refused = lianfang("restore", str(tmp_path / "backup"), database_url=source_dsn)
            assert refused.returncode == 2 and "not empty" in refused.stderr and "Traceback" not in refused.stderr
            done = lianfang("restore", str(tmp_path / "backup"), database_url=target_dsn)
            assert done.returncode == 0, done.stderr

            restored = deploy("restored", target_dsn)
            assert restored.caught_up() == position
            with httpx.Client(base_url=restored.url, timeout=60) as client:
                restored_log = read_log(client, world.commander.token)
                assert restored_log == source_log[:position]
                keys = {k for _, k in by_key(restored_log)}
                assert not [k for k in before if k not in keys], "a report acknowledged before the backup is missing"
                shown = client.get("/api/v1/map", params={"min_position": position},
                                   headers={"Authorization": f"Bearer {world.commander.token}"}).json()
            expected = rebuild_from_zero(restored.settings, tmp_path / "rebuilt-audit.sqlite")
            assert expected.head == position
            assert shown["counts"] == expected.map.counts()
            assert shown["features"] == expected.map.feature_collection()["features"]
            deadline = time.monotonic() + 30
            while True:  # the restored worker chains the audit trail up to the restored head
                verified = lianfang("audit", "verify", data_dir=str(tmp_path / "restored"), database_url=target_dsn)
                if f"ok: {position} events verified" in verified.stdout or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert verified.returncode == 0 and f"ok: {position} events verified" in verified.stdout, verified
        finally:
            for process in reversed(deployments):
                process.kill()
