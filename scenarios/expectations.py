"""A scenario's `expect`: what the map and the ledger show at a moment, against what should hold.

Inside a mapping that `holds` gives, a kind left out is expected to be 0; a key left out is not checked.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Check:
    key: str
    expected: Any
    actual: Any
    held: bool


@dataclass
class Outcome:
    number: int
    line: int
    at: str  # the offset, as the scenario wrote it
    moment: str  # the simulated time, ISO-8601
    checks: list[Check] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return all(c.held for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "held": self.held}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Outcome:
        checks = [Check(**c) for c in raw.get("checks", [])]
        return cls(raw["number"], raw["line"], raw["at"], raw["moment"], checks)


def evaluate(holds: dict[str, Any], actual: dict[str, Any]) -> list[Check]:
    checks = []
    for key, expected in holds.items():
        shown = actual.get(key)
        if isinstance(expected, dict):
            shown = shown or {}
            kinds = [*expected, *(k for k, v in shown.items() if v and k not in expected)]
            want = {k: expected.get(k, 0) for k in kinds}
            got = {k: shown.get(k, 0) for k in kinds}
            checks.append(Check(key, want, got, want == got))
        else:
            checks.append(Check(key, expected, shown, expected == shown))
    return checks


def describe(value: Any) -> str:
    if isinstance(value, dict):
        shown = [f"{k} {v}" for k, v in value.items()]
        return ", ".join(shown) if shown else "none"
    return str(value)
