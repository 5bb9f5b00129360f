"""Stores to measure against: a small seeded one (units, incidents, tokens), and the scale-out cluster.

Seeding runs through the same write path as the server (`domain.application.writer.execute`), before the server
starts, so the measured run starts from a known position.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.common import Process, fresh_dir, projection_worker, serve

TITLES = ("城关街道幼儿园发热聚集", "金马镇小学腹泻聚集", "河西村不明原因发热", "东街社区流感样病例聚集")


VIEWER_TOKENS = 200  # 5,000 viewers (P3): 25 feeds a token, within the default live_per_token (32)


@dataclass
class Seeded:
    commander: str
    field: str
    incidents: list[str]
    viewers: list[str]  # observer tokens for the bench's live viewers, each holding at most live_per_token feeds


def seed(settings, incidents: int = 20) -> Seeded:  # noqa: ANN001  (a domain.application.settings.Settings)
    """A commander and a field token (its unit covers the whole county), and open incidents."""
    from api.auth import new_secret
    from domain.access import token_hash
    from domain.application import Coordination
    from domain.base import Meta
    from domain.commands import Command
    from domain.application.eventstore import store_env
    from domain.application.writer import execute
    from projections.geography import Geography

    app = Coordination(store_env(settings))
    county = Geography.load(settings.geography_file).root()
    admin = Meta(actor="bench", role="commander", source="system", actor_name="bench")
    unit = execute(app, Command("register_unit", admin, {"name": "县疾控中心", "kind": "department", "jurisdiction": county.code}))
    secrets = {}
    for role, unit_id in (("commander", None), ("field", str(unit.id))):
        secrets[role] = new_secret()
        args = {"secret_hash": token_hash(secrets[role]), "role": role, "name": f"bench {role}", "unit": unit_id}
        execute(app, Command("issue_token", admin, {k: v for k, v in args.items() if v}))
    viewers = []
    for n in range(VIEWER_TOKENS):
        viewers.append(new_secret())
        execute(app, Command("issue_token", admin, {"secret_hash": token_hash(viewers[-1]), "role": "observer",
                                                    "name": f"bench wall {n}"}))
    field = Meta(actor="bench-field", role="field", unit=str(unit.id), actor_name="采样一组")
    ids = []
    for n in range(incidents):
        where = [104.02 + 0.01 * (n % 8), 30.66 + 0.01 * (n // 8 % 5)]
        args = {"kind": "cluster", "title": TITLES[n % len(TITLES)], "location": where, "counts": {"suspected": 1}}
        ids.append(str(execute(app, Command("report_incident", field, args)).id))
    app.close()
    return Seeded(secrets["commander"], secrets["field"], ids, viewers)


@contextlib.contextmanager
def scale_out(name: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """PostgreSQL (fsync on) and Redis of our own, and the LIANFANG_* settings that select them."""
    from servers import start_postgres, start_redis

    base = fresh_dir(name)
    with start_postgres(base / "pg") as pg, start_redis(base / "redis") as redis:
        yield base, {"LIANFANG_DATABASE_URL": pg.dsn, "LIANFANG_REDIS_URL": redis.url}


@contextlib.contextmanager
def lianfang(name: str, scaled: bool, incidents: int = 20) -> Iterator[tuple[Process, Seeded, dict]]:
    """A seeded Lianfang server: embedded (SQLite, in-process fan-out) or scale-out (PostgreSQL, Redis, a
    projection worker, and a second API process as `info["other"]`, for viewers on another process)."""
    from domain.application.settings import Settings

    if not scaled:
        base = fresh_dir(name)
        seeded = seed(Settings(data_dir=base / "var"), incidents)
        with serve(base / "var") as server:
            yield server, seeded, {"mode": "embedded"}
        return
    with scale_out(name) as (base, cluster):
        settings = Settings(data_dir=base / "var", database_url=cluster["LIANFANG_DATABASE_URL"])
        seeded = seed(settings, incidents)
        with projection_worker(base / "var", cluster), serve(base / "var", cluster) as server, \
                serve(base / "var", cluster) as other:
            yield server, seeded, {"mode": "scale-out", "other": other, **cluster}
