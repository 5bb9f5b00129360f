"""A county's setup file (`lianfang setup COUNTY.yaml`): read, validated, every error with its file and line.

YAML, with CSV accepted for the long lists (`resources: resources.csv`, `people: people.csv`, paths relative
to the file). Nothing here reads or writes the store: see api/setup_apply.py.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.catalogue import CODE, WHERE_DECLARED, defaults
from projections.geography import Geography, GeographyError

RESOURCE_COLUMNS = ("name", "kind", "unit", "lon", "lat", "capacity", "quantity")
PEOPLE_COLUMNS = ("name", "role", "unit")
Text = Field(min_length=1, max_length=100)


class Problem(Exception):
    """One thing wrong in the file, where it is."""

    def __init__(self, file: Path | str, line: int | None, message: str) -> None:
        super().__init__(message)
        self.file, self.line, self.message = str(file), line, message

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 1}: {self.message}"


class SetupFileError(Exception):
    """Every problem found in the file, in file and line order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, str_strip_whitespace=True)


class KindNames(Entry):
    zh: str = Field(min_length=1, max_length=40)
    en: str = Field(min_length=1, max_length=80)


class County(Entry):
    name: str = Text
    geography: Optional[str | dict[str, Any]] = None


class UnitEntry(Entry):
    name: str = Text
    kind: Literal["department", "township"]
    jurisdiction: Optional[str] = Field(None, max_length=32)


class ResourceEntry(Entry):
    name: str = Text
    kind: str = Field(min_length=1, max_length=48)
    unit: str = Text
    position: tuple[float, float]
    capacity: Optional[int] = Field(None, ge=0, le=10_000_000)
    quantity: Optional[int] = Field(None, ge=0, le=10_000_000)

    @field_validator("position")
    @classmethod
    def in_wgs84(cls, value: tuple[float, float]) -> tuple[float, float]:
        lon, lat = value
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"[{lon}, {lat}] is not [lon, lat] in WGS84 (lon -180..180, lat -90..90)")
        return value


class PersonEntry(Entry):
    name: str = Text
    role: Literal["commander", "unit", "field", "observer"]
    unit: Optional[str] = Field(None, max_length=100)


class TopLevel(Entry):
    county: County
    kinds: dict[Literal["incident", "resource"], dict[str, KindNames]] = {}
    units: list[dict[str, Any]] = []
    resources: str | list[dict[str, Any]] = []
    people: str | list[dict[str, Any]] = []


@dataclass
class Where:
    file: Path
    line: int
    fields: dict[str, int] = field(default_factory=dict)  # YAML: the line of each field of the entry

    def problem(self, message: str, field_name: Any = None) -> Problem:
        return Problem(self.file, self.fields.get(str(field_name), self.line), message)


@dataclass
class CountyFile:
    """The file as validated: every entry keeps where it was written, for errors found later."""

    path: Path
    name: str
    geography: Geography | None
    geography_source: dict[str, Any] | None
    kinds: dict[str, dict[str, tuple[str, str]]]
    units: list[tuple[UnitEntry, Where]] = field(default_factory=list)
    resources: list[tuple[ResourceEntry, Where]] = field(default_factory=list)
    people: list[tuple[PersonEntry, Where]] = field(default_factory=list)

    def known_kinds(self, group: str) -> dict[str, tuple[str, str]]:
        return {**defaults(group), **self.kinds.get(group, {})}


