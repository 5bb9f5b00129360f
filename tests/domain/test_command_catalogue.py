"""The command catalogue, the Coordination application and the writer name the same commands, the same way."""
from __future__ import annotations

import inspect
from typing import Any

import pytest

from domain.application import Coordination
from domain.base import Meta
from domain.command_catalogue import BY_NAME, COMMANDS, summaries
from domain.permissions import MAY

# Fields the writer takes off every command before the domain method sees them.
TAKEN_BY_THE_WRITER = {"occurred_at"}
# The route makes the domain's fields from what the sender gives (a code it mints, its hash, an expiry).
TRANSLATED = {"offer_enrolment", "redeem_enrolment"}


def command_methods() -> dict[str, inspect.Signature]:
    """Coordination's public methods whose first argument is the command's Meta."""
    found = {}
    for name, member in inspect.getmembers(Coordination, inspect.isfunction):
        parameters = list(inspect.signature(member).parameters.values())
        if not name.startswith("_") and len(parameters) > 1 and parameters[1].name == "meta":
            found[name] = inspect.signature(member)
    return found


def test_every_command_method_is_in_the_catalogue_and_back() -> None:
    assert sorted(command_methods()) == sorted(BY_NAME)


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda c: c.name)
def test_a_targeted_command_takes_the_things_id_after_its_meta(spec: Any) -> None:
    positional = [p for p in command_methods()[spec.name].parameters.values()
                  if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD][2:]
    assert [p.name for p in positional] == ([spec.thing] if spec.targeted else [])
    assert not (spec.targeted and spec.creates), "a command acts on a thing or creates one"


@pytest.mark.parametrize("spec", [c for c in COMMANDS if c.name not in TRANSLATED], ids=lambda c: c.name)
def test_the_catalogues_fields_are_the_domain_methods(spec: Any) -> None:
    parameters = command_methods()[spec.name].parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    keywords = {n: p for n, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    for field in spec.fields:
        if field.name in TAKEN_BY_THE_WRITER:
            continue
        assert takes_any or field.name in keywords, f"{spec.name}.{field.name} is no field of the domain method"
        if field.name in keywords:
            needed = keywords[field.name].default is inspect.Parameter.empty
            assert field.required or not needed, f"{spec.name}.{field.name}: the domain needs it, the catalogue not"
    given = {f.name for f in spec.fields}
    extra = {n for n, p in keywords.items() if p.default is inspect.Parameter.empty} - given
    assert extra <= {"own_sender"}, f"{spec.name} needs {extra}, which the catalogue does not list"


def test_the_role_table_is_the_catalogues() -> None:
    assert {name: roles for name, roles in MAY.items() if name != "read"} == {c.name: c.roles for c in COMMANDS if c.roles}


def test_every_recorded_event_has_a_summary_in_both_languages() -> None:
    from domain import access, alert, catalogue, dispatch, enrolment, idempotency, incident, jurisdictions, resource, skip, task, unit, zone
    from domain.base import Thing

    events = {cls.__name__ for module in (access, alert, catalogue, dispatch, enrolment, idempotency, incident, jurisdictions,
                                          resource, skip, task, unit, zone)
              for thing in vars(module).values() if isinstance(thing, type) and issubclass(thing, Thing) and thing is not Thing
              for cls in vars(thing).values() if isinstance(cls, type) and issubclass(cls, Thing.Event) and cls.__name__ not in ('Event', 'Created')}
    assert events == set(summaries())
    assert all(zh and en for zh, en in summaries().values())


@pytest.mark.parametrize("spec", [c for c in COMMANDS if c.targeted], ids=lambda c: c.name)
def test_the_writer_asks_a_targeted_command_for_its_id(spec: Any, run: Any) -> None:
    from domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match=f"{spec.name} needs the id of the thing it acts on"):
        run(spec.name)


@pytest.fixture
def run(tmp_path: Any) -> Any:
    from domain.commands import Command
    from domain.application.eventstore import store_env
    from domain.application.settings import Settings
    from domain.application.writer import execute

    app = Coordination(store_env(Settings(data_dir=tmp_path)))
    from domain.permissions import MAY

    def meta(name: str) -> Meta:  # a role that may send it: the policy answers the others first (403)
        role = "commander" if "commander" in MAY.get(name, {"commander"}) else sorted(MAY[name])[0]
        return Meta(actor="tester", role=role, unit="unit-1" if role != "commander" else None)
    return lambda name, target=None, **args: execute(app, Command(name, meta(name), args, target=target))
