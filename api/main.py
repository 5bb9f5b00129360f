"""The FastAPI app: factory and lifespan (resources are built at start, never at import)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from api import live, page_config as pages, problems
from api.deps import RuntimeDep
from api.front import Front
from api.headers import serve_docs
from api.routes import alerts, base_layers, dispatches, enrolments, exercise, health, incidents, me, records, resources, tasks, units, views, zones
from api.runtime import Runtime
from domain.application.settings import PROJECT_ROOT, Settings

log = logging.getLogger("lianfang.api")
LIVE_MAP = PROJECT_ROOT / "live-map"
# The pages' front-end packages, from npm (package.json, package-lock.json; `make` runs npm ci).
NODE_MODULES = PROJECT_ROOT / "node_modules"
VENDOR = {"leaflet": NODE_MODULES / "leaflet" / "dist", "geoman": NODE_MODULES / "@geoman-io" / "leaflet-geoman-free" / "dist",
          "idb-keyval": NODE_MODULES / "idb-keyval" / "dist"}
PHONE = LIVE_MAP / "phone"  # the field teams' page, /m/ (its service worker's scope)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = runtime or await asyncio.to_thread(lambda: Runtime.build(settings).start())
        app.state.runtime = rt
        app.state.hub = live.LiveHub(rt, asyncio.get_running_loop(), settings.live_queue, frame_seconds=settings.live_frame_ms / 1000)
        rt.hub = app.state.hub  # type: ignore[attr-defined]
        await app.state.hub.warm()  # ready means ready to serve the map page at once
        try:
            yield
        finally:
            app.state.hub.close()
            if runtime is None:
                await asyncio.to_thread(rt.stop)

    app = FastAPI(
        title="Lianfang 联防", version="1.0",
        description="Event-sourced coordination of a county's public-health emergencies. "
                    "Every POST accepts Idempotency-Key; writes to an existing thing accept If-Match.",
        lifespan=lifespan, docs_url=None, redoc_url=None,  # /docs: served from this server's own files (api/headers.py)
    )
    problems.install(app)
    v1 = APIRouter(prefix="/api/v1")
    for module in (incidents, zones, resources, dispatches, tasks, alerts, units, views, records, me, exercise, base_layers):
        v1.include_router(module.router)
    v1.include_router(live.router)
    v1.include_router(enrolments.router)
    v1.add_api_route("/config", page_config, methods=["GET"], tags=["views"])
    app.include_router(v1, responses=problems.RESPONSES)
    app.include_router(health.router)
    _serve_page(app)
    serve_docs(app)
    # One layer: security headers and metrics, then the token before any byte of a body, the body limit, the JSON guard
    app.add_middleware(Front, max_bytes=settings.max_body_bytes, tile_url=settings.tile_url)
    return app


async def page_config(rt: RuntimeDep) -> dict[str, Any]:
    """What the pages need before they sign in: drill banner, tile URL, the domain's words, colours, the role table."""
    config = pages.page_config(rt.drill, rt.settings.tile_url, list(rt.projections.map.state.get("kinds", {}).values()))
    config["exercise"] = rt.exercise.public() if rt.exercise else None
    config["base_layers"] = len(rt.settings.base_layers)
    return config


def _serve_page(app: FastAPI) -> None:
    for name, package in VENDOR.items():
        if package.is_dir():
            app.mount(f"/vendor/{name}", StaticFiles(directory=package), name=f"vendor-{name}")
        else:
            log.warning("%s is missing: the map page needs it; `make` installs it (npm ci)", package.relative_to(PROJECT_ROOT))
    if LIVE_MAP.is_dir():
        app.mount("/m", StaticFiles(directory=PHONE, html=True), name="phone")
        app.mount("/live-map", StaticFiles(directory=LIVE_MAP), name="live-map")

    @app.get("/", include_in_schema=False)
    async def index() -> Any:
        page = Path(LIVE_MAP) / "index.html"
        if page.is_file():
            return FileResponse(page, media_type="text/html; charset=utf-8")
        return JSONResponse({"detail": "the map page is not installed"}, status_code=404)
