"""Dispatches (调度): requested → committed → en route → on scene → released, or cancelled."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import Meta, Thing
from domain.errors import InvalidInput, NotPermitted, Refused
from domain.incident import Incident
from domain.resource import Resource
from domain.catalogue import check_kind, defaults
from domain.values import MAX_COUNT, point_of, text_of

NEXT_STATE = {"commit": ("requested", "committed"), "depart": ("committed", "en_route"),
              "arrive": ("en_route", "on_scene"), "release": ("on_scene", "released")}
STATE_NAMES = {"requested": "requested", "committed": "committed", "en_route": "en route",
               "on_scene": "on scene", "released": "released", "cancelled": "cancelled"}


class Dispatch(Thing):
    class DispatchRequested(Thing.Created):
        incident: str
        kind: str
        quantity: int
        destination: list[float]

        def apply(self, dispatch: Dispatch) -> None:
            dispatch.requested_by = self.meta.get("unit") if self.meta.get("role") == "unit" else None

    class DispatchCommitted(Thing.Event):
        resource: str
        resource_unit: str

        def apply(self, dispatch: Dispatch) -> None:
            dispatch.state, dispatch.resource, dispatch.resource_unit = "committed", self.resource, self.resource_unit

    class DispatchDeparted(Thing.Event):
        reason: str | None

        def apply(self, dispatch: Dispatch) -> None:
            dispatch.state = "en_route"

    class DispatchArrived(Thing.Event):
        reason: str | None

        def apply(self, dispatch: Dispatch) -> None:
            dispatch.state = "on_scene"

    class DispatchReleased(Thing.Event):
        reason: str | None

        def apply(self, dispatch: Dispatch) -> None:
            dispatch.state = "released"

    class DispatchCancelled(Thing.Event):
        reason: str | None

        def apply(self, dispatch: Dispatch) -> None:
            dispatch.state = "cancelled"

    def __init__(self, incident: str, kind: str, quantity: int, destination: list[float]) -> None:
        self.incident = incident
        self.kind = kind
        self.quantity = quantity
        self.destination = destination
        self.state = "requested"
        self.resource: str | None = None
        self.resource_unit: str | None = None
        self.requested_by: str | None = None  # the unit that requested it (None: the command center)

    @classmethod
    def request(
        cls, id: UUID, meta: Meta, incident: Incident, *, kind: Any, quantity: Any = 1, destination: Any = None,  # noqa: A002
        kinds: dict[str, tuple[str, str]] | None = None,
    ) -> Dispatch:
        meta.check_role("commander", "unit", doing="requesting a resource")
        incident.check_open("get new dispatches")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_COUNT:
            raise InvalidInput(f"quantity must be a whole number from 1 to {MAX_COUNT}, not {quantity!r}")
        return cls.begin(
            cls.DispatchRequested, id, meta, incident=str(incident.id),
            kind=check_kind(kind, kinds or defaults("resource"), "resource"), quantity=quantity,
            destination=point_of(destination, "destination") if destination is not None else list(incident.location),
        )

    def commit(self, meta: Meta, resource: Resource) -> None:
        meta.check_role("commander", "unit", doing="committing a resource")
        resource.check_owner(meta, "commit this resource")
        self.check_step("commit")
        resource.check_available_for(self.kind, self.quantity)
        resource.assign(meta, str(self.id))
        self.happen(self.DispatchCommitted, meta, resource=str(resource.id), resource_unit=resource.unit)

    def depart(self, meta: Meta, resource: Resource, *, reason: Any = None) -> None:
        self._step("depart", self.DispatchDeparted, meta, resource, reason=text_of(reason, "reason", required=False, max_len=500))

    def arrive(self, meta: Meta, resource: Resource, *, reason: Any = None) -> None:
        self._step("arrive", self.DispatchArrived, meta, resource, reason=text_of(reason, "reason", required=False, max_len=500))

    def release(self, meta: Meta, resource: Resource, *, reason: Any = None) -> None:
        self._step("release", self.DispatchReleased, meta, resource, reason=text_of(reason, "reason", required=False, max_len=500))
        resource.free(meta)

    def cancel(self, meta: Meta, resource: Resource | None, *, reason: Any = None) -> None:
        meta.check_role("commander", "unit", doing="cancelling a dispatch")
        self.check_requested_by(meta, "cancel it")
        if self.state not in ("requested", "committed"):
            raise Refused(f"a dispatch that is {STATE_NAMES[self.state]} cannot be cancelled; only requested or committed ones can")
        reason = text_of(reason, "reason", required=False, max_len=500)
        self.happen(self.DispatchCancelled, meta, reason=reason)
        if resource is not None:
            resource.free(meta)

    def _step(self, step: str, event_class: type[Thing.Event], meta: Meta, resource: Resource, **fields: Any) -> None:
        self.check_step(step)
        assert resource is not None, "a committed dispatch names its resource"
        resource.check_owner(meta, f"{step} this dispatch")
        self.happen(event_class, meta, **fields)

    def check_requested_by(self, meta: Meta, to_do: str) -> None:
        """A unit answers for the dispatches it requested; the command center for all of them."""
        if meta.role != "commander" and (self.requested_by is None or meta.unit != self.requested_by):
            requester = "the command center" if self.requested_by is None else "another unit"
            raise NotPermitted(f"this dispatch was requested by {requester}; only the unit that requested a dispatch, "
                               f"or the command center, may {to_do}")

    def check_step(self, step: str) -> None:
        expected, _ = NEXT_STATE[step]
        if self.state != expected:
            raise Refused(
                f"cannot {step} a dispatch that is {STATE_NAMES[self.state]}; {step} follows {STATE_NAMES[expected]}"
            )
