"""P1's baseline: a bare FastAPI POST endpoint, the same body model, under the same uvicorn settings.

`python -m bench.bare PORT` runs it the way `lianfang serve` runs the real app (uvicorn.run, log level
warning): what is left between the two is auth, the write path, fsync and the middleware.
"""
from __future__ import annotations

import sys
import uuid
from typing import Any

from fastapi import FastAPI

from api.bodies import FileReport

app = FastAPI()
_count = 0


@app.post("/api/v1/incidents/{incident_id}/reports")
async def file_report(incident_id: str, body: FileReport) -> dict[str, Any]:
    global _count
    _count += 1
    return {"id": str(uuid.UUID(incident_id)), "version": _count, "position": _count}


@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
