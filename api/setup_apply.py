"""Applying a county's setup file: the store is compared with the file and only the differences are recorded.

Things are recognised by name. A unit or resource that setup registered and the file no longer lists is
retired, never deleted; one registered otherwise (by hand, by the demo) is taken over by name when the file
lists it, and left alone when it does not. People are those setup offered an enrolment code to.
"""
from __future__ import annotations

import getpass
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from api.enrolments import Enrolment, mint_enrolment
from api.setup_file import CountyFile, SetupFileError, Where
from domain.access import Token
from domain.application import Coordination
from domain.base import Meta
from domain.catalogue import CATALOGUE_ID, defaults
from domain.commands import Command
from domain.enrolment import Enrolment as Offer
from domain.errors import DomainError, InvalidInput
from domain.geometry import area_of
from domain.jurisdictions import JURISDICTIONS_ID
from domain.resource import Resource
from domain.application.settings import Settings
from domain.unit import Unit
from domain.application.writer import run_batch

SOURCE = "setup"


def setup_meta(county: CountyFile) -> Meta:
    """Every event of one apply names the person at the keyboard, the file, and one correlation id."""
    user = getpass.getuser()
    return Meta(actor=f"setup:{user}", role="commander", source=SOURCE, actor_name=f"{user} ({county.path.name})",
                correlation_id=f"setup-{uuid.uuid4()}")


@dataclass
class Card:
    """One person's sign-in card on the printed sheet."""

    name: str
    role: str
    unit: str | None
    enrolment: Enrolment


@dataclass
class Outcome:
    recorded: int = 0
    changes: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)


@dataclass
class Person:
    offers: list[Offer] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)

    @property
    def latest(self) -> Offer:
        return self.offers[-1]

    def signed_in_or_pending(self) -> bool:
        """Still holds a way in that setup gave: a code not withdrawn, or the token it gave, not revoked."""
        offer = self.latest
        if offer.withdrawn:
            return False
        token = next((t for t in self.tokens if str(t.id) == offer.redeemed_by), None)
        return token is None or not token.revoked


@dataclass
class Stored:
    units: dict[str, tuple[Unit, bool]] = field(default_factory=dict)  # name → (unit in service, registered by setup)
    resources: dict[str, tuple[Resource, bool]] = field(default_factory=dict)
    kinds: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    drawn: dict[str, dict[str, Any]] = field(default_factory=dict)  # code → the jurisdiction as last drawn
    people: dict[str, Person] = field(default_factory=dict)


def _created(app: Coordination, cls: type, event: type) -> list[tuple[Any, dict[str, Any]]]:
    """Every thing created by `event`, as it stands now, with the metadata of its creation."""
    topic = f"{cls.__module__}:{event.__qualname__}"
    found = []
    for n in app.recorder.select_notifications(1, 10_000_000, topics=[topic]):
        found.append((app.repository.get(n.originator_id), app.mapper.to_domain_event(n).meta))
    return found


def read_store(app: Coordination) -> Stored:
    stored = Stored()
    for unit, meta in _created(app, Unit, Unit.UnitRegistered):
        if not unit.retired:
            stored.units[unit.name] = (unit, meta.get("source") == SOURCE)
    for resource, meta in _created(app, Resource, Resource.ResourceRegistered):
        if not resource.retired:
            stored.resources[resource.name] = (resource, meta.get("source") == SOURCE)
    try:
        catalogue = app.repository.get(CATALOGUE_ID)
        stored.kinds = {group: catalogue.kinds(group) for group in ("incident", "resource")}
    except AggregateNotFoundError:  # no kind declared yet: the defaults
        stored.kinds = {group: defaults(group) for group in ("incident", "resource")}
    try:
        stored.drawn = dict(app.repository.get(JURISDICTIONS_ID).drawn)
    except AggregateNotFoundError:  # none drawn yet: the server's geography file is in force
        stored.drawn = {}
    for offer, meta in _created(app, Offer, Offer.EnrolmentOffered):
        if meta.get("source") == SOURCE and offer.name:
            person = stored.people.setdefault(offer.name, Person())
            person.offers.append(offer)
            if offer.redeemed_by:
                person.tokens.append(app.repository.get(uuid.UUID(offer.redeemed_by)))
    return stored


