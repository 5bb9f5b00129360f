"""Text that may be stored: what every text field of every command passes through.

Control characters never reach the store: PostgreSQL text cannot hold NUL, and the rest break
logs, exports, CAP (XML) and the page. Tab and newline are kept only in the fields that hold
several lines (MULTILINE, the one list of them), where CR and CRLF become LF. Names, titles and
other one-line fields also refuse the bidirectional controls that can make a label read backwards.
"""
from __future__ import annotations

import re
from typing import Any

from domain.errors import InvalidInput

# The fields that hold several lines (notes, descriptions, instructions, reasons, answers, notices).
MULTILINE = frozenset({"note", "description", "instruction", "reason", "answer", "notice"})

# C0 and C1 controls (Unicode category Cc), U+2028/U+2029, and lone surrogates (not text at all).
_NEVER = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NEVER_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a carriage return", "\x00": "NUL (U+0000)",
          "\u2028": "a line separator (U+2028)", "\u2029": "a paragraph separator (U+2029)"}


def is_multiline(field: str) -> bool:
    return field in MULTILINE


def checked_text(text: str, field: str) -> str:
    """`text` as it may be stored in `field`, or InvalidInput naming the field and the character."""
    if field in MULTILINE:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        bad = _NEVER_BUT_LINES.search(text)
    else:
        bad = _NEVER.search(text) or _BIDI.search(text)
    if bad:
        char = bad.group()
        name = _NAMES.get(char, f"the control character U+{ord(char):04X}")
        where = f"at character {bad.start() + 1}"
        if char in "\t\n" and field not in MULTILINE:
            raise InvalidInput(f"{field} is one line: it cannot contain {name} ({where}); "
                               f"only {', '.join(sorted(MULTILINE))} may hold several lines")
        if _BIDI.match(char):
            raise InvalidInput(f"{field} contains the bidirectional control U+{ord(char):04X} ({where}), "
                               "which can make a name read backwards; remove it")
        raise InvalidInput(f"{field} contains {name} ({where}), which text in Lianfang cannot hold; remove it")
    return text


def unstorable(value: Any) -> str | None:
    """The first character that no read model can store (NUL, a lone surrogate) anywhere in `value`."""
    # Plain loops, not generators: this runs over every field of every event (the writer's hot path).
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        return found.group() if found else None
    if isinstance(value, dict):
        for key, item in value.items():
            if (char := unstorable(key)) or (char := unstorable(item)):
                return char
        return None
    if isinstance(value, (list, tuple)):  # coordinates are long lists of numbers: only text and containers are looked at
        for item in value:
            if isinstance(item, (str, dict, list, tuple)) and (char := unstorable(item)):
                return char
    return None


_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
