"""Read a scenario file and refuse it, naming the file and line, before anything runs.

`load(path)` returns a `Scenario`; a file that names an unknown actor, verb, field or `$ref`, goes back
in time, holds an invalid geometry, or points at a missing geography raises `ScenarioError`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any


from scenarios.checks import check_meaning, check_places, check_schema
from scenarios.located import Located, YamlProblem
from scenarios.vocabulary import offset_of

UNIT_FIELDS = ("lead", "cooperating", "unit")


class ScenarioError(Exception):
    """A scenario refused before it runs: the file, the line, and what is wrong there."""

    def __init__(self, file: Path | str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = str(file), line, message


@dataclass(frozen=True)
class Actor:
    id: str
    role: str
    name: str
    unit: str | None = None  # the actor id of the unit it acts for
    kind: str | None = None
    jurisdiction: str | None = None


@dataclass(frozen=True)
class Inject:
    number: int  # 1-based, as a person counts them
    line: int
    at: timedelta
    by: str
    do: str
    args: dict[str, Any]
    ref: str | None = None


@dataclass(frozen=True)
class Expectation:
    number: int
    line: int
    at: timedelta
    holds: dict[str, Any]


@dataclass
class Scenario:
    path: Path
    name: str
    start: datetime
    geography: Path
    actors: dict[str, Actor]
    injects: list[Inject]
    expectations: list[Expectation] = field(default_factory=list)
    kinds: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # declared in the header, by group

    def moment(self, offset: timedelta) -> datetime:
        return self.start + offset

    @property
    def end(self) -> timedelta:
        return max([i.at for i in self.injects] + [e.at for e in self.expectations])

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9_-]+", "-", self.path.stem).strip("-") or "drill"


def load(path: Path | str) -> Scenario:
    """Parse and check a scenario file; raise ScenarioError at the first line that is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(path, 1, "no such scenario file")
    try:
        doc = Located(path.read_text(encoding="utf-8"))
    except YamlProblem as problem:
        raise ScenarioError(path, problem.line, problem.message) from None
    except UnicodeDecodeError:
        raise ScenarioError(path, 1, "a scenario file is UTF-8 text") from None
    for check in (check_meaning, check_schema, check_places):
        problems = check(doc, path)
        if problems:
            line, message = min(problems, key=lambda p: p[0])
            raise ScenarioError(path, line, message)
    return _scenario(doc.value, doc, path)


def _scenario(raw: dict[str, Any], doc: Located, path: Path) -> Scenario:
    actors = {
        actor_id: Actor(actor_id, a["role"], a["name"], a.get("unit"), a.get("kind"), a.get("jurisdiction"))
        for actor_id, a in raw["actors"].items()
    }
    injects = [
        Inject(n, doc.line(("injects", n - 1)), offset_of(i["at"]), i["by"], i["do"], dict(i["with"]), i.get("ref"))
        for n, i in enumerate(raw["injects"], start=1)
    ]
    expectations = [
        Expectation(n, doc.line(("expect", n - 1)), offset_of(e["at"]), dict(e["holds"]))
        for n, e in enumerate(raw.get("expect") or [], start=1)
    ]
    return Scenario(
        path=path, name=raw["scenario"], start=datetime.fromisoformat(raw["start"].replace("Z", "+00:00")),
        geography=(path.parent / raw["geography"]).resolve(), actors=actors, injects=injects, expectations=expectations,
        kinds={group: {code: (n["zh"], n["en"]) for code, n in declared.items()} for group, declared in (raw.get("kinds") or {}).items()},
    )