class Applier:
    """One apply of one file: phases in order, each phase one commit (kinds, units, resources, people, retirements)."""

    def __init__(self, app: Coordination, county: CountyFile, settings: Settings, *, expires: timedelta | None = None,
                 signal: Any = None) -> None:
        self.app, self.county, self.settings, self.expires, self.signal = app, county, settings, expires, signal
        self.meta = setup_meta(county)
        self.outcome = Outcome()

    def apply(self, reissue: str | None = None) -> Outcome:
        if reissue is not None and reissue not in {entry.name for entry, _ in self.county.people}:
            raise SetupFileError([Where(self.county.path, 1).problem(
                f"--reissue {reissue}: no person of that name among the file's people")])
        head = self.app.recorder.max_notification_id() or 0
        stored = read_store(self.app)
        self._check_units(stored)
        self._jurisdictions(stored)
        self._kinds(stored)
        unit_ids = self._units(stored)
        self._resources(read_store(self.app), unit_ids)
        self._people(read_store(self.app), unit_ids, reissue)
        self._retire_units(read_store(self.app))
        self.outcome.recorded = (self.app.recorder.max_notification_id() or 0) - head
        return self.outcome

    def _run(self, planned: list[tuple[Command, str, Where | None]]) -> list[Any]:
        if not planned:
            return []
        outcomes = run_batch(self.app, [command for command, _, _ in planned], self.signal)
        for (command, what, where), outcome in zip(planned, outcomes):
            if isinstance(outcome, BaseException):
                place = f"{where.file}:{where.line}: " if where else ""
                detail = outcome.detail if isinstance(outcome, DomainError) else repr(outcome)
                self.outcome.refused.append(f"{place}{what}: refused: {detail}")
            else:
                self.outcome.changes.append(what)
        return outcomes

    def _command(self, name: str, args: dict[str, Any], target: Any = None) -> Command:
        return Command(name, self.meta, {k: v for k, v in args.items() if v is not None},
                       target=str(target) if target is not None else None)

    def _check_units(self, stored: Stored) -> None:
        """A unit's kind and jurisdiction are fixed once recorded (authority follows them): a change is refused
        before anything is written."""
        problems = []
        for entry, where in self.county.units:
            found = stored.units.get(entry.name)
            if found and (found[0].kind, found[0].jurisdiction) != (entry.kind, entry.jurisdiction):
                unit = found[0]
                problems.append(where.problem(
                    f"unit {entry.name} is recorded as a {unit.kind} of jurisdiction {unit.jurisdiction}; a unit's kind "
                    "and jurisdiction do not change: give the new unit another name (the old one, left out, is retired)"))
        if problems:
            raise SetupFileError(problems)

    def _jurisdictions(self, stored: Stored) -> None:
        """One event per new or changed jurisdiction, one per jurisdiction the file no longer has."""
        if self.county.geography_source is None:
            return
        planned, listed = [], set()
        for feature in self.county.geography_source.get("features") or []:
            props = feature.get("properties") or {}
            code = str(props["code"])
            listed.add(code)
            fields = {"code": code, "name": str(props.get("name") or code), "level": props.get("level"),
                      "parent": props.get("parent"), "area": feature.get("geometry")}
            try:
                same = stored.drawn.get(code) == {**fields, "area": area_of(fields["area"])}
            except InvalidInput:
                same = False  # the domain says why, below
            if not same:
                planned.append((self._command("draw_jurisdiction", fields), f"drew jurisdiction {fields['name']} ({code})", None))
        planned += [(self._command("erase_jurisdiction", {"code": code}), f"erased jurisdiction {code}", None)
                    for code in stored.drawn if code not in listed]
        self._run(planned)

    def _kinds(self, stored: Stored) -> None:
        planned = []
        for group, kinds in self.county.kinds.items():
            for code, (zh, en) in kinds.items():
                if stored.kinds.get(group, {}).get(code) != (zh, en):
                    planned.append((self._command("declare_kind", {"group": group, "code": code, "zh": zh, "en": en}),
                                    f"declared {group} kind {code} ({zh} / {en})", None))
        self._run(planned)

    def _units(self, stored: Stored) -> dict[str, str]:
        ids = {name: str(unit.id) for name, (unit, _) in stored.units.items()}
        planned = [(self._command("register_unit", entry.model_dump()), f"registered unit {entry.name}", where)
                   for entry, where in self.county.units if entry.name not in stored.units]
        for (command, _, _), outcome in zip(planned, self._run(planned)):
            if not isinstance(outcome, BaseException):
                ids[command.args["name"]] = str(outcome.id)
        return ids

    def _resources(self, stored: Stored, unit_ids: dict[str, str]) -> None:
        planned = []
        listed = set()
        for entry, where in self.county.resources:
            listed.add(entry.name)
            unit = unit_ids.get(entry.unit)
            if unit is None:
                continue  # its unit was refused: said already
            details = {"kind": entry.kind, "unit": unit, "capacity": entry.capacity, "quantity": entry.quantity}
            found = stored.resources.get(entry.name)
            if found is None:
                planned.append((self._command("register_resource", {**details, "name": entry.name, "position": list(entry.position)}),
                                f"registered resource {entry.name}", where))
                continue
            resource = found[0]
            if [round(v, 6) for v in resource.position] != [round(v, 6) for v in entry.position]:
                planned.append((self._command("move_resource", {"position": list(entry.position)}, resource.id),
                                f"moved resource {entry.name} to {list(entry.position)}", where))
            if (resource.kind, resource.unit, resource.capacity, resource.quantity) != tuple(details.values()):
                planned.append((self._command("amend_resource", details, resource.id), f"amended resource {entry.name}", where))
        for name, (resource, by_setup) in stored.resources.items():
            if by_setup and name not in listed:
                planned.append((self._command("retire_resource", {"reason": f"left out of {self.county.path.name}"}, resource.id),
                                f"retired resource {name}", None))
        self._run(planned)

    def _people(self, stored: Stored, unit_ids: dict[str, str], reissue: str | None) -> None:
        planned, to_mint = [], []
        listed = {entry.name for entry, _ in self.county.people}
        for entry, where in self.county.people:
            unit = unit_ids.get(entry.unit) if entry.unit else None
            if entry.unit and unit is None:
                continue
            person = stored.people.get(entry.name)
            if person is None or not person.signed_in_or_pending():
                to_mint.append((entry, unit, where))
            elif (person.latest.role, person.latest.unit) != (entry.role, unit):
                planned += self._shut_out(entry.name, person, f"now {entry.role}" + (f" of {entry.unit}" if entry.unit else ""))
                to_mint.append((entry, unit, where))
            elif entry.name == reissue:
                planned += self._shut_out(entry.name, person, "a new sheet", tokens=False)
                to_mint.append((entry, unit, where))
        for name, person in stored.people.items():
            if name not in listed:
                planned += self._shut_out(name, person, f"left out of {self.county.path.name}")
        self._run(planned)
        for entry, unit, where in to_mint:
            try:
                made = mint_enrolment(self.app, role=entry.role, unit=unit, name=entry.name, expires=self.expires,
                                      settings=self.settings, meta=self.meta, signal=self.signal)
            except DomainError as error:
                self.outcome.refused.append(f"{where.file}:{where.line}: person {entry.name}: refused: {error.detail}")
                continue
            self.outcome.cards.append(Card(entry.name, entry.role, entry.unit, made))
            self.outcome.changes.append(f"made a one-time enrolment code for {entry.name}")

    def _shut_out(self, name: str, person: Person, why: str, tokens: bool = True) -> list[tuple[Command, str, None]]:
        """Withdraw the person's unused codes and (unless only the sheet is new) revoke the tokens setup's codes gave."""
        now = self.app.clock.now()
        planned = [(self._command("withdraw_enrolment", {}, offer.id), f"withdrew {name}'s unused code ({why})", None)
                   for offer in person.offers
                   if not offer.withdrawn and not offer.redeemed_by and datetime.fromisoformat(offer.expires_at) > now]
        if tokens:
            planned += [(self._command("revoke_token", {}, token.id), f"revoked {name}'s token ({why})", None)
                        for token in person.tokens if not token.revoked]
        return planned

    def _retire_units(self, stored: Stored) -> None:
        listed = {entry.name for entry, _ in self.county.units}
        self._run([(self._command("retire_unit", {"reason": f"left out of {self.county.path.name}"}, unit.id),
                    f"retired unit {name}", None)
                   for name, (unit, by_setup) in stored.units.items() if by_setup and name not in listed])
