"""A scenario file of any shape is refused with a line, never with a traceback: a value of the wrong type
(a list where a name goes, a mapping where a number goes, a control character) anywhere in a valid file."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.loader import ScenarioError, load

VALID: dict[str, Any] = {
    "scenario": "odd shapes", "start": "2026-03-01T08:00:00+08:00", "geography": str(Path(__file__).resolve().parents[2] / "scenarios" / "demo-county.geojson"),
    "actors": {"cmd": {"role": "commander", "name": "县指挥部"},
               "town": {"role": "unit", "name": "东山镇", "kind": "township", "jurisdiction": "510199003"},
               "team": {"role": "field", "unit": "town", "name": "东山网格员"}},
    "injects": [
        {"at": "+00:10", "by": "team", "do": "report_incident", "ref": "c1",
         "with": {"kind": "cluster", "title": "发热聚集", "location": [104.2493, 30.6626], "counts": {"confirmed": 1}}},
        {"at": "+00:20", "by": "cmd", "do": "set_level", "with": {"incident": "$c1", "level": "III", "reason": "聚集"}},
        {"at": "+00:30", "by": "cmd", "do": "assign_task",
         "with": {"incident": "$c1", "title": "流调", "lead": "town", "due": "+02:00"}},
    ],
    "expect": [{"at": "+01:00", "holds": {"open_incidents": 1}}],
}
ODD = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True), st.text(max_size=8),
                st.sampled_from(["\x7f", "a\x85b", "\x9b", "\x00", "+99:99", "$nope", "cmd"]),
                st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*path, key))
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            found += _paths(inner, (*path, n))
    return found


PATHS = _paths(VALID)


def _replaced(path: tuple[Any, ...], new: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(VALID))
    holder = doc
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = new
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), new=ODD, as_json=st.booleans())
def test_any_value_anywhere_is_refused_with_a_line_or_loads(tmp_path: Path, path: tuple[Any, ...], new: Any, as_json: bool) -> None:
    doc = _replaced(path, new)
    file = tmp_path / "odd.yaml"
    if as_json and isinstance(doc["injects"], list):  # each inject one line of JSON, as generated files write them
        text = "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in doc.items() if key != "injects")
        text += "injects:\n" + "".join(f"  - {json.dumps(i, ensure_ascii=False)}\n" for i in doc["injects"])
    else:
        text = json.dumps(doc, ensure_ascii=False, indent=1)
    file.write_text(text, encoding="utf-8")
    try:
        load(file)
    except ScenarioError as refused:
        assert refused.line >= 1 and str(refused)


def test_the_file_the_shapes_are_made_from_is_valid(tmp_path: Path) -> None:
    file = tmp_path / "valid.yaml"
    file.write_text(json.dumps(VALID, ensure_ascii=False), encoding="utf-8")
    assert len(load(file).injects) == 3
