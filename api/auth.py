"""Bearer tokens: looked up by their hash (the secret is never stored), checked on every request."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from api.problems import Problem
from domain.access import token_hash

TOKEN_PREFIX = "lf_"


@dataclass(frozen=True)
class Actor:
    id: str
    role: str
    unit: str | None
    name: str | None


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authenticate(app: object, secret: str | None) -> Actor:
    if not secret or len(secret) > 200:
        raise Problem(401, "Unauthorized", "send Authorization: Bearer <token>; create one with `lianfang tokens create`",
                      headers={"WWW-Authenticate": "Bearer"})
    digest = token_hash(secret)
    token = app.find_token(digest)  # type: ignore[attr-defined]
    # The lookup is by hash; compare again in constant time so timing says nothing about near misses.
    if token is None or not hmac.compare_digest(token.secret_hash, digest) or token.revoked:
        raise Problem(401, "Unauthorized", "this token is unknown or revoked", headers={"WWW-Authenticate": "Bearer"})
    return Actor(str(token.id), token.role, token.unit, token.name)
