"""The checks a scenario passes before it runs; each returns (line, message) for every problem found.

1. meaning: actors, verbs, fields, `$ref`s and times, with messages a drill director can act on;
2. schema: scenarios/scenario.schema.json for types, enums and value ranges;
3. places: the geography file, jurisdiction codes, and every area's geometry.
"""
from __future__ import annotations

import copy
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import best_match

from domain.catalogue import WHERE_DECLARED, defaults
from domain.command_catalogue import BY_NAME, fields_of_type
from domain.errors import InvalidInput
from domain.geometry import area_of
from domain.text import checked_text
from domain.times import time_of
from projections.geography import Geography, GeographyError
from scenarios.located import Located
from scenarios.vocabulary import TIME_FIELDS, format_offset, offset_of, schema, verbs

Problems = list[tuple[int, str]]
TOP = ("scenario", "start", "geography", "kinds", "actors", "injects", "expect")
# The verbs whose `kind` is one of the catalogue's kinds, and of which group.
KIND_OF = {verb: group for group in ("incident", "resource")
           for verb, fields in fields_of_type(f"{group}_kind").items() if "kind" in fields and BY_NAME[verb].verb}
THING_FIELDS = ("incident", "zone", "resource", "dispatch", "task", "alert")


def check_meaning(doc: Located, path: Path) -> Problems:
    raw = doc.value
    if not isinstance(raw, dict):
        return [(1, f"a scenario is a mapping with the fields {', '.join(TOP)}")]
    problems: Problems = []

    def add(where: tuple[Any, ...], message: str) -> None:
        problems.append((doc.line(where), message))

    for key in raw:
        if key not in TOP:
            add((key,), f"unknown field {key!r}; a scenario has the fields {', '.join(TOP)}")
    if "start" in raw and not _is_time(raw["start"]):
        add(("start",), "start must be an ISO-8601 time with its UTC offset, e.g. 2026-03-01T08:00:00+08:00")
    elif "start" in raw:
        try:
            time_of(raw["start"], "start")
        except InvalidInput as error:
            add(("start",), error.detail)
    if isinstance(raw.get("scenario"), str):
        _check_text(raw["scenario"], "scenario", ("scenario",), add)
    actors = raw.get("actors") if isinstance(raw.get("actors"), dict) else {}
    for actor_id, actor in actors.items():
        if isinstance(actor, dict) and isinstance(actor.get("name"), str):
            _check_text(actor["name"], "name", ("actors", actor_id, "name"), add, f"actor {actor_id}: ")
        if isinstance(actor, dict) and actor.get("unit") is not None:
            _check_unit(actors, actor["unit"], ("actors", actor_id, "unit"), add)
    _check_injects(raw.get("injects"), actors, add)
    _check_kinds(raw, doc, add)
    _check_expectations(raw.get("expect"), add)
    return problems


def _check_injects(injects: Any, actors: dict[str, Any], add: Any) -> None:
    if not isinstance(injects, list):
        return
    created: dict[str, str] = {}
    previous = timedelta(0)
    for index, inject in enumerate(injects):
        where = ("injects", index)
        if not isinstance(inject, dict):
            continue
        at = offset_of(inject.get("at"))
        if at is None:
            add((*where, "at"), f"inject {index + 1}: at must be an offset from start such as \"+01:30\", not {inject.get('at')!r}")
        elif at < previous:
            add((*where, "at"), f"inject {index + 1} at {inject['at']} goes back in time: an earlier inject is at {format_offset(previous)}")
        else:
            previous = at
        if not isinstance(inject.get("by"), str) or inject["by"] not in actors:
            add((*where, "by"), f"inject {index + 1}: unknown actor {inject.get('by')!r}; the actors are {', '.join(actors)}")
        verb = inject.get("do")
        spec = verbs().get(verb) if isinstance(verb, str) else None
        if spec is None:
            add((*where, "do"), f"inject {index + 1}: unknown verb {verb!r}; the verbs are {', '.join(verbs())}")
            continue
        args = inject.get("with")
        if not isinstance(args, dict):
            add((*where, "with"), f"inject {index + 1}: {verb} needs with: a mapping of its fields")
            continue
        _check_fields(index, verb, spec, args, at, created, actors, add)
        ref = inject.get("ref")
        if ref is None:
            continue
        if spec["creates"] is None:
            add((*where, "ref"), f"inject {index + 1}: {verb} creates nothing for ref: to name")
        elif not isinstance(ref, str):
            add((*where, "ref"), f"inject {index + 1}: ref must be a name such as \"cluster1\", not {ref!r}")
        elif ref in created:
            add((*where, "ref"), f"inject {index + 1}: ref {ref!r} already names an earlier {created[ref]}")
        else:
            created[str(ref)] = spec["creates"]


