"""Domain errors: each says what was refused and what the person can do about it."""
from __future__ import annotations


class DomainError(Exception):
    """A command the domain refused, with a reason a person can act on."""

    title = "Command refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(DomainError):
    """The values given cannot be right (negative counts, bad geometry, unknown kind)."""

    title = "Invalid input"


class NotFound(DomainError):
    """The thing named does not exist. `field` names where the id came from."""

    title = "Not found"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class Refused(DomainError):
    """The thing exists, but its current state does not allow this command."""

    title = "Not allowed in this state"


class NotPermitted(DomainError):
    """The actor's role or unit does not allow this command."""

    title = "Not permitted"


class Forbidden(NotPermitted):
    """The token's role, unit or jurisdiction does not allow this command (checked before the domain sees it)."""

    title = "Forbidden"


class StaleVersion(Refused):
    """The thing changed since the caller last read it."""

    title = "Version conflict"


class IdempotencyKeyReused(Refused):
    """The same Idempotency-Key was sent earlier with a different request."""

    title = "Idempotency-Key reused"
