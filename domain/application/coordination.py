"""The Coordination application: one method per command of the contract (get → decide → save)."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from domain.access import Token, token_id
from domain.alert import Alert, digest_of, message_id
from domain.base import Meta, Thing
from domain.clock import Clock, Ids
from domain.county import CountyRecords
from domain.dispatch import Dispatch
from domain.enrolment import CodeGone, Enrolment, enrolment_id
from domain.errors import InvalidInput, NotFound, Refused
from domain.incident import Incident
from domain.application.recent import RecentThings
from domain.resource import Resource
from domain.skip import EventSkip, skip_id
from domain.task import Task
from domain.unit import Unit
from domain.application.unit_of_work import UnitOfWork, current
from domain.zone import Zone


class Coordination(CountyRecords, Application):
    """The county's coordination record. Commands run inside a unit of work (see writer.py)."""

    name = "Coordination"

    def __init__(self, env: dict[str, str] | None = None, *, clock: Clock | None = None, ids: Ids | None = None) -> None:
        super().__init__(env)
        self.clock = clock or Clock()
        self.ids = ids or Ids()
        self.recent = RecentThings()

    # -- reading and staging inside the current unit of work -------------------------------

    def load(self, cls: type[Thing], thing_id: Any, field: str) -> Any:
        """The thing of that kind with that id, as this unit of work sees it."""
        uow = current()
        try:
            uuid = thing_id if isinstance(thing_id, UUID) else UUID(str(thing_id))
        except (ValueError, TypeError, AttributeError):
            raise NotFound(f"{field} {thing_id!r} is not an id", field=field) from None
        thing = uow.things.get(uuid)
        if thing is None:
            try:
                thing = self.repository.get(uuid)
            except AggregateNotFoundError:
                raise NotFound(f"no {cls.__name__.lower()} with id {uuid} ({field})", field=field) from None
            uow.things[uuid] = thing
        uow.touched(thing)
        if not isinstance(thing, cls):
            raise NotFound(f"{field} {uuid} is a {type(thing).__name__.lower()}, not a {cls.__name__.lower()}", field=field)
        uow.check_expected_version(thing)
        return thing

    def stage(self, main: Thing, *others: Thing) -> UUID:
        """Stage the command's things for the shared commit; `main` is the thing the answer names."""
        return current().stage(main, *others)

    # -- units, tokens ----------------------------------------------------------------------

    def register_unit(self, meta: Meta, *, name: Any, kind: Any, jurisdiction: Any = None) -> UUID:
        """Register a responsible unit (责任单位)."""
        return self.stage(Unit.register(self.ids.new(), meta, name=name, kind=kind, jurisdiction=jurisdiction))

    def retire_unit(self, meta: Meta, unit: Any, *, reason: Any = None) -> UUID:
        """Retire a unit that no longer exists (never deleted: the record still names it)."""
        found = self.load(Unit, unit, "unit")
        found.retire(meta, reason=reason)
        return self.stage(found)

    def _unit_in_service(self, unit: Any, field: str, to_do: str) -> Unit:
        found = self.load(Unit, unit, field)
        found.check_active(to_do)
        return found

    def issue_token(self, meta: Meta, *, secret_hash: str, role: Any, unit: Any = None, name: Any = None) -> UUID:
        """Issue an access token (only its hash is recorded)."""
        if unit is not None:
            unit = str(self._unit_in_service(unit, "unit", "be given a token").id)
        return self.stage(Token.issue(meta, secret_hash=secret_hash, role=role, unit=unit, name=name))

    def revoke_token(self, meta: Meta, token: Any) -> UUID:
        """Revoke an access token: it fails at once everywhere."""
        revoked = self.load(Token, token, "token")
        revoked.revoke(meta)
        return self.stage(revoked)

    def offer_enrolment(self, meta: Meta, *, code_hash: str, role: Any, unit: Any = None, name: Any = None,
                        expires_at: Any) -> UUID:
        """Offer a one-time enrolment code (only its hash is recorded)."""
        if unit is not None:
            unit = str(self._unit_in_service(unit, "unit", "enrol a member").id)
        return self.stage(Enrolment.offer(meta, code_hash=code_hash, role=role, unit=unit, name=name,
                                          expires_at=datetime.fromisoformat(expires_at)))

    def withdraw_enrolment(self, meta: Meta, enrolment: Any) -> UUID:
        """Withdraw an enrolment code nobody has used yet: it stops working at once."""
        offer = self.load(Enrolment, enrolment, "enrolment")
        offer.withdraw(meta)
        return self.stage(offer)

    def redeem_enrolment(self, meta: Meta, *, code_hash: str, device: Any, secret_hash: str, token_expires_at: Any) -> UUID:
        """Exchange an enrolment code, once, for this device's own token."""
        try:
            offer = self.load(Enrolment, enrolment_id(code_hash), "code")
        except NotFound:
            raise CodeGone("this enrolment code is unknown, used or expired; ask for a new one") from None
        token = Token.enrol(meta, secret_hash=secret_hash, role=offer.role, unit=offer.unit, name=offer.name,
                            device=device, expires_at=datetime.fromisoformat(token_expires_at))
        offer.redeem(meta, token=str(token.id), device=token.device, now=meta.at)
        return self.stage(token, offer)

    def find_token(self, secret_hash: str) -> Token | None:
        try:
            found = self.repository.get(token_id(secret_hash))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Token) else None

    # -- incidents ----------------------------------------------------------------------------

    def report_incident(self, meta: Meta, *, kind: Any, title: Any, location: Any, jurisdiction: Any = None, counts: Any = None) -> UUID:
        """Report a public-health incident."""
        return self.stage(Incident.report(
            self.ids.new(), meta, kind=kind, title=title, location=location, jurisdiction=jurisdiction, counts=counts,
            kinds=self.kinds("incident"),
        ))

    def file_report(self, meta: Meta, incident: Any, *, new: Any, note: Any = None, position: Any = None) -> UUID:
        """A field team's report: cases newly found since its last report, a note, a position."""
        found = self.load(Incident, incident, "incident")
        found.file_report(meta, new=new, note=note, position=position)
        return self.stage(found)

    def set_level(self, meta: Meta, incident: Any, *, level: Any, reason: Any = None) -> UUID:
        """Raise or lower the response level (I–IV), with a reason."""
        found = self.load(Incident, incident, "incident")
        found.set_level(meta, level=level, reason=reason)
        return self.stage(found)

    def close_incident(self, meta: Meta, incident: Any, *, reason: Any = None) -> UUID:
        """Close an incident, with a reason."""
        found = self.load(Incident, incident, "incident")
        found.close(meta, reason=reason)
        return self.stage(found)

    # -- zones --------------------------------------------------------------------------------

    def declare_zone(self, meta: Meta, *, incident: Any, kind: Any, area: Any, name: Any = None) -> UUID:
        """Declare a control zone for an open incident."""
        found = self.load(Incident, incident, "incident")
        return self.stage(Zone.declare(self.ids.new(), meta, found, kind=kind, area=area, name=name))

    def downgrade_zone(self, meta: Meta, zone: Any, *, reason: Any = None) -> UUID:
        """Downgrade a zone one step: sealed → controlled → prevention."""
        found = self.load(Zone, zone, "zone")
        found.downgrade(meta, reason=reason)
        return self.stage(found)

    def lift_zone(self, meta: Meta, zone: Any, *, reason: Any = None) -> UUID:
        """Lift a zone."""
        found = self.load(Zone, zone, "zone")
        found.lift(meta, reason=reason)
        return self.stage(found)

    # -- resources and dispatches -------------------------------------------------------------

    def register_resource(
        self, meta: Meta, *, kind: Any, name: Any, unit: Any, position: Any, capacity: Any = None, quantity: Any = None,
    ) -> UUID:
        """Register a resource owned by a unit."""
        owner = self._unit_in_service(unit, "unit", "own a resource")
        return self.stage(Resource.register(
            self.ids.new(), meta, kind=kind, name=name, unit=str(owner.id), position=position,
            capacity=capacity, quantity=quantity, kinds=self.kinds("resource"),
        ))

    def move_resource(self, meta: Meta, resource: Any, *, position: Any) -> UUID:
        """A field team's or vehicle's new position."""
        found = self.load(Resource, resource, "resource")
        found.move(meta, position=position)
        return self.stage(found)

    def amend_resource(self, meta: Meta, resource: Any, *, kind: Any, unit: Any, capacity: Any = None,
                       quantity: Any = None) -> UUID:
        """Record a resource's new kind, owning unit, capacity or quantity."""
        found = self.load(Resource, resource, "resource")
        owner = self._unit_in_service(unit, "unit", "own a resource")
        found.amend(meta, kind=kind, unit=str(owner.id), capacity=capacity, quantity=quantity, kinds=self.kinds("resource"))
        return self.stage(found)

    def retire_resource(self, meta: Meta, resource: Any, *, reason: Any = None) -> UUID:
        """Take a resource out of service for good (it stays in the record, off the map)."""
        found = self.load(Resource, resource, "resource")
        found.retire(meta, reason=reason)
        return self.stage(found)

    def request_dispatch(self, meta: Meta, *, incident: Any, kind: Any, quantity: Any = 1, destination: Any = None) -> UUID:
        """Request a resource of a kind for an incident."""
        found = self.load(Incident, incident, "incident")
        return self.stage(Dispatch.request(self.ids.new(), meta, found, kind=kind, quantity=quantity, destination=destination,
                                            kinds=self.kinds("resource")))

    def commit_dispatch(self, meta: Meta, dispatch: Any, *, resource: Any) -> UUID:
        """Commit a named resource to a requested dispatch."""
        found = self.load(Dispatch, dispatch, "dispatch")
        committed = self.load(Resource, resource, "resource")
        found.commit(meta, committed)
        return self.stage(found, committed)

    def depart(self, meta: Meta, dispatch: Any, *, reason: Any = None) -> UUID:
        """The committed resource has set off."""
        found, resource = self._dispatch_and_resource(dispatch)
        found.depart(meta, resource, reason=reason)
        return self.stage(found)

    def arrive(self, meta: Meta, dispatch: Any, *, reason: Any = None) -> UUID:
        """The resource is on scene."""
        found, resource = self._dispatch_and_resource(dispatch)
        found.arrive(meta, resource, reason=reason)
        return self.stage(found)

    def release(self, meta: Meta, dispatch: Any, *, reason: Any = None) -> UUID:
        """The resource is released and free again."""
        found, resource = self._dispatch_and_resource(dispatch)
        found.release(meta, resource, reason=reason)
        return self.stage(found, *([resource] if resource else []))

    def cancel_dispatch(self, meta: Meta, dispatch: Any, *, reason: Any = None) -> UUID:
        """Cancel a requested or committed dispatch."""
        found, resource = self._dispatch_and_resource(dispatch)
        found.cancel(meta, resource, reason=reason)
        return self.stage(found, *([resource] if resource else []))

    def _dispatch_and_resource(self, dispatch: Any) -> tuple[Dispatch, Resource | None]:
        found = self.load(Dispatch, dispatch, "dispatch")
        resource = self.load(Resource, found.resource, "resource") if found.resource else None
        return found, resource

    # -- joint tasks ---------------------------------------------------------------------------

    def assign_task(
        self, meta: Meta, *, title: Any, lead: Any, due: Any, cooperating: Any = (), incident: Any = None, zone: Any = None,
        description: Any = None,
    ) -> UUID:
        """Assign a joint task to a lead unit, with cooperating units and a due time."""
        if not isinstance(cooperating, (list, tuple)):
            raise InvalidInput("cooperating must be a list of unit ids")
        lead_unit = self._unit_in_service(lead, "lead", "lead a task")
        partners = [str(self.load(Unit, u, "cooperating").id) for u in cooperating]
        incident_id = str(self.load(Incident, incident, "incident").id) if incident else None
        zone_id = str(self.load(Zone, zone, "zone").id) if zone else None
        return self.stage(Task.assign(
            self.ids.new(), meta, title=title, lead=str(lead_unit.id), due=due,
            cooperating=partners, incident=incident_id, zone=zone_id, description=description,
        ))

    def claim_task(self, meta: Meta, task: Any) -> UUID:
        """The lead unit takes the task (认领)."""
        return self._on_task(task, lambda t: t.claim(meta))

    def report_progress(self, meta: Meta, task: Any, *, percent: Any, note: Any = None) -> UUID:
        """Report progress on a claimed task."""
        return self._on_task(task, lambda t: t.report_progress(meta, percent=percent, note=note))

    def complete_task(self, meta: Meta, task: Any) -> UUID:
        """Mark a claimed task done."""
        return self._on_task(task, lambda t: t.complete(meta))

    def refuse_task(self, meta: Meta, task: Any, *, reason: Any) -> UUID:
        """The lead unit refuses the task, with a reason."""
        return self._on_task(task, lambda t: t.refuse(meta, reason=reason))

    def supervise_task(self, meta: Meta, task: Any, *, notice: Any, answer_by: Any) -> UUID:
        """The command center presses the lead unit with a supervision notice (督办单)."""
        return self._on_task(task, lambda t: t.supervise(meta, notice=notice, answer_by=answer_by))

    def answer_supervision(self, meta: Meta, task: Any, *, answer: Any) -> UUID:
        """The lead unit answers the oldest open supervision notice."""
        return self._on_task(task, lambda t: t.answer_supervision(meta, answer=answer))

    def _on_task(self, task: Any, act: Any) -> UUID:
        found = self.load(Task, task, "task")
        act(found)
        return self.stage(found)

    # -- alerts ----------------------------------------------------------------------------------

    def issue_alert(self, meta: Meta, *, incident: Any = None, **fields: Any) -> UUID:
        """Issue a public alert (CAP 1.2 fields)."""
        incident_id = str(self.load(Incident, incident, "incident").id) if incident else None
        return self.stage(Alert.issue(self.ids.new(), meta, incident=incident_id, **fields))

    def import_alert(self, meta: Meta, *, own_sender: str, **fields: Any) -> UUID:
        """Take in a CAP 1.2 message from another system (already parsed), keeping its sender, identifier,
        sent time, references and status. The same message again is the same alert; an Update or Cancel
        whose references name an alert imported here updates or cancels that alert."""
        if "incident" in fields:
            raise InvalidInput("an imported alert belongs to no incident here; leave incident out")
        sender, identifier, kind = fields["sender"], fields["identifier"], fields["msg_type"]
        if sender == own_sender:
            raise Refused(f"this alert was sent by this deployment ({sender}): it is already in the record here")
        note = fields.pop("note", None)
        digest = digest_of(fields)
        first = self._found(Alert, message_id(sender, identifier))
        if first is not None:
            first.check_not_received(sender, identifier, digest)
            raise Refused(f"alert {first.id} was already imported from {sender} with identifier {identifier}, "
                          "and has since changed; send the change as an Update with a new identifier")
        message = {"sender": sender, "identifier": identifier, "sent": fields["sent"], "digest": digest}
        for earlier in self._referenced_alerts(fields["references"]):
            earlier.check_not_received(sender, identifier, digest)
            if kind == "Cancel":
                earlier.take_cancel(meta, message, reason=note)
            else:
                content = {k: v for k, v in fields.items() if k not in ("sender", "identifier", "sent", "msg_type", "references")}
                earlier.take_update(meta, message, **content)
            return self.stage(earlier)
        if kind == "Cancel":
            raise InvalidInput("a Cancel is imported only for an alert imported here; its references name none "
                               "(to cancel an alert of ours, POST /api/v1/alerts/{id}/cancel)")
        return self.stage(Alert.issue(message_id(sender, identifier), meta, digest=digest, **fields))

    def _found(self, cls: type[Thing], thing_id: UUID) -> Any:
        try:
            return self.load(cls, thing_id, "alert")
        except NotFound:
            return None

    def _referenced_alerts(self, references: list[str]) -> list[Alert]:
        """The alerts imported here that CAP references ("sender,identifier,sent") name, latest first."""
        found = [self._found(Alert, message_id(*ref.split(",")[:2])) for ref in reversed(references)]
        return [a for a in found if a is not None][:1]

    def update_alert(self, meta: Meta, alert: Any, **changes: Any) -> UUID:
        """Update an alert's fields (headline, severity, urgency, certainty, description, instruction, expires)."""
        found = self.load(Alert, alert, "alert")
        found.update(meta, **changes)
        return self.stage(found)

    def cancel_alert(self, meta: Meta, alert: Any, *, reason: Any = None) -> UUID:
        """Cancel an alert."""
        found = self.load(Alert, alert, "alert")
        found.cancel(meta, reason=reason)
        return self.stage(found)

    # -- read models -----------------------------------------------------------------------------

    def skip_event(self, meta: Meta, *, position: Any, reason: Any) -> UUID:
        """An operator skips the stored event at `position` in every read model that cannot take it."""
        head = self.recorder.max_notification_id() or 0
        if isinstance(position, int) and not isinstance(position, bool) and position > head:
            raise InvalidInput(f"there is no event at position {position}: the log ends at {head}")
        if (existing := self._skip_of(position)) is not None:
            raise Refused(f"the event at position {position} was already skipped: {existing.reason}")
        return self.stage(EventSkip.decide(meta, position=position, reason=reason))

    def _skip_of(self, position: Any) -> EventSkip | None:
        try:
            return self.repository.get(skip_id(position)) if isinstance(position, int) else None
        except AggregateNotFoundError:
            return None
