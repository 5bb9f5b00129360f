"""What one API process runs on: the wiring (store, writer, read side, broker) and the tokens it has checked."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

from api.auth import TokenCache
from wiring.runtime import Wiring


@dataclass
class Runtime(Wiring):
    tokens: TokenCache = field(default_factory=TokenCache)
    exercise: Any = None  # `serve --demo`: the bundled drill played beside the live store (api/demo_drill.py)

    def start(self) -> Self:
        tokens = self.tokens  # a revocation seen in the log drops the token from the cache at once
        self.projections.listeners.append(lambda fact: tokens.forget(fact.thing) if fact.type == "TokenRevoked" else None)
        return super().start()
