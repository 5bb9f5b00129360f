"""JSON bodies that parse but cannot be meant are refused with 422 before any route sees them.

Python's parser accepts what RFC 8259 leaves undefined or forbids: duplicate keys (the last one
silently wins), NaN and Infinity, numbers no other system can hold, unpaired surrogates that no
UTF-8 store can keep, and nesting deep enough to exhaust the stack. Each of those is refused
here (called by api/front.py) with a detail that says what to fix; a body that does not parse at all is
left to the route, which answers its own 422.
"""
from __future__ import annotations

import email.message
import functools
import json
from typing import Any

import orjson
from starlette.types import Scope, Send

from api.problems import bounded

MAX_DEPTH = 32
MAX_INT = 2**63 - 1
OFF_LOOP_BYTES = 16 * 1024  # a body this small is checked in well under a millisecond


class Unmeant(ValueError):
    """A body that parses but cannot be meant."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for name, value in pairs:
        if name in seen:
            raise Unmeant(f"the key {name!r} appears twice in one object; send each key once")
        seen[name] = value
    return seen


class _Unmeant:
    """A number the parser met that no one can mean; reported with the field it is in."""

    def __init__(self, why: str) -> None:
        self.why = why


def _constant(name: str) -> Any:
    return _Unmeant(f"{name} is not a JSON number; send a finite number")


def _integer(text: str) -> Any:
    # Measured before converting: Python refuses to read more than 4,300 digits (a ValueError, not a number).
    value = int(text) if len(text.lstrip("-")) <= 19 else MAX_INT + 1
    if abs(value) > MAX_INT:
        return _Unmeant(f"the number {text[:30]}{'…' if len(text) > 30 else ''} is too large; whole numbers fit in 64 bits")
    return value


def _real(text: str) -> Any:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        return _Unmeant(f"the number {text[:30]} is too large to be a finite number")
    return value


def check(body: bytes) -> None:
    """Raise Unmeant if `body` parses as JSON but holds something no one can mean."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unmeant(f"the body is not valid UTF-8 (byte {error.start}); send JSON encoded as UTF-8") from None
    try:
        parsed = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_int=_integer,
                            parse_float=_real)
    except RecursionError:
        raise Unmeant(f"the body is nested too deeply; at most {MAX_DEPTH} levels") from None
    except json.JSONDecodeError:
        return  # not JSON at all: the route says so
    stack: list[tuple[Any, int, str]] = [(parsed, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise Unmeant(f"the body is nested too deeply; at most {MAX_DEPTH} levels")
            items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
            for name, item in items:
                if isinstance(name, str):
                    _text(name)
                stack.append((item, depth + 1, f"{path}.{name}" if path else str(name)))
        elif isinstance(value, str):
            _text(value)
        elif isinstance(value, _Unmeant):
            raise Unmeant(f"{path or 'body'}: {value.why}")


def _text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise Unmeant(f"a string holds an unpaired surrogate (\\u{ord(value[error.start]):04x}); "
                      "send text as UTF-8 or as surrogate pairs") from None


def content_types(scope: Scope) -> list[bytes]:
    return [value for name, value in scope.get("headers") or [] if name.lower() == b"content-type"]


@functools.lru_cache(maxsize=64)  # a client sends the same Content-Type on every request
def is_json(given: bytes | None) -> bool:
    """JSON by its media type (the request's only Content-Type), read as FastAPI reads it (through
    `email.message`), or by default when none is given (as FastAPI may parse it)."""
    if not given:
        return True
    message = email.message.Message()
    message["content-type"] = given.decode("latin-1")
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


async def refuse(send: Send, scope: Scope, detail: str) -> None:
    body = orjson.dumps({"type": "about:blank", "title": "Invalid input", "status": 422, "detail": bounded(detail),
                         "instance": scope.get("path")})
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
