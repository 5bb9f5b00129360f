"""Enrolment: a unit or the commander makes a one-time code; a device exchanges it for its own token."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import new_secret
from api.deps import ActorDep, RuntimeDep, _committed, submit
from api.enrolments import new_code, offer_args
from domain.access import token_hash
from domain.base import Meta
from domain.commands import Command

router = APIRouter(prefix="/enrolments", tags=["enrolments"])

Text = Annotated[str, Field(min_length=1, max_length=200)]


class OfferEnrolment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Annotated[str, Field(max_length=20)]
    unit: Text | None = None
    name: Annotated[str, Field(max_length=100)] | None = None


class Redeem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Text
    device: Annotated[str, Field(min_length=1, max_length=100, description="this device's own id, kept across sign-ins")]


@router.post("", status_code=201)
async def offer_enrolment(body: OfferEnrolment, request: Request, rt: RuntimeDep, actor: ActorDep) -> Any:
    """Make a one-time enrolment code (commander: any role; a unit: its own members). The code is in this answer
    only; its link is `…/m/#enrol=CODE`."""
    code = new_code()
    expires_at = rt.app.clock.now() + timedelta(hours=rt.settings.enrol_code_hours)
    unit = body.unit if body.unit is not None else (actor.unit if actor.role == "unit" else None)
    args = offer_args(code, role=body.role, unit=unit, name=body.name, expires_at=expires_at)
    answer = await submit(request, rt, actor, "offer_enrolment", None, created=True, extra=args)
    return _with(answer, code=code, expires_at=expires_at.isoformat(), link=f"{_base(request)}/m/#enrol={code}")


@router.post("/redeem", status_code=201, responses={410: {"description": "the code is unknown, used or expired: ask for a new one"}})
async def redeem(body: Redeem, request: Request, rt: RuntimeDep) -> Any:
    """Exchange an enrolment code, once and before it expires, for this device's own token (410 when the code is
    used or expired). Open without a token."""
    secret = new_secret()
    # A token's expiry is checked on the wall clock (api/auth.py), also on a drill store served mid-run, whose own
    # clock is the drill's: from whichever is later, so that it lasts its days in both.
    expires_at = max(datetime.now(timezone.utc), rt.app.clock.now()) + timedelta(days=rt.settings.device_token_days)
    meta = Meta(actor=f"enrolment:{body.device}"[:200], role="enrolment", source="api", device=body.device)
    args = {"code_hash": token_hash(body.code), "device": body.device, "secret_hash": token_hash(secret),
            "token_expires_at": expires_at.isoformat()}
    receipt = await _committed(rt, rt.writer.submit(Command("redeem_enrolment", meta, args)))
    token = rt.app.find_token(token_hash(secret))
    return JSONResponse({**receipt.as_dict(), "token": secret, "role": token.role, "unit": token.unit,
                         "name": token.name, "device": token.device, "expires_at": token.expires_at}, status_code=201)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _with(answer: JSONResponse, **more: Any) -> JSONResponse:
    import orjson

    body = {**orjson.loads(answer.body), **more}
    return JSONResponse(body, status_code=answer.status_code, headers={k: v for k, v in answer.headers.items()
                                                                        if k.lower() not in ("content-length", "content-type")})
