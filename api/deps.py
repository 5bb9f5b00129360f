"""Dependencies of the routes: the runtime, the authenticated actor, command submission."""
from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from api.auth import Actor, bearer, check_token
from api.problems import Problem
from api.runtime import Runtime
from api.unit_names import named_units
from domain.base import Meta
from domain.commands import Command
from domain.text import checked_text


async def get_runtime(request: Request) -> Runtime:  # async: a sync dependency costs a thread hop per request
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_actor(request: Request, rt: RuntimeDep, authorization: Annotated[str | None, Header()] = None) -> Actor:
    """The token's actor: checked by the gate already (api/gate.py), or a moment ago (the token cache), or
    read from the store now, off the event loop (the only case that costs a thread hop)."""
    known = getattr(request.state, "actor", None)
    if known is not None:
        return known
    return await check_token(rt.app, bearer(authorization), rt.tokens)


ActorDep = Annotated[Actor, Depends(get_actor)]


def if_match(value: str | None) -> int | None:
    if value is None:
        return None
    cleaned = value.strip().removeprefix("W/").strip('"')
    if not cleaned.isdigit():
        raise Problem(422, "Invalid input", f"If-Match must be the thing's version number, e.g. \"3\", not {value!r}")
    return int(cleaned)


WRITE_WAIT_SECONDS = 2.0  # while the store takes no writes, a command waits this long, then 503, withdrawn


async def _committed(rt: Runtime, future: Any) -> Any:
    """The command's receipt; a 503 (nothing stored) if the store is failing and it has not started by then."""
    waiting = asyncio.wrap_future(future)
    while True:
        try:
            return await asyncio.wait_for(asyncio.shield(waiting), WRITE_WAIT_SECONDS)
        except TimeoutError:
            if rt.writer.struggling() and future.cancel():
                raise Problem(503, "Store unavailable", "the event store is not taking writes right now (database "
                              "unreachable or disk full); nothing was stored: retry with the same Idempotency-Key",
                              headers={"Retry-After": "2"}) from None
            # A slow but working store, or the commit is under way: its outcome comes within the store's deadline.


async def submit(
    request: Request, rt: Runtime, actor: Actor, name: str, body: Any = None, *, target: str | None = None,
    target_field: str | None = None, created: bool = False, extra: dict[str, Any] | None = None,
    source: str = "api",
) -> JSONResponse:
    """Hand the command to the writer (which checks the policy) and answer only after its commit.

    `source` is where the command came from for the record (`import` for a CAP import)."""
    args = body.model_dump(exclude_unset=True, mode="json") if body is not None else {}
    expected = args.pop("expected_version", None)
    header_version = if_match(request.headers.get("if-match"))
    if header_version is not None and expected is not None and header_version != expected:
        raise Problem(422, "Invalid input", f"If-Match says version {header_version} but expected_version says {expected}; send one of them")
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 200:
        raise Problem(422, "Invalid input", "Idempotency-Key must be 1 to 200 characters")
    for header in ("idempotency-key", "x-request-id"):  # recorded with the event: the same text rule as any field
        if request.headers.get(header) is not None:
            checked_text(request.headers[header], header.title())
    args.update(extra or {})
    await named_units(rt, name, args)  # a unit named by its name: its id
    request.state.target_field = target_field
    meta = Meta(actor=actor.id, role=actor.role, unit=actor.unit, actor_name=actor.name, source=source, device=actor.device,
                correlation_id=(request.headers.get("x-request-id") or "")[:200] or None, idempotency_key=key,
                drill_run=(rt.drill or {}).get("run"))
    version = header_version if header_version is not None else expected
    command = Command(name, meta, args, target=target, expected_version=version, idempotency_key=key)
    receipt = await _committed(rt, rt.writer.submit(command))
    answer = receipt.as_dict()
    headers = {"ETag": f'"{receipt.version}"'}
    if created:
        headers["Location"] = f"{request.url.path.rstrip('/')}/{answer['id']}"
    return JSONResponse(answer, status_code=201 if created else 200, headers=headers)


async def caught_up(rt: Runtime, min_position: int | None, *, audit: bool = False) -> None:
    """Read your writes: wait (bounded) until every read model the answer draws from has reached `min_position`.

    The map and the ledger are followed in this process; `audit=True` for answers that also read the audit
    trail, which in scale-out mode the projection worker writes (another process, at its own pace)."""
    if min_position is None:
        return
    if min_position > rt.projections.position:
        head = await asyncio.to_thread(rt.app.recorder.max_notification_id) or 0
        if min_position > head:  # no commit has that position yet: waiting cannot help
            raise Problem(422, "Invalid input", f"min_position {min_position} is beyond the last position of the log "
                          f"({head}); pass the position a command answered")
        reached = await asyncio.to_thread(rt.projections.wait_for, min_position, rt.settings.read_wait_seconds)
        if not reached:
            raise Problem(503, "Read model behind", f"the read model is at position {rt.projections.position}, "
                          f"not yet {min_position}; retry shortly", headers={"Retry-After": "1"})
    if audit:
        await audit_caught_up(rt, min_position)


async def audit_caught_up(rt: Runtime, min_position: int) -> None:
    """The audit trail may be written by another process (scale-out): wait for it too, bounded."""
    trail = rt.projections.audit
    deadline = asyncio.get_running_loop().time() + rt.settings.read_wait_seconds
    while True:
        await asyncio.to_thread(trail.refresh)
        if trail.position >= min_position:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise Problem(503, "Read model behind", f"the audit trail is at position {trail.position}, not yet "
                          f"{min_position}; retry shortly", headers={"Retry-After": "1"})
        await asyncio.sleep(0.02)
