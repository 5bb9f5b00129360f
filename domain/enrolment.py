"""Enrolment codes: a one-time, short-lived code a person exchanges for a per-device token.

The code itself is never stored: an offer is found by the code's hash, as a token is."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import Meta, Thing
from domain.errors import InvalidInput, NotPermitted, Refused
from domain.values import ROLES, text_of

ENROLMENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://lianfang.example/enrolments")


class CodeGone(Refused):
    """The enrolment code was used already, or has expired (HTTP 410)."""

    title = "Enrolment code gone"


def enrolment_id(code_hash: str) -> UUID:
    return uuid5(ENROLMENT_NAMESPACE, code_hash)


class Enrolment(Thing):
    class EnrolmentOffered(Thing.Created):
        code_hash: str
        role: str
        unit: str | None
        name: str | None
        expires_at: str

    class EnrolmentRedeemed(Thing.Event):
        token: str
        device: str

        def apply(self, enrolment: Enrolment) -> None:
            enrolment.redeemed_by = self.token

    class EnrolmentWithdrawn(Thing.Event):
        def apply(self, enrolment: Enrolment) -> None:
            enrolment.withdrawn = True

    def __init__(self, code_hash: str, role: str, unit: str | None, name: str | None, expires_at: str) -> None:
        self.code_hash = code_hash
        self.role = role
        self.unit = unit
        self.name = name
        self.expires_at = expires_at
        self.redeemed_by: str | None = None
        self.withdrawn = False

    @classmethod
    def offer(cls, meta: Meta, *, code_hash: str, role: Any, unit: str | None, name: Any, expires_at: datetime) -> Enrolment:
        """A commander offers any role; a unit offers codes only for its own members (unit or field)."""
        if role not in ROLES:
            raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if role in ("unit", "field") and not unit:
            raise InvalidInput(f"a {role} enrolment needs a unit: the unit its person acts for")
        if meta.role == "unit":
            if role not in ("unit", "field") or unit != meta.unit:
                raise NotPermitted("a unit enrols only its own members (role unit or field, its own unit)")
        elif meta.role != "commander":
            raise NotPermitted(f"making an enrolment code needs the role commander or unit; this token's role is {meta.role}")
        return cls.begin(
            cls.EnrolmentOffered, enrolment_id(code_hash), meta, code_hash=code_hash, role=role, unit=unit,
            name=text_of(name, "name", required=False, max_len=100), expires_at=expires_at.isoformat(),
        )

    def redeem(self, meta: Meta, *, token: str, device: str, now: datetime) -> None:
        """Used once, before it expires; either way a second try is told the code is gone."""
        if self.redeemed_by is not None:
            raise CodeGone("this enrolment code was used already; ask for a new one")
        if self.withdrawn:
            raise CodeGone("this enrolment code was withdrawn; ask for a new one")
        if now >= datetime.fromisoformat(self.expires_at):
            raise CodeGone("this enrolment code has expired; ask for a new one")
        self.happen(self.EnrolmentRedeemed, meta, token=token, device=device)

    def withdraw(self, meta: Meta) -> None:
        """An unused code stops working (its person left); a used one is undone by revoking its token."""
        meta.check_role("commander", doing="withdrawing an enrolment code")
        if self.redeemed_by is not None:
            raise Refused("this enrolment code was used already; revoke the token it gave instead")
        if self.withdrawn:
            raise Refused("this enrolment code is already withdrawn")
        self.happen(self.EnrolmentWithdrawn, meta)
