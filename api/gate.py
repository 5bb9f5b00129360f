"""Authentication before the body: a request that carries a body is refused with 401 before one byte of it
is read, unless it comes with a valid token (or goes to one of the few endpoints open without one).

A sender with no token can then cost the server the headers it sends, never the parsing of a megabyte of
JSON. The actor found here is kept in the request's state, so the route does not look it up again.
"""
from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import Actor, bearer, check_token
from api.problems import PROBLEM, Problem, is_storage_failure
from domain.application.failures import FAILURES

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
        except Exception as error:
            if not is_storage_failure(error):
                raise
            # The token cannot be checked while the store is away: 503 now, not a second try in the route (each
            # waits up to a second for a connection; a command then waited ~5 s for its 503).
            FAILURES.failed("store access from requests", error, f"e.g. token check for {scope['method']} {path}: 503")
            await _refuse(send, path, Problem(503, "Store unavailable", "the store could not be reached to check "
                                              "this token (database unreachable); nothing was stored: retry with the "
                                              "same Idempotency-Key", headers={"Retry-After": "2"}))
            return
        scope.setdefault("state", {})["actor"] = actor
        await self.app(scope, receive, send)


async def _actor(scope: Scope, secret: str | None) -> Actor:
    rt = scope["app"].state.runtime
    return await check_token(rt.app, secret, rt.tokens)


async def _refuse(send: Send, path: str, problem: Problem) -> None:
    body = orjson.dumps({"type": "about:blank", "title": problem.title, "status": problem.status,
                         "detail": problem.detail, "instance": path})
    headers = [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]  # the unread body stays unread: this connection cannot carry another request
    headers += [(name.lower().encode(), value.encode()) for name, value in (problem.headers or {}).items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
