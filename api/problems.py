"""Errors as RFC 9457 problem+json, with a detail a person can act on. No input gives a 500."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.enrolment import CodeGone
from domain.errors import DomainError, IdempotencyKeyReused, InvalidInput, NotFound, NotPermitted, Refused, StaleVersion

log = logging.getLogger("lianfang.api")
PROBLEM = "application/problem+json"


class ProblemDocument(BaseModel):
    """RFC 9457 problem details: every error the API answers has this shape."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = Field(None, description="per-field messages of a 422")


_SCHEMA = ProblemDocument.model_json_schema()
_ANSWERED = {401: "no token, or an unknown or revoked one", 403: "the token's role, unit or jurisdiction does not allow it",
             404: "no such thing", 409: "stale version, a state that does not allow it, or an Idempotency-Key reused",
             413: "request body too large", 422: "malformed input", 503: "the store or the read model is not ready; retry"}
# Documented on every API operation, so clients (and schema-driven tests) know errors are problem+json.
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": why, "content": {PROBLEM: {"schema": _SCHEMA}}} for status, why in _ANSWERED.items()
}


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers, self.extra = status, title, detail, headers, extra


def bounded(text: str, limit: int = 240) -> str:
    """A detail cut to about 200 characters, its head and its tail (which says what to do) kept: a refusal
    never echoes a whole hostile input back."""
    if len(text) <= limit:
        return text
    head, tail = limit - 100, 60
    return f"{text[:head]} …({len(text) - head - tail} characters left out)… {text[-tail:]}"


def problem(status: int, title: str, detail: str, request: Request | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    if isinstance(extra.get("errors"), list):
        extra["errors"] = [{k: bounded(v, 200) if isinstance(v, str) else v for k, v in e.items()} if isinstance(e, dict) else e
                           for e in extra["errors"]]
    body = {"type": "about:blank", "title": title, "status": status, "detail": bounded(detail), **extra}
    if request is not None:
        body["instance"] = request.url.path
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def status_of(error: DomainError, target_field: str | None = None) -> int:
    if isinstance(error, NotPermitted):
        return 403
    if isinstance(error, NotFound):
        return 404 if error.field is not None and error.field == target_field else 422
    if isinstance(error, InvalidInput):
        return 422
    if isinstance(error, CodeGone):
        return 410
    if isinstance(error, (StaleVersion, IdempotencyKeyReused, Refused)):
        return 409
    return 409


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, error: Problem) -> JSONResponse:
        return problem(error.status, error.title, error.detail, request, error.headers, **error.extra)

    @app.exception_handler(DomainError)
    async def on_domain_error(request: Request, error: DomainError) -> JSONResponse:
        target = getattr(request.state, "target_field", None)
        return problem(status_of(error, target), error.title, error.detail, request)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [_field_error(e) for e in error.errors()]
        detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors[:5]) or "invalid request"
        return problem(422, "Invalid input", detail, request, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:  # FastAPI's answer to a body it cannot even decode (bad UTF-8, nesting too deep)
            return problem(422, "Invalid input", "body: not a JSON document (UTF-8 JSON, nested at most a few hundred levels)",
                           request, errors=[{"field": "body", "message": "not decodable as JSON"}])
        titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized", 403: "Forbidden"}
        return problem(error.status_code, titles.get(error.status_code, "Error"), str(error.detail), request,
                       headers=getattr(error, "headers", None))

    async def on_storage(request: Request, error: Exception) -> JSONResponse:
        from domain.application.failures import FAILURES

        # one line per interval while the store is away, not a traceback per request
        FAILURES.failed("store access from requests", error, f"e.g. {request.method} {request.url.path}: 503")
        return problem(503, "Store unavailable", "the store could not be reached or written (database unreachable "
                       "or disk full); nothing was acknowledged, so retry with the same Idempotency-Key",
                       request, headers={"Retry-After": "2"})

    # Handled by type, inside the middlewares: a handler for Exception runs in the outermost middleware, which
    # re-raises after answering, and the server then closes the connection (a keep-alive client's next request
    # on it got no answer at all).
    for storage_error in storage_errors():
        app.add_exception_handler(storage_error, on_storage)

    @app.exception_handler(Exception)
    async def on_bug(request: Request, error: Exception) -> JSONResponse:
        if is_storage_failure(error):
            return await on_storage(request, error)
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "Server error",
                       "the server could not complete this request; nothing was acknowledged, so retry with the same Idempotency-Key",
                       request, headers={"Retry-After": "1"})


def _field_error(error: dict[str, Any]) -> dict[str, str]:
    """The dotted field a validation error is about; a JSON syntax error is about the body, at a character."""
    location = [str(p) for p in error.get("loc", ()) if p != "body"]
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        at = f" at character {location[0]}" if location else ""
        return {"field": "body", "message": f"not valid JSON: {reason}{at}".rstrip()}
    return {"field": ".".join(location), "message": error.get("msg", "")}


def storage_errors() -> tuple[type[Exception], ...]:  # imported late: psycopg is heavy
    import sqlite3

    import psycopg
    from eventsourcing.persistence import PersistenceError

    return (PersistenceError, psycopg.Error, sqlite3.OperationalError)


def is_storage_failure(error: Exception) -> bool:
    return isinstance(error, storage_errors())
