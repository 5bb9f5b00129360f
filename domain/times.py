"""Times given by people: ISO-8601 with an offset, within one sane range for every time the server takes."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.errors import InvalidInput

EARLIEST = datetime.fromisoformat("2000-01-01T00:00:00+08:00")  # the county keeps Beijing time
# Far enough for any plan, near enough that every sum the read models make (a due time plus hours,
# a zone's last case plus quiet days) stays a representable date.
LATEST = datetime.fromisoformat("2100-01-01T00:00:00+00:00")


def time_of(value: Any, what: str, *, now: datetime | None = None) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{what} must be an ISO-8601 time such as 2026-03-01T08:00:00+08:00, not {value!r}") from None
    else:
        raise InvalidInput(f"{what} must be an ISO-8601 time such as 2026-03-01T08:00:00+08:00")
    if moment.tzinfo is None:
        raise InvalidInput(f"{what} needs a UTC offset, e.g. +08:00 for Beijing time")
    if moment < EARLIEST:
        raise InvalidInput(f"{what} {value} is before 2000; check the date")
    if moment >= LATEST:
        raise InvalidInput(f"{what} {value} is not before 2100; check the date")
    if now is not None and moment > now + timedelta(days=3650):
        raise InvalidInput(f"{what} {value} is more than ten years ahead; check the date")
    return moment


def occurred_time(value: Any, now: datetime) -> str | None:
    """Field time as reported: may lag the record (bad networks), never lead it by much."""
    if value is None:
        return None
    moment = time_of(value, "occurred_at", now=now)
    if moment > now + timedelta(minutes=10):
        raise InvalidInput(f"occurred_at {value} is in the future; phones should send the time the thing was seen")
    return moment.isoformat()
