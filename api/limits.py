"""Bodies over the limit are refused with 413 before anything parses them (the check is in api/front.py)."""
from __future__ import annotations

import orjson
from starlette.types import Send


def _problem(status: int, title: str, detail: str) -> bytes:
    return orjson.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})


async def refuse(send: Send, max_bytes: int) -> None:
    """413, before anything reads the body further (api/front.py checks the limit)."""
    body = _problem(413, "Request body too large", f"bodies are limited to {max_bytes} bytes; send less")
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
