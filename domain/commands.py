"""Commands as they arrive from outside (HTTP, drills, CLI), and what they answer."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson

from domain.base import Meta


@dataclass
class Command:
    """One command of the contract: its snake-case name, the actor's metadata and its fields.

    `target` is the id of the thing acted on (the path's id); `args` are the body's fields.
    """

    name: str
    meta: Meta
    args: dict[str, Any] = field(default_factory=dict)
    target: str | None = None
    expected_version: int | None = None
    idempotency_key: str | None = None

    def request_hash(self) -> str:
        body = {"name": self.name, "target": self.target, "args": self.args}
        try:
            encoded = orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str)
        except orjson.JSONEncodeError:  # e.g. integers beyond 64 bits: the standard encoder takes them
            encoded = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()
        return hashlib.sha256(encoded).hexdigest()


@dataclass
class Receipt:
    """What a command answers: the thing, its version, and the position of its event in the log."""

    id: UUID
    version: int
    position: int | None = None
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "version": self.version, "position": self.position}
