"""Authentication before the body: a request that carries a body is refused with 401 before one byte of it
is read, unless it comes with a valid token (or goes to one of the few endpoints open without one).

A sender with no token can then cost the server the headers it sends, never the parsing of a megabyte of
JSON. The actor found here (api/front.py asks) is kept in the request's state, so the route does not look
it up again.
"""
from __future__ import annotations

import orjson
from starlette.types import Scope, Send

from api.auth import Actor, check_token
from api.problems import PROBLEM, Problem, is_storage_failure
from domain.application.failures import FAILURES

API = "/api/v1/"
WITH_BODY = frozenset(("POST", "PUT", "PATCH", "DELETE"))
# Endpoints a person reaches before holding a token (exchanging an enrolment code for one).
OPEN = frozenset(("/api/v1/enrolments/redeem",))


async def actor(scope: Scope, secret: str | None) -> Actor:
    rt = scope["app"].state.runtime
    return await check_token(rt.app, secret, rt.tokens)


def unavailable(scope: Scope, path: str, error: Exception) -> Problem:
    """The token cannot be checked while the store is away: 503 now, not a second try in the route (each waits
    up to a second for a connection; a command then waited ~5 s for its 503). Any other error is raised."""
    if not is_storage_failure(error):
        raise error
    FAILURES.failed("store access from requests", error, f"e.g. token check for {scope['method']} {path}: 503")
    return Problem(503, "Store unavailable", "the store could not be reached to check this token (database "
                   "unreachable); nothing was stored: retry with the same Idempotency-Key", headers={"Retry-After": "2"})


async def refuse(send: Send, path: str, problem: Problem) -> None:
    body = orjson.dumps({"type": "about:blank", "title": problem.title, "status": problem.status,
                         "detail": problem.detail, "instance": path})
    headers = [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]  # the unread body stays unread: this connection cannot carry another request
    headers += [(name.lower().encode(), value.encode()) for name, value in (problem.headers or {}).items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
