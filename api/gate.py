"""Authentication before the body: a request that carries a body is refused with 401 before one byte of it
is read, unless it comes with a valid token (or goes to one of the few endpoints open without one).

A sender with no token can then cost the server the headers it sends, never the parsing of a megabyte of
JSON. The actor found here is kept in the request's state, so the route does not look it up again.
"""
from __future__ import annotations

import asyncio

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Actor, authenticate, bearer
from api.problems import PROBLEM, Problem
from domain.access import token_hash

API = "/api/v1/"
WITH_BODY = frozenset(("POST", "PUT", "PATCH", "DELETE"))
# Endpoints a person reaches before holding a token (exchanging an enrolment code for one).
OPEN = frozenset(("/api/v1/enrolments/redeem",))


class AuthenticateFirst:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] not in WITH_BODY or not path.startswith(API) or path in OPEN:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:  # BodyLimit refuses it unread, by its header
            await self.app(scope, receive, send)
            return
        secret = bearer(headers.get(b"authorization", b"").decode("latin-1") or None)
        try:
            actor = await _actor(scope, secret)
        except Problem as problem:
            await _refuse(send, path, problem)
            return
        except Exception:  # noqa: BLE001  the token store cannot be read: the route answers as it does then (503)
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["actor"] = actor
        await self.app(scope, receive, send)


async def _actor(scope: Scope, secret: str | None) -> Actor:
    rt = scope["app"].state.runtime
    if secret and len(secret) <= 200:
        known = rt.tokens.actor(token_hash(secret))  # checked a moment ago: no store read
        if known is not None:
            return known
    return await asyncio.to_thread(authenticate, rt.app, secret, rt.tokens)


async def _refuse(send: Send, path: str, problem: Problem) -> None:
    body = orjson.dumps({"type": "about:blank", "title": problem.title, "status": problem.status,
                         "detail": problem.detail, "instance": path})
    headers = [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]  # the unread body stays unread: this connection cannot carry another request
    headers += [(name.lower().encode(), value.encode()) for name, value in (problem.headers or {}).items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
