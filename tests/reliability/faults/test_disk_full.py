"""A full disk under load, embedded mode (the data directory on a small tmpfs): see bench/faults_disk.py."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.faults_disk import EmbeddedDeployment, disk_full, small_disk

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "disk") as mounted:
        if mounted is None:
            pytest.skip("mounting a tmpfs needs root or password-less sudo on this machine")
        yield mounted


def test_a_full_disk_refuses_commands_with_503_serves_reads_and_recovers_when_space_returns(tmp_path: Path, disk: Path) -> None:
    deployment = EmbeddedDeployment(tmp_path, disk / "var").start()
    try:
        found = disk_full(deployment, disk, full_seconds=3)
    finally:
        deployment.close()
    print(found)
    assert found["acknowledged"] == found["stored_once"] > 0, found
    assert found["acknowledged_lost"] == 0 and found["stored_twice"] == 0 and found["refused_503_but_stored"] == 0, found
    assert found["refused_503_not_stored"] > 0, found  # the disk really was full under the load
    # Every request got an answer: a storage failure once escaped to the outermost middleware, which answered and
    # then closed the connection, so the client's next request on it got no answer at all.
    assert found["no_answer"] == 0 and found["status_500"] == 0 and found["other_5xx"] == 0, found
    assert found["command_answers_while_full"] == ["503 Retry-After 2"], found
    assert found["healthz_ok_while_full"] == [False], found
    assert any(p.startswith("disk full") for p in found["healthz_problems_while_full"]), found
    assert found["map_status_while_full"] == [200], found  # reads that need no write keep answering
    assert found["processes_alive"] == {"api": True}, found