def _check_fields(index: int, verb: str, spec: dict[str, Any], args: dict[str, Any], at: timedelta | None,
                  created: dict[str, str], actors: dict[str, Any], add: Any) -> None:
    where = ("injects", index, "with")
    known = spec["required"] + spec["optional"]
    for key in args:
        if key not in known:
            add((*where, key), f"inject {index + 1}: {verb} has no field {key!r}; its fields are {', '.join(known)}")
    for key in spec["required"]:
        if key not in args:
            add(where, f"inject {index + 1}: {verb} needs the field {key!r}")
    for key, value in args.items():
        if key not in known:
            continue
        if key in THING_FIELDS:
            _check_ref(index, key, value, created, (*where, key), add)
        elif key in ("lead", "unit"):
            _check_unit(actors, value, (*where, key), add)
        elif key == "cooperating" and isinstance(value, list):
            for n, unit in enumerate(value):
                _check_unit(actors, unit, (*where, key, n), add)
        elif key in TIME_FIELDS:
            moment = offset_of(value)
            if moment is None:
                add((*where, key), f"inject {index + 1}: {key} must be an offset from start such as \"+48:00\", not {value!r}")
            elif at is not None and moment <= at:
                add((*where, key), f"inject {index + 1}: {key} {value} goes back in time: it is not after the inject's own time {format_offset(at)}")
        elif isinstance(value, str):
            _check_text(value, key, (*where, key), add, f"inject {index + 1}: ")
        if key == "occurred_at" and offset_of(value) is None and not _is_time(value):
            add((*where, key), f"inject {index + 1}: occurred_at must be an offset such as \"+01:30\" or an ISO-8601 time")


def _check_kinds(raw: dict[str, Any], doc: Located, add: Any) -> None:
    """Every kind an inject names is a default or declared in this file's `kinds:` header."""
    header = raw.get("kinds") if isinstance(raw.get("kinds"), dict) else {}
    for index, inject in enumerate(raw.get("injects") if isinstance(raw.get("injects"), list) else []):
        group = KIND_OF.get(inject.get("do")) if isinstance(inject, dict) and isinstance(inject.get("do"), str) else None
        args = inject.get("with") if group else None
        if not isinstance(args, dict) or not isinstance(args.get("kind"), str):
            continue
        declared = header.get(group) if isinstance(header.get(group), dict) else {}
        if args["kind"] not in defaults(group) and args["kind"] not in declared:
            here = (f"this file declares its own under kinds: {group}: (line {doc.line(('kinds', group))})" if declared
                    else f"this file declares none (add kinds: {{{group}: {{{args['kind']}: {{zh: …, en: …}}}}}} to its header)")
            add(("injects", index, "with", "kind"), f"inject {index + 1}: {group} kind {args['kind']!r} is unknown; "
                f"{WHERE_DECLARED}; {here}")


def _check_text(value: str, field: str, where: tuple[Any, ...], add: Any, prefix: str = "") -> None:
    """The domain's text rule (domain/text.py), so the file is refused before anything runs."""
    try:
        checked_text(value, field)
    except InvalidInput as error:
        add(where, f"{prefix}{error.detail}")


def _check_ref(index: int, key: str, value: Any, created: dict[str, str], where: tuple[Any, ...], add: Any) -> None:
    if not isinstance(value, str) or not value.startswith("$"):
        add(where, f"inject {index + 1}: {key} names a thing created earlier, as $name (its ref), not {value!r}")
    elif value[1:] not in created:
        add(where, f"inject {index + 1}: unknown $ref {value}: no earlier inject has ref: {value[1:]}")
    elif created[value[1:]] != key:
        add(where, f"inject {index + 1}: {value} is a {created[value[1:]]}, not a {key}")


def _check_unit(actors: dict[str, Any], name: Any, where: tuple[Any, ...], add: Any) -> None:
    if not isinstance(name, str) or name not in actors:
        add(where, f"unknown actor {name!r}: a unit is named by the id of an actor with role unit")
    elif not isinstance(actors[name], dict) or actors[name].get("role") != "unit":
        add(where, f"actor {name!r} is not a unit (role unit), so it cannot be named as one")


def _check_expectations(expect: Any, add: Any) -> None:
    if not isinstance(expect, list):
        return
    previous = timedelta(0)
    for index, item in enumerate(expect):
        if not isinstance(item, dict):
            continue
        at = offset_of(item.get("at"))
        if at is None:
            add(("expect", index, "at"), f"expectation {index + 1}: at must be an offset such as \"+06:00\"")
        elif at < previous:
            add(("expect", index, "at"), f"expectation {index + 1} at {item['at']} goes back in time: an earlier one is at {format_offset(previous)}")
        else:
            previous = at


