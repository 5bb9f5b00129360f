"""Errors as RFC 9457 problem+json, with a detail a person can act on. No input gives a 500."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import DomainError, IdempotencyKeyReused, InvalidInput, NotFound, NotPermitted, Refused, StaleVersion

log = logging.getLogger("lianfang.api")
PROBLEM = "application/problem+json"


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers, self.extra = status, title, detail, headers, extra


def problem(status: int, title: str, detail: str, request: Request | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
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
        errors = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e.get("msg", "")}
                  for e in error.errors()]
        detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors[:5]) or "invalid request"
        return problem(422, "Invalid input", detail, request, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized", 403: "Forbidden"}
        return problem(error.status_code, titles.get(error.status_code, "Error"), str(error.detail), request,
                       headers=getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def on_bug(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(503 if _is_storage(error) else 500, "Server error",
                       "the server could not complete this request; nothing was acknowledged, so retry with the same Idempotency-Key",
                       request, headers={"Retry-After": "1"})


def _is_storage(error: Exception) -> bool:
    from eventsourcing.persistence import PersistenceError

    return isinstance(error, PersistenceError)
