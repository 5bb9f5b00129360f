"""The one error type of the CAP codec."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class CapError(ValueError):
    """A CAP document or alert that cannot be accepted.

    `path` names the element (`/alert/info[1]/urgency`) or dict key (`alert.info[0].urgency`)
    that is wrong; `reason` says what is wrong with it.
    """

    def __init__(self, reason: str, path: str | None = None) -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)


@contextmanager
def at(path: str) -> Iterator[None]:
    """Give a CapError raised without a location the location `path`."""
    try:
        yield
    except CapError as exc:
        if exc.path is not None:
            raise
        raise CapError(exc.reason, path) from None
