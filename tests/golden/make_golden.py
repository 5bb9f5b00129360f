"""Write the golden store: run once, by the code of the day, and commit what it writes.

    .venv/bin/python tests/golden/make_golden.py

It plays a bundled drill into a store, serves that store, adds what the drill does not (tokens issued and revoked,
an alert issued and updated, a CAP import, a zone lifted, an incident closed), then records the answers the server
gave (map, ledger, board and audit trail as of one moment) beside the store's event file. `test_golden_store.py`
holds every later version of the code to those answers. Never re-run it to make a failing test pass: a store that
a county wrote must keep opening with the same answers.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.append(str(HERE.parent))

from api.tokens import list_tokens, revoke_token  # noqa: E402
from golden.answers import AT, answers  # noqa: E402
from reliability.served import Api, Server, key  # noqa: E402

STORE = HERE / "store"
DRILL = ROOT / "scenarios" / "multi-township-outbreak.yaml"
CAP = ROOT / "tests" / "api" / "cap_examples" / "a2_severe_thunderstorm_warning.xml"
SQUARE = {"type": "Polygon", "coordinates": [[[104.10, 30.66], [104.12, 30.66], [104.12, 30.68], [104.10, 30.68],
                                               [104.10, 30.66]]]}


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="lianfang-golden-"))
    drill = scratch / "drill"
    subprocess.run([str(Path(sys.executable).parent / "lianfang"), "drill", "run", str(DRILL), "--store", str(drill)], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    data = scratch / "var"
    data.mkdir()
    _copy_sqlite(drill / "events.sqlite", data / "events.sqlite")
    shutil.copy(drill / "geography.geojson", scratch / "geography.geojson")
    server = Server(data, scratch / "serve.log", geography=str(scratch / "geography.geojson")).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            _more(server, client)
            reader = server.token("observer", name="golden-reader")
            server.caught_up()
            got = answers(client, reader)
    finally:
        server.stop()
    if STORE.exists():
        shutil.rmtree(STORE)
    STORE.mkdir()
    _copy_sqlite(data / "events.sqlite", STORE / "events.sqlite")
    shutil.copy(scratch / "geography.geojson", STORE / "geography.geojson")
    (STORE / "reader-token.txt").write_text(reader + "\n")  # an observer's token on this test store only
    (HERE / "answers.json").write_text(json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    print(f"golden store: {STORE} ({got['head']} events); answers as of {AT}")


def _copy_sqlite(source: Path, target: Path) -> None:
    """A whole SQLite database, its write-ahead log included, as one file."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    with sqlite3.connect(target) as dst:
        dst.execute("PRAGMA journal_mode=DELETE")


def _more(server: Server, client: httpx.Client) -> None:
    commander = Api(client, server.token("commander", name="golden-commander"))
    server.token("observer", name="golden-revoked")
    revoke_token(server.settings, next(t["id"] for t in list_tokens(server.settings) if t["name"] == "golden-revoked"))
    incidents = commander.get("/incidents").json()["incidents"]
    first = incidents[0]
    alert = commander.created("/alerts", {"headline": "东山镇发热聚集疫情预警", "severity": "Severe", "urgency": "Expected",
                                          "certainty": "Likely", "area": SQUARE, "incident": first["id"],
                                          "description": "请居民减少聚集，出现发热症状及时就诊。",
                                          "expires": (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()})
    commander.created(f"/alerts/{alert['id']}/update", {"headline": "东山镇发热聚集疫情预警（更新）", "severity": "Moderate",
                                                       "urgency": "Expected", "certainty": "Likely"})
    response = client.post("/api/v1/alerts/cap", content=CAP.read_bytes(),
                           headers={**commander.headers(), "Content-Type": "application/xml", "Idempotency-Key": key()})
    assert response.status_code in (200, 201), response.text
    zones = [f for f in commander.get("/map").json()["features"] if f["properties"]["kind"] == "zone"]
    if zones:
        commander.created(f"/zones/{zones[0]['properties']['id']}/lift", {"reason": "连续14天无新增"})
    commander.created(f"/incidents/{first['id']}/close", {"reason": "疫情处置完毕"})


if __name__ == "__main__":
    main()
