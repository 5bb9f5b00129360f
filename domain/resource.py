"""Emergency resources (应急资源): teams, vehicles, sites and supplies, owned by a unit."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.base import Meta, Thing
from domain.errors import InvalidInput, NotPermitted, Refused
from domain.catalogue import check_kind, defaults
from domain.values import MAX_COUNT, point_of, text_of


def amount_of(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidInput(f"{what} must be a whole number from 0 to {MAX_COUNT}, not {value!r}")
    return value


class Resource(Thing):
    class ResourceRegistered(Thing.Created):
        kind: str
        name: str
        unit: str
        position: list[float]
        capacity: int | None
        quantity: int | None

    class ResourceMoved(Thing.Event):
        position: list[float]

        def apply(self, resource: Resource) -> None:
            resource.position = self.position

    class ResourceAssigned(Thing.Event):
        dispatch: str

        def apply(self, resource: Resource) -> None:
            resource.dispatch = self.dispatch

    class ResourceFreed(Thing.Event):
        dispatch: str

        def apply(self, resource: Resource) -> None:
            resource.dispatch = None

    class ResourceAmended(Thing.Event):
        kind: str
        unit: str
        capacity: int | None
        quantity: int | None

        def apply(self, resource: Resource) -> None:
            resource.kind, resource.unit = self.kind, self.unit
            resource.capacity, resource.quantity = self.capacity, self.quantity

    class ResourceRetired(Thing.Event):
        reason: str | None

        def apply(self, resource: Resource) -> None:
            resource.retired = True

    def __init__(self, kind: str, name: str, unit: str, position: list[float], capacity: int | None, quantity: int | None) -> None:
        self.kind = kind
        self.name = name
        self.unit = unit
        self.position = position
        self.capacity = capacity
        self.quantity = quantity
        self.dispatch: str | None = None
        self.retired = False

    @classmethod
    def register(
        cls, id: UUID, meta: Meta, *, kind: Any, name: Any, unit: str, position: Any,  # noqa: A002
        capacity: Any = None, quantity: Any = None, kinds: dict[str, tuple[str, str]] | None = None,
    ) -> Resource:
        meta.check_role("commander", "unit", doing="registering a resource")
        if meta.role == "unit" and meta.unit != unit:
            raise NotPermitted("a unit registers only its own resources")
        return cls.begin(
            cls.ResourceRegistered, id, meta,
            kind=check_kind(kind, kinds or defaults("resource"), "resource"), name=text_of(name, "name", max_len=100),
            unit=unit, position=point_of(position, "position"),
            capacity=amount_of(capacity, "capacity"), quantity=amount_of(quantity, "quantity"),
        )

    def move(self, meta: Meta, *, position: Any) -> None:
        self.check_owner(meta, "report this resource's position")
        self.check_in_service()
        self.happen(self.ResourceMoved, meta, position=point_of(position, "position"))

    def assign(self, meta: Meta, dispatch: str) -> None:
        self.happen(self.ResourceAssigned, meta, dispatch=dispatch)

    def free(self, meta: Meta) -> None:
        if self.dispatch is not None:
            self.happen(self.ResourceFreed, meta, dispatch=self.dispatch)

    def amend(self, meta: Meta, *, kind: Any, unit: str, capacity: Any, quantity: Any,
              kinds: dict[str, tuple[str, str]] | None = None) -> None:
        """The resource's kind, owning unit, capacity or quantity as the county now records them."""
        meta.check_role("commander", doing="amending a resource")
        self.check_in_service()
        fields = {"kind": check_kind(kind, kinds or defaults("resource"), "resource"), "unit": unit,
                  "capacity": amount_of(capacity, "capacity"), "quantity": amount_of(quantity, "quantity")}
        if fields == {"kind": self.kind, "unit": self.unit, "capacity": self.capacity, "quantity": self.quantity}:
            raise Refused(f"resource {self.name} already has these details: nothing to change")
        self.happen(self.ResourceAmended, meta, **fields)

    def retire(self, meta: Meta, *, reason: Any = None) -> None:
        """Taken out of service for good: it stays in the record, off the map, and takes no dispatch."""
        meta.check_role("commander", doing="retiring a resource")
        if self.retired:
            raise Refused(f"resource {self.name} is already retired")
        if self.dispatch is not None:
            raise Refused(f"resource {self.name} is on dispatch {self.dispatch}; release or cancel that dispatch "
                          "before retiring the resource")
        self.happen(self.ResourceRetired, meta, reason=text_of(reason, "reason", required=False, max_len=500))

    def check_in_service(self) -> None:
        if self.retired:
            raise Refused(f"resource {self.name} was retired; register it again if it is back in service")

    def check_available_for(self, kind: str, quantity: int) -> None:
        self.check_in_service()
        if self.kind != kind:
            raise Refused(f"resource {self.name} is a {self.kind}; the request is for a {kind}")
        if self.dispatch is not None:
            raise Refused(f"resource {self.name} is already committed to dispatch {self.dispatch}; release it first or choose another")
        if self.quantity is not None and quantity > self.quantity:
            raise Refused(f"resource {self.name} holds {self.quantity}; the request is for {quantity}")

    def check_owner(self, meta: Meta, to_do: str) -> None:
        if meta.role == "commander":
            return
        meta.check_role("commander", "unit", "field", doing=to_do)
        if meta.unit != self.unit:
            raise NotPermitted(f"only the command center or the owning unit may {to_do}")