def _is_time(value: Any) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def check_schema(doc: Located, path: Path) -> Problems:
    """Errors of scenario.schema.json, each at its line; see `_validators` for how it is applied.

    A file the schema takes is let through by jsonschema-rs (a whole 10,000-inject file in about 0.05 s); only
    one it refuses is gone through with jsonschema, whose errors (and their words) are the ones reported."""
    return [] if _taken_quickly(doc.value) else _schema_problems(doc)


def _schema_problems(doc: Located) -> Problems:
    whole, per_verb = _validators()
    found = [(e, ()) for e in whole.iter_errors(doc.value)]
    injects = doc.value.get("injects") if isinstance(doc.value.get("injects"), list) else []
    for index, inject in enumerate(injects):
        validator = per_verb.get(inject.get("do")) if isinstance(inject, dict) and isinstance(inject.get("do"), str) else None
        if validator is not None and isinstance(inject.get("with"), dict):
            found += [(e, ("injects", index, "with")) for e in validator.iter_errors(inject["with"])]
    problems: Problems = []
    for error, prefix in found:
        if error.context:
            error = best_match(error.context)
        where = (*prefix, *error.absolute_path)
        problems.append((doc.line(where), f"{_describe(where)}: {error.message}"))
    return problems


def _taken_quickly(value: Any) -> bool:
    """jsonschema-rs takes the whole document. Sound because it refuses all that jsonschema refuses under
    this schema (tests/scenarios/test_schema_fast.py): stricter where the two differ (`\\d` is ASCII, `$` is
    the very end, formats are checked), and a value it cannot hold (a key that is not text, NaN) is no pass."""
    try:
        return _quick().is_valid(value)
    except (ValueError, TypeError, OverflowError):
        return False


@cache
def _quick() -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(schema(), validate_formats=True, offline=True)


@cache
def _validators() -> tuple[jsonschema.Draft202012Validator, dict[str, jsonschema.Draft202012Validator]]:
    """The schema as given, but with its per-verb `if do == X then with: with_X` rules applied directly.

    Checking each inject's `with:` against its own verb's definition says the same as the schema's
    `allOf` of 24 if/then rules, five times faster. A schema of another shape is used as it is.
    """
    kind = jsonschema.Draft202012Validator
    full = schema()
    try:
        rules = {r["if"]["properties"]["do"]["const"]: r["then"]["properties"]["with"]["$ref"] for r in full["$defs"]["inject"]["allOf"]}
    except (KeyError, TypeError):
        return kind(full, format_checker=kind.FORMAT_CHECKER), {}
    lean = copy.deepcopy(full)
    del lean["$defs"]["inject"]["allOf"]
    per_verb = {verb: kind({"$ref": ref, "$defs": lean["$defs"]}, format_checker=kind.FORMAT_CHECKER) for verb, ref in rules.items()}
    return kind(lean, format_checker=kind.FORMAT_CHECKER), per_verb


def _describe(where: tuple[Any, ...]) -> str:
    if len(where) >= 2 and where[0] in ("injects", "expect") and isinstance(where[1], int):
        noun = "inject" if where[0] == "injects" else "expectation"
        rest = ".".join(str(p) for p in where[2:])
        return f"{noun} {where[1] + 1}" + (f", {rest}" if rest else "")
    return ".".join(str(p) for p in where) or "the scenario"


def check_places(doc: Located, path: Path) -> Problems:
    raw = doc.value
    geography_file = path.parent / raw["geography"]
    if not geography_file.is_file():
        return [(doc.line(("geography",)), f"geography file {raw['geography']} not found (looked for {geography_file})")]
    try:
        geography = Geography.load(geography_file)
    except GeographyError as error:
        return [(doc.line(("geography",)), f"geography {raw['geography']} cannot be used: {error}")]
    problems: Problems = []
    for actor_id, actor in raw["actors"].items():
        code = actor.get("jurisdiction")
        if code is not None and code not in geography.by_code:
            problems.append((doc.line(("actors", actor_id, "jurisdiction")), f"actor {actor_id}: unknown jurisdiction code {code} (not in {raw['geography']})"))
    for index, inject in enumerate(raw["injects"]):
        args = inject["with"]
        code = args.get("jurisdiction")
        if code is not None and code not in geography.by_code:
            problems.append((doc.line(("injects", index, "with", "jurisdiction")), f"inject {index + 1}: unknown jurisdiction code {code}"))
        if "area" in args:
            try:
                area_of(args["area"])
            except InvalidInput as error:
                problems.append((doc.line(("injects", index, "with", "area")), f"inject {index + 1}: invalid geometry: {error.detail}"))
    return problems
