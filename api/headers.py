"""Security headers on every answer, pages and API alike, and the API's docs served from this server alone.

The Content-Security-Policy lets a page run only this server's own scripts and styles (no inline ones), load
images from here and from the configured tile host, connect only back here (the live feed included), and
start service workers only from here; no site may frame it. /docs is Swagger UI from the swagger-ui-py
package, started by a script file of ours: it needs no internet.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

DOCS = Path(__file__).parent / "docs"


def policy(tile_url: str | None) -> str:
    tiles = ""
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tile_url and parts.netloc.startswith("a.") else parts.netloc
        tiles = f" {parts.scheme}://{host}" if parts.scheme and host else ""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:" + tiles + "; "
            "font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def security_headers(tile_url: str | None) -> list[tuple[bytes, bytes]]:
    """The headers every answer carries (api/front.py adds those a route did not set itself)."""
    return [
        (b"content-security-policy", policy(tile_url).encode()),
        (b"referrer-policy", b"no-referrer"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate it
    ]


def serve_docs(app: FastAPI) -> None:
    """GET /docs: Swagger UI from the package's files and our own start-up script (FastAPI's would load a CDN)."""
    import swagger_ui  # (the swagger-ui-py package: Swagger UI 5's files, which read OpenAPI 3.1)

    app.mount("/vendor/swagger-ui", StaticFiles(directory=Path(swagger_ui.__file__).parent / "static"), name="swagger-ui")
    app.mount("/docs-files", StaticFiles(directory=DOCS), name="docs-files")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> FileResponse:
        return FileResponse(DOCS / "index.html", media_type="text/html; charset=utf-8")
