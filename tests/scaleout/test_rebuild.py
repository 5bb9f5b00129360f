"""`lianfang projections rebuild` in scale-out mode: it rebuilds the read models in PostgreSQL, which the API serves."""
from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import cli
from api.main import create_app
from api.tokens import create_token
from domain.application.settings import Settings
from projections.readmodel import decoded, encoded
from modes import projection_worker

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
INCIDENT = {"kind": "cluster", "title": "幼儿园发热聚集", "location": [104.06, 30.67], "counts": {"confirmed": 3}}


def tracked(dsn: str, name: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as db:
        row = db.execute("SELECT notification_id FROM lf_read_tracking WHERE application_name=%s", (name,)).fetchone()
    return row[0] if row else 0


def served(settings: Settings, token: str) -> tuple[list[str], list[int]]:
    """What a freshly started API process serves: the incidents on its map, and the audit trail's positions."""
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings)) as client:
        features = client.get("/api/v1/map", headers=headers).json()["features"]
        audit = client.get("/api/v1/audit", params={"limit": 1000}, headers=headers).json()
    incidents = [f["properties"]["title"] for f in features if f["properties"].get("kind") == "incident"]
    return incidents, [e["position"] for e in audit["entries"]]


def test_a_rebuild_rewrites_the_postgresql_read_models_and_the_api_then_serves_them(tmp_path: Path, postgres_dsn: str) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url=postgres_dsn)
    token = create_token(settings, role="commander", unit=None, name="指挥中心")
    # An incident reported through the API; the projection worker writes the read models to PostgreSQL.
    with projection_worker(settings):
        with TestClient(create_app(settings)) as client:
            answer = client.post("/api/v1/incidents", json=INCIDENT, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 201
            position = answer.json()["position"]
        deadline = time.monotonic() + 30
        while tracked(postgres_dsn, "situation_map") < position and time.monotonic() < deadline:
            time.sleep(0.05)
    assert tracked(postgres_dsn, "situation_map") >= position
    assert served(settings, token) == (["幼儿园发热聚集"], list(range(1, position + 1)))
    # The stored read models go wrong (a projection bug, a hand edit): the map loses the incident, the audit trail its rows.
    with psycopg.connect(postgres_dsn, autocommit=True) as db:
        for row_position, state in db.execute("SELECT position, state FROM lf_checkpoints_situation_map").fetchall():
            saved = decoded(state)
            saved["state"]["incidents"] = {}
            db.execute("UPDATE lf_checkpoints_situation_map SET state=%s WHERE position=%s", (encoded(saved), row_position))
        db.execute("DELETE FROM lf_audit")
    assert served(settings, token) == ([], [])
    # Rebuilt from position 0 with the workers stopped: PostgreSQL holds the right read models, and the API serves them.
    env = {"LIANFANG_DATABASE_URL": postgres_dsn, "LIANFANG_DATA_DIR": str(settings.data_dir)}
    result = CliRunner().invoke(cli, ["projections", "rebuild"], env=env)
    assert result.exit_code == 0, result.output
    assert not list((settings.data_dir / "projections").glob("*.v*.sqlite"))  # nothing written that nobody reads
    with psycopg.connect(postgres_dsn, autocommit=True) as db:
        latest = db.execute("SELECT state FROM lf_checkpoints_situation_map ORDER BY position DESC LIMIT 1").fetchone()[0]
        audit_rows = db.execute("SELECT count(*) FROM lf_audit").fetchone()[0]
        leftovers = db.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE '%%rebuilt'").fetchone()[0]
    assert [i["title"] for i in decoded(latest)["state"]["incidents"].values()] == ["幼儿园发热聚集"]
    assert (audit_rows, leftovers) == (position, 0)
    assert served(settings, token) == (["幼儿园发热聚集"], list(range(1, position + 1)))


def test_a_rebuild_is_refused_while_a_projection_worker_writes_the_read_models(tmp_path: Path, postgres_dsn: str) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url=postgres_dsn)
    env = {"LIANFANG_DATABASE_URL": postgres_dsn, "LIANFANG_DATA_DIR": str(settings.data_dir)}
    with projection_worker(settings, tables=("lf_audit",)):
        deadline = time.monotonic() + 30
        while not _lock_held(postgres_dsn) and time.monotonic() < deadline:
            time.sleep(0.05)
        result = CliRunner().invoke(cli, ["projections", "rebuild"], env=env)
    assert result.exit_code == 2
    assert "stop `lianfang projections run` first" in result.output


def _lock_held(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as db:
        return bool(db.execute("SELECT count(*) FROM pg_locks WHERE locktype='advisory' AND granted").fetchone()[0])
