"""verbs.json and the command part of scenario.schema.json, generated from the command catalogue.

`python -m scenarios.vocabulary_files` rewrites both; tests/scenarios/test_vocabulary_files.py fails when either
differs from what this makes. The rest of the schema (offsets, actors, areas, expectations) is written by hand
in scenario.schema.json itself: only `$defs.with_<verb>` and the inject's `do` are replaced.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domain.alert import CERTAINTY, SEVERITY, URGENCY
from domain.command_catalogue import COMMANDS, CommandSpec

HERE = Path(__file__).resolve().parent
VERBS_FILE = HERE / "verbs.json"
SCHEMA_FILE = HERE / "scenario.schema.json"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


# A field's type (domain/command_catalogue.py) as a scenario's `with:` writes it.
FRAGMENTS: dict[str, dict[str, Any]] = {
    "text": _ref("text"), "thing": _ref("thing_ref"), "point": _ref("position"), "area": _ref("area"),
    "counts": _ref("counts"), "level": _ref("level"), "field_time": _ref("field_time"), "moment": _ref("offset"),
    "unit": _ref("actor_id"), "units": {"type": "array", "items": _ref("actor_id"), "uniqueItems": True},
    "unit_kind": _ref("unit_kind"), "zone_kind": _ref("zone_kind"), "incident_kind": _ref("incident_kind"),
    "resource_kind": _ref("resource_kind"), "jurisdiction_code": _ref("jurisdiction_code"),
    "count": {"type": "integer", "minimum": 0}, "quantity": {"type": "integer", "minimum": 1},
    "percent": {"type": "integer", "minimum": 0, "maximum": 100},
    "severity": {"enum": list(SEVERITY)}, "urgency": {"enum": list(URGENCY)}, "certainty": {"enum": list(CERTAINTY)},
}

VERBS_COMMENT = (
    "Generated from domain/command_catalogue.py by `python -m scenarios.vocabulary_files`: do not edit. The verbs "
    "of a scenario's `do:` and the fields of their `with:`. The API carries the id of the thing acted on in its "
    "path; a scenario carries it as the field named by `target` (a `$ref`). `creates` names the kind of thing a "
    "verb makes, which is what a `ref:` on that inject stands for. scenario.schema.json states the same fields "
    "with their types."
)


def _verb_commands() -> list[CommandSpec]:
    return [c for c in COMMANDS if c.verb]


def _scenario_fields(spec: CommandSpec) -> list[tuple[str, dict[str, Any], bool]]:
    """(name, schema, required) of a verb's `with:`: the target's `$ref` first, then the fields a scenario gives."""
    target = [(spec.thing, FRAGMENTS["thing"], True)] if spec.targeted else []
    return target + [(f.name, FRAGMENTS[f.type], f.required_in_scenario) for f in spec.fields if f.in_scenario]


def verbs_document() -> dict[str, Any]:
    verbs = {}
    for spec in _verb_commands():
        fields = _scenario_fields(spec)
        verbs[spec.verb] = {"creates": spec.thing if spec.creates else None, "target": spec.thing if spec.targeted else None,
                            "required": [n for n, _, r in fields if r], "optional": [n for n, _, r in fields if not r]}
    return {"$comment": VERBS_COMMENT, "verbs": verbs}


def schema_document(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its command part made anew from the catalogue (the hand-written part kept in its place)."""
    defs = {k: v for k, v in schema["$defs"].items() if not k.startswith("with_") and k not in ("inject", "expectation")}
    for spec in _verb_commands():
        fields = _scenario_fields(spec)
        defs[f"with_{spec.verb}"] = {"type": "object", "required": [n for n, _, r in fields if r], "additionalProperties": False,
                                     "properties": {n: s for n, s, _ in fields}}
    inject = dict(schema["$defs"]["inject"])
    inject["properties"] = {**inject["properties"], "do": {"enum": [c.verb for c in _verb_commands()]}}
    inject["allOf"] = [{"if": {"properties": {"do": {"const": c.verb}}, "required": ["do"]},
                        "then": {"properties": {"with": _ref(f"with_{c.verb}")}}} for c in _verb_commands()]
    defs["inject"] = inject
    defs["expectation"] = schema["$defs"]["expectation"]
    return {**schema, "$defs": defs}


def verbs_text() -> str:
    doc = verbs_document()
    width = max(len(v) for v in doc["verbs"]) + 3
    lines = [f"    {json.dumps(v) + ':':<{width}} {json.dumps(spec, ensure_ascii=False)}" for v, spec in doc["verbs"].items()]
    return ("{\n  \"$comment\": " + json.dumps(doc["$comment"], ensure_ascii=False) + ",\n  \"verbs\": {\n"
            + ",\n".join(lines) + "\n  }\n}\n")


def schema_text(current: str) -> str:
    return json.dumps(schema_document(json.loads(current)), ensure_ascii=False, indent=2) + "\n"


def regenerate() -> list[Path]:
    """Write both files; the ones that changed."""
    changed = []
    for path, text in ((VERBS_FILE, verbs_text()), (SCHEMA_FILE, schema_text(SCHEMA_FILE.read_text(encoding="utf-8")))):
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for written in regenerate():
        print(f"wrote {written}")
