"""What a server answers about the golden store: the answers `answers.json` holds, read the same way every time."""
from __future__ import annotations

from typing import Any

import httpx

AT = "2026-12-31T00:00:00+08:00"  # after everything in the store; as-of answers do not move with the wall clock
VOLATILE = {"generated_at", "now", "served_at"}  # fields that say when a reply was made, not what the log holds


def answers(client: httpx.Client, token: str) -> dict[str, Any]:
    """The map, ledger, board, alerts and audit trail as of AT, and the chain's verdict."""
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str, **params: Any) -> Any:
        response = client.get(f"/api/v1{path}", params=params, headers=headers)
        response.raise_for_status()
        return _stable(response.json())

    audit = get("/audit", limit=1000)
    return {
        "head": max(entry["position"] for entry in audit["entries"]),
        "map": get("/map", at=AT),
        "ledger": get("/ledger", at=AT),
        "incidents": get("/incidents", at=AT),
        "alerts": get("/alerts", at=AT),
        "audit": audit,
        "verify": get("/audit/verify"),
    }


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value
