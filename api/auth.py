"""Bearer tokens: looked up by their hash (the secret is never stored), checked on every request."""
from __future__ import annotations

import asyncio
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from api.problems import Problem
from domain.access import token_hash

TOKEN_PREFIX = "lf_"
# A checked token is trusted this long before the store is read again: a revocation made by any process
# counts within this even when this process's read side is behind (its TokenRevoked drops it sooner).
TOKEN_TRUST_SECONDS = 0.5


@dataclass(frozen=True)
class Actor:
    id: str
    role: str
    unit: str | None
    name: str | None
    device: str | None = None  # set for a token given to a device for an enrolment code


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class TokenCache:
    """Tokens already checked, by hash, each trusted for TOKEN_TRUST_SECONDS. This process's projections
    see every TokenRevoked and drop the token at once; the expiry bounds the wait when they lag."""

    def __init__(self, trust_seconds: float = TOKEN_TRUST_SECONDS) -> None:
        self._actors: dict[str, tuple[float, Actor]] = {}
        self._revoked: set[str] = set()  # so a check racing with a revocation cannot re-admit it
        self._trust = trust_seconds
        self._lock = threading.Lock()
        self.checking: dict[str, asyncio.Future[Actor]] = {}  # store reads under way, by hash (event loop only)

    def actor(self, digest: str) -> Actor | None:
        known = self._actors.get(digest)
        return known[1] if known is not None and time.monotonic() - known[0] < self._trust else None

    def remember(self, digest: str, actor: Actor, checked_at: float) -> None:
        with self._lock:
            if actor.id in self._revoked:
                return
            if len(self._actors) > 10_000:
                self._actors.clear()
            self._actors[digest] = (checked_at, actor)

    def forget(self, token_id: str) -> None:
        with self._lock:
            self._revoked.add(token_id)
            self._actors = {d: known for d, known in self._actors.items() if known[1].id != token_id}


def authenticate(app: object, secret: str | None, cache: TokenCache | None = None) -> Actor:
    if not secret or len(secret) > 200:
        raise Problem(401, "Unauthorized", "send Authorization: Bearer <token>; create one with `lianfang tokens create`",
                      headers={"WWW-Authenticate": "Bearer"})
    digest = token_hash(secret)
    if cache is not None and (known := cache.actor(digest)) is not None:
        return known
    checked_at = time.monotonic()  # before the read: the trust runs from what the store said then
    token = app.find_token(digest)  # type: ignore[attr-defined]
    # The lookup is by hash; compare again in constant time so timing says nothing about near misses.
    if token is None or not hmac.compare_digest(token.secret_hash, digest) or token.revoked:
        raise Problem(401, "Unauthorized", "this token is unknown or revoked", headers={"WWW-Authenticate": "Bearer"})
    if token.expired(datetime.now(timezone.utc)):
        raise Problem(401, "Unauthorized", "this device's sign-in has expired; sign in again with a new enrolment code",
                      headers={"WWW-Authenticate": "Bearer"})
    actor = Actor(str(token.id), token.role, token.unit, token.name, token.device)
    if cache is not None:
        cache.remember(digest, actor, checked_at)
    return actor


async def check_token(app: object, secret: str | None, cache: TokenCache) -> Actor:
    """The token's actor, from the cache or read from the store off the event loop, one read per token at a time:
    requests that arrive with a token while it is being read wait for that read. (Reads of one token queue behind
    each other in the store's repository; while the database is away each waited its second, and the last of three
    senders sharing a token got its 503 after three.)"""
    if not secret or len(secret) > 200:
        return authenticate(app, secret, cache)  # refused at once, no store read
    digest = token_hash(secret)
    if (known := cache.actor(digest)) is not None:
        return known
    pending = cache.checking.get(digest)
    if pending is None:
        pending = asyncio.ensure_future(asyncio.to_thread(authenticate, app, secret, cache))
        cache.checking[digest] = pending
        pending.add_done_callback(lambda _done: cache.checking.pop(digest, None))
    return await asyncio.shield(pending)
