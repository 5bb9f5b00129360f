"""The live feed's bytes: messages spliced from parts encoded once, and JSON as ASCII text.

Every function here gives the JSON value plain `orjson.dumps` would give for the same message
(tests/api/test_wire.py checks it), only cheaper: a snapshot is encoded once for all its viewers and
restamped per send, a frame joins the deltas' arrays already encoded, and a browser decodes a
one-byte string twice as fast as one with Chinese in it.
"""
from __future__ import annotations

import codecs

import orjson


def _json_escapes(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: characters as JSON `\\uXXXX` escapes (surrogate pairs beyond the BMP)."""
    assert isinstance(error, UnicodeEncodeError)
    escaped = []
    for character in error.object[error.start:error.end]:
        code = ord(character)
        if code > 0xFFFF:
            code -= 0x10000
            escaped.append("\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))
        else:
            escaped.append("\\u%04x" % code)
    return "".join(escaped), error.end


codecs.register_error("lianfang-json-escapes", _json_escapes)
# UTF-8 lead bytes of the characters Python's own backslashreplace would not escape as JSON does:
# U+0080..U+00FF (it writes \xNN) and beyond the BMP (it writes \UXXXXXXXX).
_NOT_AS_JSON = (b"\xc2", b"\xc3", b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")


def ascii_json(encoded: bytes) -> str:
    """UTF-8 JSON as ASCII text, every other character escaped: a browser decodes a one-byte string
    of 25 MB twice as fast as one with Chinese in it, and parses it faster. The same JSON value."""
    text = encoded.decode()
    if text.isascii():
        return text
    if not any(lead in encoded for lead in _NOT_AS_JSON):
        return text.encode("ascii", "backslashreplace").decode("ascii")  # (fast: all of it in C)
    return text.encode("ascii", "lianfang-json-escapes").decode("ascii")


def object_tail(value: dict) -> str:
    """An object's members after its opening brace, as ASCII JSON: what follows a message's spliced head."""
    return ascii_json(orjson.dumps(value))[1:]


def snapshot_message(kind: str, position: int, at: str, tail: str) -> str:
    """A snapshot (or resync) message: its type, position and time, then the members of `tail`."""
    return '{"type":"%s","position":%d,"at":%s,%s' % (kind, position, ascii_json(orjson.dumps(at)), tail)


def delta_frame(position: int, at: str, changes: list[bytes]) -> bytes:
    """One frame for coalesced deltas: their encoded `changes` arrays joined into one, in order."""
    if len(changes) == 1:
        joined = changes[0]
    else:
        joined = b"[" + b",".join(part[1:-1] for part in changes if len(part) > 2) + b"]"
    return b'{"type":"delta","position":%d,"at":%s,"coalesced":%d,"changes":' % (position, orjson.dumps(at), len(changes)) + joined + b"}"
