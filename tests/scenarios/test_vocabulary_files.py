"""verbs.json and scenario.schema.json are what the command catalogue makes of them, to the byte."""
from __future__ import annotations

import json

from domain.command_catalogue import BY_VERB
from scenarios.vocabulary_files import SCHEMA_FILE, VERBS_FILE, schema_text, verbs_text


def test_verbs_json_is_generated_from_the_catalogue() -> None:
    assert VERBS_FILE.read_text(encoding="utf-8") == verbs_text(), \
        "scenarios/verbs.json differs from the catalogue: run `python -m scenarios.vocabulary_files`"


def test_the_schemas_command_part_is_generated_from_the_catalogue() -> None:
    current = SCHEMA_FILE.read_text(encoding="utf-8")
    assert current == schema_text(current), \
        "scenarios/scenario.schema.json differs from the catalogue: run `python -m scenarios.vocabulary_files`"


def test_every_verb_is_a_command_of_the_catalogue() -> None:
    verbs = json.loads(VERBS_FILE.read_text(encoding="utf-8"))["verbs"]
    assert list(verbs) == list(BY_VERB)
    for verb, spec in verbs.items():
        command = BY_VERB[verb]
        assert spec["target"] == (command.thing if command.targeted else None), verb
        assert spec["creates"] == (command.thing if command.creates else None), verb
