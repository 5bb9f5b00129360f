"""A store written by earlier code opens, rebuilds to the same answers and verifies, after every change.

The store and its answers were written once by `make_golden.py` (at commit 300e987) and are never regenerated:
a change that alters what an old store means (a renamed event topic, a new required field, another transcoder,
a read model that counts differently) fails here.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from golden.answers import answers
from reliability.served import LIANFANG, Server, clean_env

HERE = Path(__file__).resolve().parent
GOLDEN = json.loads((HERE / "answers.json").read_text())


@pytest.fixture
def store(tmp_path: Path) -> Path:
    data = tmp_path / "var"
    data.mkdir()
    shutil.copy(HERE / "store" / "events.sqlite", data / "events.sqlite")
    shutil.copy(HERE / "store" / "geography.geojson", tmp_path / "geography.geojson")
    return data


def served_answers(data: Path) -> dict[str, Any]:
    server = Server(data, data.parent / "serve.log", geography=str(data.parent / "geography.geojson")).start()
    try:
        server.caught_up()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            return answers(client, (HERE / "store" / "reader-token.txt").read_text().strip())
    finally:
        server.stop()


def lianfang(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(data_dir=str(data), geography=str(data.parent / "geography.geojson"))
    return subprocess.run([LIANFANG, *args], env=env, capture_output=True, text=True, timeout=120)


def differences(old: Any, new: Any, where: str = "") -> list[str]:
    """Where `new` says something else than `old`: every field `old` had keeps its value; answers may grow new fields."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [d for k, v in old.items() for d in (differences(v, new[k], f"{where}.{k}") if k in new
                                                    else [f"{where}.{k} is gone"])]
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{where} has {len(new)} items, not {len(old)}"]
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in differences(a, b, f"{where}[{i}]")]
    return [] if old == new else [f"{where}: {new!r}, not {old!r}"]


def assert_same(got: dict[str, Any]) -> None:
    found = differences(GOLDEN, got)
    assert not found, "the golden store's answers changed:\n" + "\n".join(found[:20])


def test_the_golden_store_opens_with_the_answers_it_gave(store: Path) -> None:
    assert_same(served_answers(store))


def test_the_golden_store_rebuilds_to_the_same_answers_and_verifies(store: Path) -> None:
    first = served_answers(store)  # read models written by this code, then thrown away and rebuilt from 0
    rebuilt = lianfang(store, "projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert_same(served_answers(store))
    assert first == served_answers(store)
    verified = lianfang(store, "audit", "verify")
    assert verified.returncode == 0 and f"{GOLDEN['head']} events verified" in verified.stdout, verified.stdout + verified.stderr
