"""Enrolment codes: minted here (CLI, demo, county setup's sheets, POST /enrolments), redeemed by a device."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from api.tokens import CLI, find_unit, open_store
from domain.access import token_hash
from domain.application import Coordination
from domain.base import Meta
from domain.commands import Command
from domain.errors import DomainError
from domain.application.settings import Settings
from domain.application.writer import execute

CODE_PREFIX = "en_"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Enrolment:
    """A minted code: shown once (only its hash is stored), and when it stops working."""

    code: str
    expires_at: datetime

    def link(self, base_url: str, *, phone: bool = True) -> str:
        """`…/m/#enrol=CODE` for the phone page, `…/#enrol=CODE` for the desktop map: the code in the fragment,
        which browsers never send to a server."""
        return f"{base_url.rstrip('/')}{'/m/' if phone else '/'}#enrol={self.code}"


def new_code() -> str:
    return CODE_PREFIX + secrets.token_urlsafe(18)


def parse_duration(text: str) -> timedelta:
    """`90m`, `12h`, `7d` (s, m, h or d)."""
    match = _DURATION.match(text or "")
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration: write it as a number and s, m, h or d (e.g. 12h, 7d)")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def offer_args(code: str, *, role: str, unit: str | None, name: str | None, expires_at: datetime) -> dict[str, Any]:
    args: dict[str, Any] = {"code_hash": token_hash(code), "role": role, "name": name, "expires_at": expires_at.isoformat()}
    if unit:
        args["unit"] = unit
    return args


def mint_enrolment(app: Coordination, *, role: str, unit: str | None = None, name: str | None = None,
                   expires: timedelta | None = None, settings: Settings | None = None, meta: Meta = CLI,
                   signal: Any = None) -> Enrolment:
    """Mint one one-time enrolment code and record its offer (an EnrolmentOffered event holding only its hash).

    `role`: commander, unit, field or observer; `unit`: the unit's id or unique name (needed for unit and field);
    `name`: the person or team, shown on the token; `expires`: how long the code stays valid (default: the
    setting `enrol_code_hours`); `signal`: a running server's commit signal (its
    feed then sees the offer at once). Raises DomainError (bad role, unknown unit) or SystemExit (no single unit of that
    name). Returns the code and its expiry; `.link(base_url)` is the sign-in link to print. The code is never
    logged; print it, or put it on the sheet, and forget it."""
    settings = settings or Settings()
    expires = expires or timedelta(hours=settings.enrol_code_hours)
    code = new_code()
    expires_at = app.clock.now() + expires
    unit_id = find_unit(app, unit) if unit else None
    execute(app, Command("offer_enrolment", meta, offer_args(code, role=role, unit=unit_id, name=name, expires_at=expires_at)), signal)
    return Enrolment(code, expires_at)


def enrol(settings: Settings, *, role: str, unit: str | None, name: str | None, expires: str | None) -> Enrolment:
    """`lianfang tokens enrol`: one code, in its own store session."""
    try:
        duration = parse_duration(expires) if expires else None
    except ValueError as error:
        raise SystemExit(str(error)) from None
    with open_store(settings) as app:
        try:
            return mint_enrolment(app, role=role, unit=unit, name=name, expires=duration, settings=settings)
        except DomainError as error:
            raise SystemExit(f"cannot make the enrolment code: {error.detail}") from None
