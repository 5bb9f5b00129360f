"""Token administration for the CLI: create (printed once), list, revoke; each is an event."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from api.auth import new_secret
from domain.access import Token, token_hash
from domain.application import Coordination
from domain.base import Meta
from domain.commands import Command
from domain.errors import DomainError
from domain.application.eventstore import store_env
from domain.application.settings import Settings
from domain.unit import Unit
from domain.application.writer import execute

CLI = Meta(actor="cli", role="commander", source="system", actor_name="lianfang CLI")


@contextmanager
def open_store(settings: Settings) -> Iterator[Coordination]:
    """The event store, closed (with its connections) when the block ends."""
    app = Coordination(store_env(settings))
    try:
        yield app
    finally:
        app.close()


def find_unit(app: Coordination, unit: str) -> str:
    try:
        return str(UUID(unit))
    except ValueError:
        pass
    topic = f"{Unit.__module__}:{Unit.UnitRegistered.__qualname__}"
    matches = [str(n.originator_id) for n in app.recorder.select_notifications(1, 1_000_000, topics=[topic])
               if app.mapper.to_domain_event(n).name == unit]
    if len(matches) != 1:
        raise SystemExit(f"no single unit named {unit!r} ({len(matches)} found); pass its id")
    return matches[0]


def create_token(settings: Settings, *, role: str, unit: str | None, name: str | None) -> str:
    with open_store(settings) as app:
        return issue_token(app, role=role, unit=unit, name=name)


def issue_token(app: Coordination, *, role: str, unit: str | None, name: str | None) -> str:
    """A new token's secret (shown once); only its hash is stored, in a TokenIssued event."""
    secret = new_secret()
    args: dict[str, Any] = {"secret_hash": token_hash(secret), "role": role, "name": name}
    if unit:
        args["unit"] = find_unit(app, unit)
    try:
        execute(app, Command("issue_token", CLI, args))
    except DomainError as error:
        raise SystemExit(f"cannot create the token: {error.detail}") from None
    return secret


def list_tokens(settings: Settings) -> list[dict[str, Any]]:
    with open_store(settings) as app:
        return _tokens_of(app)


def _tokens_of(app: Coordination) -> list[dict[str, Any]]:
    topic = f"{Token.__module__}:{Token.TokenIssued.__qualname__}"
    rows = []
    for n in app.recorder.select_notifications(1, 1_000_000, topics=[topic]):
        token = app.repository.get(n.originator_id)
        rows.append({"id": str(token.id), "role": token.role, "unit": token.unit, "name": token.name,
                     "state": "revoked" if token.revoked else "active"})
    return rows


def revoke_token(settings: Settings, token_id: str) -> None:
    with open_store(settings) as app:
        try:
            execute(app, Command("revoke_token", CLI, {}, target=token_id))
        except DomainError as error:
            raise SystemExit(f"cannot revoke: {error.detail}") from None


def skip_event(settings: Settings, position: int, reason: str) -> int | None:
    """Record an operator's decision to skip the event at `position`, attributed to this login (source cli)."""
    import getpass

    user = getpass.getuser()
    meta = Meta(actor=f"cli:{user}", role="commander", source="cli", actor_name=user)
    with open_store(settings) as app:
        try:
            return execute(app, Command("skip_event", meta, {"position": position, "reason": reason})).position
        except DomainError as error:
            raise SystemExit(f"cannot skip: {error.detail}") from None