def read_county_file(path: Path | str, fallback_geography: Geography | None = None) -> CountyFile:
    """The validated file, or SetupFileError with every problem. Jurisdiction codes are checked against the
    file's own geography, else against `fallback_geography` (the server's)."""
    path = Path(path)
    problems: list[Problem] = []
    data, lines = _yaml_with_lines(path)
    at = _locator(path, lines)
    try:
        top = TopLevel.model_validate(data)
    except ValidationError as error:
        raise SetupFileError([at(e["loc"], _message(e)) for e in error.errors()]) from None
    geography, source = _geography(path, top.county.geography, at(("county", "geography"), "").line, problems)
    kinds = {group: {code: (names.zh, names.en) for code, names in entries.items()} for group, entries in top.kinds.items()}
    for group, entries in top.kinds.items():
        for code in entries:
            if not CODE.match(str(code)):
                problems.append(at(("kinds", group, code), f"kinds.{group}: {code!r} is not a kind code: lower-case "
                                   "letters, digits and _ (2-48, a letter first), such as mobile_lab"))
    county = CountyFile(path, top.county.name, geography, source, kinds)
    listed_units = _listed(path, top.units, "units", None, at, problems)
    county.units = _entries(UnitEntry, listed_units, problems)
    county.resources = _entries(ResourceEntry, _listed(path, top.resources, "resources", RESOURCE_COLUMNS, at, problems), problems)
    county.people = _entries(PersonEntry, _listed(path, top.people, "people", PEOPLE_COLUMNS, at, problems), problems)
    # Checked against every unit name written, valid or not: one bad unit is one error, not one per resource.
    written = {str(raw.get("name")).strip() for raw, _, _ in listed_units if isinstance(raw, dict) and raw.get("name")}
    _cross_check(county, geography or fallback_geography, written, problems)
    if problems:
        raise SetupFileError(sorted(problems, key=lambda p: (p.file != str(path), p.file, p.line or 0)))
    return county


# -- reading ------------------------------------------------------------------------------------------

