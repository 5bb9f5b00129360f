"""The one ASGI layer in front of the routes: what five middlewares did, in the same order, one call deep.

For every HTTP request, outermost first:
1. security headers on every answer (api/headers.py `policy`), and the request counted and timed (api/metrics.py);
2. authentication before the body (api/gate.py): a body-carrying request to the API is refused with 401
   before one byte of its body is read, unless its token is valid;
3. the body limit (api/limits.py): more than `max_bytes`, declared or streamed, is 413 before anything parses it;
4. the JSON guard (api/json_guard.py): a POST/PUT/PATCH body that parses but cannot be meant is 422.

The body is read once (when a request has one to read) and handed on whole to the route.
"""
from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import gate, json_guard, limits
from api.auth import bearer
from api.headers import security_headers
from api.metrics import LATENCY, REQUESTS
from api.problems import Problem

GUARDED = frozenset(("POST", "PUT", "PATCH"))  # the methods whose JSON bodies the guard checks


class Front:
    def __init__(self, app: ASGIApp, max_bytes: int, tile_url: str | None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.headers = security_headers(tile_url)
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500
        ours, names = self.headers, self.names

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                given = list(message.get("headers", []))
                present = {name.lower() for name, _ in given} & names
                message["headers"] = given + ([h for h in ours if h[0] not in present] if present else ours)
            await send(message)

        try:
            await self._serve(scope, receive, answer)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], path, str(status)).inc()
            LATENCY.labels(scope["method"], path).observe(time.perf_counter() - started)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        method, path = scope["method"], scope.get("path", "")
        if method in gate.WITH_BODY and path.startswith(gate.API) and path not in gate.OPEN:
            length = b"0" if declared is None else declared
            if length.isdigit() and int(length) <= self.max_bytes:  # else refused unread just below, by its header
                secret = bearer(headers.get(b"authorization", b"").decode("latin-1") or None)
                try:
                    scope.setdefault("state", {})["actor"] = await gate.actor(scope, secret)
                except Problem as problem:
                    await gate.refuse(send, path, problem)
                    return
                except Exception as error:  # noqa: BLE001  the store is away: 503 (anything else is raised)
                    await gate.refuse(send, path, gate.unavailable(scope, path, error))
                    return
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await limits.refuse(send, self.max_bytes)
            return
        # Chunked bodies say nothing in advance: count what arrives, before anything parses it.
        received: list[Message] = []
        body = b""
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            body = body + chunk if body else chunk
            if len(body) > self.max_bytes:
                await limits.refuse(send, self.max_bytes)
                return
            if not message.get("more_body", False):
                break
        if method in GUARDED:
            if await _unmeant(scope, send, body):
                return

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await self.app(scope, replay, send)


async def _unmeant(scope: Scope, send: Send, body: bytes) -> bool:
    """Refuse (422) a body that is JSON but cannot be meant, or comes with several Content-Types; True if refused."""
    types = json_guard.content_types(scope)
    if len(types) > 1:  # readers differ on which one counts: refuse rather than guess
        await json_guard.refuse(send, scope, "the request has several Content-Type headers; send one (application/json)")
        return True
    if not json_guard.is_json(types[0] if types else None):
        return False
    try:
        if len(body) > json_guard.OFF_LOOP_BYTES:  # parsing and walking a large body takes long: never on the event loop
            await asyncio.to_thread(json_guard.check, body)
        else:
            json_guard.check(body)
    except json_guard.Unmeant as error:
        await json_guard.refuse(send, scope, str(error))
        return True
    return False
