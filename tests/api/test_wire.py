"""The live feed's bytes (api/wire.py): every hand-spliced message is the JSON plain orjson would give."""
from __future__ import annotations

import json

import orjson
from hypothesis import given
from hypothesis import strategies as st

from api.wire import ascii_json, delta_frame, object_tail, snapshot_message

# Text from every plane: ASCII, Latin-1 (which Python's backslashreplace writes as \xNN), Chinese, and
# beyond the BMP (surrogate pairs in JSON); no lone surrogates, which orjson refuses.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
CHANGES = st.lists(st.dictionaries(TEXT, VALUES, max_size=3), max_size=3)
TIME = "2026-03-02T08:00:00+08:00"


@given(VALUES)
def test_ascii_json_is_ascii_and_the_same_json_value_as_orjson_gives(value: object) -> None:
    text = ascii_json(orjson.dumps(value))
    assert text.isascii()
    assert json.loads(text) == orjson.loads(orjson.dumps(value))


def test_ascii_json_escapes_latin_1_and_characters_beyond_the_bmp_as_json_does() -> None:
    assert ascii_json(orjson.dumps("é联😷")) == '"\\u00e9\\u8054\\ud83d\\ude37"'
    assert ascii_json(orjson.dumps("联防")) == '"\\u8054\\u9632"'


@given(st.dictionaries(TEXT, VALUES, min_size=1, max_size=4), st.sampled_from(["snapshot", "resync"]),
       st.integers(0, 2**63 - 1), TEXT)
def test_a_snapshot_message_is_ascii_and_the_object_orjson_would_write(rest: dict, kind: str, position: int, at: str) -> None:
    message = snapshot_message(kind, position, at, object_tail(rest))
    assert message.isascii()
    assert json.loads(message) == orjson.loads(orjson.dumps({"type": kind, "position": position, "at": at, **rest}))


@given(st.lists(CHANGES, min_size=1, max_size=4), st.integers(0, 2**63 - 1), st.sampled_from([TIME, 'a "quoted" \\ time']))
def test_a_frame_of_coalesced_deltas_holds_every_change_in_order(deltas: list, position: int, at: str) -> None:
    frame = delta_frame(position, at, [orjson.dumps(changes) for changes in deltas])
    assert orjson.loads(frame) == {"type": "delta", "position": position, "at": at, "coalesced": len(deltas),
                                   "changes": orjson.loads(orjson.dumps([c for changes in deltas for c in changes]))}