def _yaml_with_lines(path: Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise SetupFileError([Problem(path, None, f"cannot read the file: {error}")]) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise SetupFileError([Problem(path, mark.line + 1 if mark else None, f"not valid YAML: {getattr(error, 'problem', error)}")]) from None
    finally:
        loader.dispose()
    lines: dict[tuple[Any, ...], int] = {}
    _walk(node, (), lines)
    return data, lines


def _walk(node: Any, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> None:
    if node is None:
        return
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[(*path, str(key.value))] = key.start_mark.line + 1
            _walk(value, (*path, str(key.value)), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def _locator(path: Path, lines: dict[tuple[Any, ...], int]) -> Any:
    def at(loc: tuple[Any, ...], message: str) -> Problem:
        loc = tuple(part if isinstance(part, int) else str(part) for part in loc)
        while loc and loc not in lines:
            loc = loc[:-1]
        return Problem(path, lines.get(loc, 1), message)
    return at


def _message(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"])
    kind, text = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return f"{where}: unknown field; remove it or check its spelling"
    if kind == "missing":
        return f"{where}: required"
    if kind == "literal_error":
        return f"{where}: {text.replace('Input should be', 'must be')}, not {error.get('input')!r}"
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return f"{where}: {text}, not {error.get('input')!r}"
    return f"{where}: {text.removeprefix('Value error, ')}"


def _listed(path: Path, value: str | list[dict[str, Any]], section: str, columns: tuple[str, ...] | None,
            at: Any, problems: list[Problem]) -> list[tuple[Any, Where, str]]:
    """(raw entry, where it is, its label) for each entry of a section: a YAML list, or the rows of a CSV file."""
    if isinstance(value, list):
        return [(raw, Where(path, at((section, i), "").line, _field_lines(raw, (section, i), at)), f"{section}[{i}]")
                for i, raw in enumerate(value)]
    if columns is None:
        problems.append(at((section,), f"{section}: must be a list"))
        return []
    csv_path = (path.parent / value).resolve()
    try:
        handle = csv_path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        problems.append(at((section,), f"{section}: cannot read {value} ({error.strerror}); the path is relative to {path.name}"))
        return []
    with handle:
        reader = csv.DictReader(handle)
        unknown = [c for c in reader.fieldnames or () if c and c.strip() not in columns]
        if unknown or not reader.fieldnames:
            problems.append(Problem(csv_path, 1, f"the header must name the columns {', '.join(columns)}"
                                    + (f"; unknown: {', '.join(unknown)}" if unknown else "")))
            return []
        rows = []
        for row in reader:
            cells = {k.strip(): (v.strip() or None) for k, v in row.items() if k and isinstance(v, str)}
            if not any(cells.values()):
                continue
            if section == "resources":
                lon, lat = cells.pop("lon", None), cells.pop("lat", None)
                cells["position"] = [lon, lat] if lon is not None or lat is not None else None
            rows.append(({k: v for k, v in cells.items() if v is not None}, Where(csv_path, reader.line_num), section))
        return rows


def _field_lines(raw: Any, loc: tuple[Any, ...], at: Any) -> dict[str, int]:
    return {str(key): at((*loc, key), "").line for key in raw} if isinstance(raw, dict) else {}


def _entries(model: type[Entry], listed: list[tuple[Any, Where, str]], problems: list[Problem]) -> list[tuple[Any, Where]]:
    entries = []
    for raw, where, label in listed:
        try:
            entries.append((model.model_validate(raw), where))
        except ValidationError as error:
            problems.extend(where.problem(f"{label}: {_message(e)}", e["loc"][0] if e["loc"] else None)
                            for e in error.errors())
    return entries


def _geography(path: Path, value: str | dict[str, Any] | None, line: int, problems: list[Problem]) -> tuple[Geography | None, dict[str, Any] | None]:
    if value is None:
        return None, None
    where = path if isinstance(value, dict) else (path.parent / value)
    try:
        collection = value if isinstance(value, dict) else orjson.loads(where.read_bytes())
        return Geography.from_geojson(collection, str(where)), collection
    except OSError as error:
        problems.append(Problem(path, line, f"county.geography: cannot read {value} ({error.strerror}); the path is relative to {path.name}"))
    except (orjson.JSONDecodeError, GeographyError) as error:
        problems.append(Problem(path, line, f"county.geography: {error}"))
    return None, None


# -- checks across sections ---------------------------------------------------------------------------

def _cross_check(county: CountyFile, geography: Geography | None, units: set[str], problems: list[Problem]) -> None:
    seen_units: dict[str, Where] = {}
    for unit, where in county.units:
        _once(seen_units, unit.name, where, "unit", problems)
        if unit.jurisdiction and geography is not None and unit.jurisdiction not in geography.by_code:
            root = geography.root()
            problems.append(where.problem(f"unit {unit.name}: jurisdiction {unit.jurisdiction!r} is not a code of "
                                          f"{root.name if root else 'the geography'}; use a code from county.geography",
                                          "jurisdiction"))
    kinds = county.known_kinds("resource")
    seen: dict[str, Where] = {}
    for resource, where in county.resources:
        _once(seen, resource.name, where, "resource", problems)
        if resource.unit not in units:
            problems.append(where.problem(f"resource {resource.name}: unit {resource.unit!r} is not among the file's units"))
        if resource.kind not in kinds:
            problems.append(where.problem(f"resource {resource.name}: resource kind {resource.kind!r} is unknown; "
                                          f"{WHERE_DECLARED}. Add it under kinds: resource: in {county.path.name}", "kind"))
    people: dict[str, Where] = {}
    for person, where in county.people:
        _once(people, person.name, where, "person", problems)
        if person.role in ("unit", "field") and not person.unit:
            problems.append(where.problem(f"person {person.name}: a {person.role} needs a unit, the unit they act for"))
        elif person.unit and person.unit not in units:
            problems.append(where.problem(f"person {person.name}: unit {person.unit!r} is not among the file's units"))


def _once(seen: dict[str, Where], name: str, where: Where, what: str, problems: list[Problem]) -> None:
    if name in seen:
        first = seen[name]
        problems.append(where.problem(f"{what} {name} is named twice (first at {first.file.name}:{first.line}); "
                                      f"names are how setup recognises a {what} again"))
    else:
        seen[name] = where

