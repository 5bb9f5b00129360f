"""`drill run --via URL --token T`: send each inject through the HTTP API, as field apps and desks do.

Kept simple on purpose: every actor uses the one commander token given, unless `--token ACTOR=TOKEN`
names a token for that actor (a unit's claims and answers need the unit's own token: units the server
already has under the same name are reused, so tokens can be made for them first). Each request
carries `X-Request-Id: drill-<run>-<inject>` and the same `Idempotency-Key`, so a retry records nothing
twice. The server stamps its own wall-clock time: `due`, `answer_by` and `expires` are placed at the
drill's wall-clock start plus their offset, and time-driven task colours match the scenario's
expectations only when it runs at --speed 1.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from domain.command_catalogue import BY_NAME, COMMANDS
from scenarios.loader import Actor, Scenario
from scenarios.runner import Drill, DrillReport, Progress, RefusedByTarget
from scenarios.store import DrillStoreError, new_run_id

API = "/api/v1"
# Where each verb goes: its command's route (the catalogue's).
PATHS = {c.verb: c.route for c in COMMANDS if c.verb and c.route}


def parse_tokens(values: list[str]) -> tuple[str, dict[str, str]]:
    """`T` is the default (commander) token; `ACTOR=T` is one actor's own."""
    default, own = None, {}
    for value in values:
        actor, sep, token = value.partition("=")
        if sep and not actor.startswith("lf_"):
            own[actor] = token
        else:
            default = value
    if default is None:
        raise ValueError("--via needs a commander token: --token T (and optionally --token ACTOR=T per actor)")
    return default, own


class HttpTarget:
    def __init__(self, client: httpx.Client, default: str, own: dict[str, str], run: str, start: datetime) -> None:
        self.client, self.default, self.own, self.run, self.start = client, default, own, run, start
        self.last_position = 0

    def _post(self, path: str, token: str, body: dict[str, Any], correlation: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}", "X-Request-Id": correlation, "Idempotency-Key": correlation}
        response = self.client.post(API + path, json=body, headers=headers)
        if response.status_code >= 400:
            raise RefusedByTarget(f"HTTP {response.status_code}: {_detail(response)}")
        answer = response.json()
        self.last_position = max(self.last_position, answer.get("position") or 0)
        return answer

    def register_units(self, units: list[Actor]) -> dict[str, str]:
        """Units the server already knows by name are reused (their tokens name them); the rest are registered."""
        listed = self.client.get(f"{API}/units", headers={"Authorization": f"Bearer {self.default}"})
        if listed.status_code >= 400:
            raise RefusedByTarget(f"HTTP {listed.status_code}: {_detail(listed)}")
        known = {u["name"]: u["id"] for u in listed.json()["units"]}
        ids = {}
        for n, unit in enumerate(units, start=1):
            if unit.name in known:
                ids[unit.id] = known[unit.name]
                continue
            body = {k: v for k, v in {"name": unit.name, "kind": unit.kind, "jurisdiction": unit.jurisdiction}.items() if v}
            ids[unit.id] = self._post(BY_NAME["register_unit"].route.path, self.default, body, f"drill-{self.run}-unit-{n}")["id"]
        return ids

    def declare_kinds(self, kinds: dict[str, dict[str, tuple[str, str]]]) -> None:
        raise ValueError("this scenario declares kinds of its own (kinds: in its header); those go into a drill "
                              "store of its own (`lianfang drill run FILE`), not into a running server: a county adds "
                              "kinds to its live catalogue with `lianfang setup`")

    def time_of(self, offset: timedelta) -> str:
        return (self.start + offset).isoformat()

    def submit(self, name: str, actor: Actor, unit: str | None, args: dict[str, Any], target: str | None, correlation: str) -> str:
        path = PATHS[name].to(target)
        return self._post(path, self.own.get(actor.id, self.default), args, correlation)["id"]

    def advance(self, moment: datetime) -> None:
        """The server keeps its own clock."""

    def observe(self, moment: datetime) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.default}"}
        params = {"min_position": self.last_position}
        situation = self.client.get(f"{API}/map", params=params, headers=headers)
        ledger = self.client.get(f"{API}/ledger", params=params, headers=headers)
        for response in (situation, ledger):
            if response.status_code >= 400:
                raise RefusedByTarget(f"HTTP {response.status_code}: {_detail(response)}")
        return {**situation.json()["counts"], "tasks": ledger.json()["colours"]}


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail") or response.text)
    except ValueError:
        return response.text[:500]


def run_via(scenario: Scenario, client: httpx.Client, tokens: list[str], *, speed: float | None = None,
            on_step: Callable[[Progress], None] | None = None) -> DrillReport:
    default, own = parse_tokens(tokens)
    check_drill_server(client)
    run = new_run_id()
    start = datetime.now(scenario.start.tzinfo)
    return Drill(scenario, HttpTarget(client, default, own, run, start), run, speed, on_step).run()


def check_drill_server(client: httpx.Client) -> None:
    """Drills never reach the live store: the server must be serving a drill store (its data dir has drill.json)."""
    config = client.get("/api/v1/config").json()
    if not config.get("drill"):
        raise DrillStoreError(
            f"the server at {client.base_url} serves a live store; a drill goes only to a drill store "
            "(a data directory with drill.json, e.g. one made by `lianfang drill run --store DIR`)"
        )
