"""Access tokens: issued and revoked as events, stored only as a hash."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import Meta, Thing
from domain.errors import InvalidInput, Refused
from domain.values import ROLES, text_of

TOKEN_NAMESPACE = uuid5(NAMESPACE_URL, "https://lianfang.example/tokens")


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_id(secret_hash: str) -> UUID:
    """A token is found by its hash alone, so the secret is never stored or looked up."""
    return uuid5(TOKEN_NAMESPACE, secret_hash)


class Token(Thing):
    class TokenIssued(Thing.Created):
        secret_hash: str
        role: str
        unit: str | None
        name: str | None
        device: str | None = None  # a token given to one device by an enrolment code
        expires_at: str | None = None

    class TokenRevoked(Thing.Event):
        def apply(self, token: Token) -> None:
            token.revoked = True

    def __init__(self, secret_hash: str, role: str, unit: str | None, name: str | None,
                 device: str | None = None, expires_at: str | None = None) -> None:
        self.secret_hash = secret_hash
        self.role = role
        self.unit = unit
        self.name = name
        self.device = device
        self.expires_at = expires_at
        self.revoked = False

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= datetime.fromisoformat(self.expires_at)

    @classmethod
    def issue(cls, meta: Meta, *, secret_hash: str, role: Any, unit: str | None = None, name: Any = None) -> Token:
        meta.check_role("commander", doing="issuing a token")
        if role not in ROLES:
            raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if role in ("unit", "field") and not unit:
            raise InvalidInput(f"a {role} token needs --unit: the unit it acts for")
        return cls.begin(
            cls.TokenIssued, token_id(secret_hash), meta, secret_hash=secret_hash, role=role,
            unit=unit, name=text_of(name, "name", required=False, max_len=100),
        )

    @classmethod
    def enrol(cls, meta: Meta, *, secret_hash: str, role: str, unit: str | None, name: str | None,
              device: Any, expires_at: datetime) -> Token:
        """A device's own token, given for a redeemed enrolment code (the code was the authority)."""
        return cls.begin(
            cls.TokenIssued, token_id(secret_hash), meta, secret_hash=secret_hash, role=role, unit=unit, name=name,
            device=text_of(device, "device", max_len=100), expires_at=expires_at.isoformat(),
        )

    def revoke(self, meta: Meta) -> None:
        meta.check_role("commander", doing="revoking a token")
        if self.revoked:
            raise Refused("this token is already revoked")
        self.happen(self.TokenRevoked, meta)
