"""Value objects of the domain: counts, levels, kinds, points."""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Any

from domain import terms
from domain.errors import InvalidInput
from domain.terms import chinese
from domain.text import checked_text

MAX_COUNT = 10_000_000


class Level(str, Enum):
    """Response level: I is the most serious."""

    I = "I"  # noqa: E741  (the level's own name)
    II = "II"
    III = "III"
    IV = "IV"


INCIDENT_KINDS = chinese(terms.INCIDENT_KINDS)
RESOURCE_KINDS = chinese(terms.RESOURCE_KINDS)
UNIT_KINDS = chinese(terms.UNIT_KINDS)

ROLES = ("commander", "unit", "field", "observer")


def level_of(value: Any) -> Level:
    try:
        return Level(value)
    except ValueError:
        raise InvalidInput(f"level must be one of I, II, III, IV (I is the most serious), not {value!r}") from None


def kind_of(value: Any, kinds: dict[str, str], what: str) -> str:
    if not isinstance(value, str) or value not in kinds:
        raise InvalidInput(f"{what} kind {value!r} is unknown; use one of: {', '.join(kinds)}")
    return str(value)


@dataclass(frozen=True)
class Counts:
    """Case counts; never negative. Field reports carry new counts, never totals."""

    confirmed: int = 0
    suspected: int = 0
    asymptomatic: int = 0
    close_contacts: int = 0

    @classmethod
    def parse(cls, raw: dict[str, Any] | None) -> Counts:
        raw = {} if raw is None else raw
        if not isinstance(raw, dict):
            raise InvalidInput("counts must be an object such as {\"confirmed\": 2, \"close_contacts\": 10}")
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise InvalidInput(
                f"unknown count {', '.join(sorted(unknown))}; counts are confirmed, suspected, asymptomatic, close_contacts"
            )
        for name, value in raw.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(f"count {name} must be a whole number, not {value!r}")
            if value < 0:
                raise InvalidInput(f"count {name} cannot be negative ({value}); report new cases found, never corrections below zero")
            if value > MAX_COUNT:
                raise InvalidInput(f"count {name} = {value} is beyond any county's scale (at most {MAX_COUNT})")
        return cls(**raw)

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple())))

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.confirmed, self.suspected, self.asymptomatic, self.close_contacts)

    def as_dict(self) -> dict[str, int]:
        # By hand, not dataclasses.asdict (a deep copy): this runs for every report.
        return {"confirmed": self.confirmed, "suspected": self.suspected, "asymptomatic": self.asymptomatic,
                "close_contacts": self.close_contacts}

    @property
    def cases(self) -> int:
        """New cases that reset a zone's clock (close contacts are not cases)."""
        return self.confirmed + self.suspected + self.asymptomatic


def finite(value: Any) -> float | None:
    """The number as a float when it is a finite one; None for anything else (a bool, text, NaN, a whole
    number too large for a float, such as 1 followed by 400 zeros)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def shown(value: Any, limit: int = 60) -> str:
    """A value as a refusal quotes it: its repr, cut short, so a refusal never echoes a whole hostile input."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def point_of(value: Any, what: str = "location") -> list[float]:
    """A WGS84 [lon, lat] pair (GeoJSON order)."""
    if isinstance(value, dict) and value.get("type") == "Point":
        value = value.get("coordinates")
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise InvalidInput(f"{what} must be [lon, lat] in WGS84, not {shown(value)}")
    lon, lat = value
    for name, v in (("longitude", lon), ("latitude", lat)):
        if finite(v) is None:
            raise InvalidInput(f"{what} {name} must be a finite number, not {shown(v)}")
    if not -180 <= lon <= 180:
        raise InvalidInput(f"{what} longitude {lon} is outside -180..180; coordinates are [lon, lat]")
    if not -90 <= lat <= 90:
        raise InvalidInput(f"{what} latitude {lat} is outside -90..90; coordinates are [lon, lat], not [lat, lon]")
    return [float(lon), float(lat)]


def text_of(value: Any, what: str, *, required: bool = True, max_len: int = 2000) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{what} is required")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text, not {type(value).__name__}")
    if len(value) > max_len:
        raise InvalidInput(f"{what} is {len(value)} characters; at most {max_len}")
    value = checked_text(value, what)
    check_no_personal_data(value, what)
    return value.strip() or (None if not required else _missing(what))


# Patients are counted, never named: free text must not carry a mainland ID number or mobile number.
_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")

# The same patterns for the pages (JavaScript reads these regular expressions alike), after NFKC and with
# spaces and dashes also removed.
PERSONAL_DATA_PATTERNS = {"id_number": _ID_NUMBER.pattern, "mobile": _MOBILE.pattern}


def check_no_personal_data(text: str, what: str) -> None:
    # Full-width digits (as Chinese input methods type them) and 6-8-4 groupings must not slip through.
    text = unicodedata.normalize("NFKC", text)
    text = text + "\n" + re.sub(r"[\s\-\u2010-\u2015]", "", text)
    if _ID_NUMBER.search(text):
        raise InvalidInput(f"{what} looks like it contains an ID-card number; Lianfang stores counts, never personal identifiers — remove it")
    if _MOBILE.search(text):
        raise InvalidInput(f"{what} looks like it contains a mobile number; Lianfang stores no personal contact data — remove it")


def _missing(what: str) -> str:
    raise InvalidInput(f"{what} is required")
