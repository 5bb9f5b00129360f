"""A scenario's one-line JSON injects are read by `json`, and the reading is exactly YAML's (values, lines, refusals)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_texts import SCENARIO_FILES

from bench.drill_file import write
from scenarios.located import MAX_DEPTH, PLACEHOLDER, Located, YamlProblem

SOME = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def reading(text: str, json_lines: bool) -> tuple[str, Any]:
    try:
        doc = Located(text, json_lines=json_lines)
    except YamlProblem as problem:
        return "refused", (problem.line, problem.message)
    except Exception as error:  # noqa: BLE001  (a reader error escapes both readings alike, today)
        return "raised", (type(error).__name__, str(error))
    return "read", doc


def assert_same(text: str) -> Located | None:
    """Both readings agree: the same refusal, or the same value and the same line for every part of it."""
    fast, plain = reading(text, True), reading(text, False)
    assert fast[0] == plain[0], (fast, plain)
    if fast[0] != "read":
        assert fast[1] == plain[1]
        return None
    quick, slow = fast[1], plain[1]
    assert json.dumps(quick.value, default=repr) == json.dumps(slow.value, default=repr)  # 1 and True, 1.0 and 1 differ
    for path, line in slow.lines.items():
        assert quick.line(path) == line, path
        assert quick.line((*path, "no such part")) == slow.line((*path, "no such part"))
    return quick


def test_a_generated_drill_reads_its_injects_as_json_and_means_the_same(tmp_path: Path) -> None:
    text = write(tmp_path / "drill.yaml", 300).read_text(encoding="utf-8")
    doc = assert_same(text)
    assert doc is not None and doc.read_as_json == 300


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_the_shipped_scenarios_read_the_same(path: Path) -> None:
    assert_same(path.read_text(encoding="utf-8"))


HEAD = 'scenario: x\ninjects:\n  - {"at": "+00:01", "by": "cmd"}\n'
ODD_LINES = [
    '  - {"n": 1e5}', '  - {"n": 1.5e+10}', '  - {"n": 1E-7}', '  - {"n": Infinity}', '  - {"n": NaN}',
    '  - {"n": 12345678901234567890}', '  - {"n": 9223372036854775808}', '  - {"n": -9223372036854775807}',
    '  - {"a": 1, "a": 2}', '  - {"s": "caf\\u00e9"}', '  - {"s": "\\ud83d\\ude00"}', '  - {"s": "\\ud800"}',
    '  - {"' + "k" * 1100 + '": 1}', '  - {"' + "k" * 300 + '": 1}', '  - {"s": "' + "v" * 5000 + '"}',
    '  - {"a":1}', '  - { "a": 1 }', '  - {"a": 1.50}', '  - {"a": -0}', '  - {"a": 01}', '  - {"a": 1}  # note',
    '  - {"a": 1} ', '  - {"a": "tab\there"}', '  - {"a": "\\t\\n\\r\\b\\f\\"\\\\"}', '  - {"a": "\\/"}',
    '  - {"a": "x #y: z, [q]"}', '  - {"a": "  padded  "}', '  - {"a": [1, [2, [3, {}]], []]}', '  - {"a": null, "b": true, "c": false}',
    '  - {"a": -0.0}', '  - {"a": 0.1}', '  - {"a": 118.12345}', '  - {"": 1}', '  - {"a": "' + "\u2028" + '"}',
    '  - {"a": "\x85"}', '  - {"a": "\x7f"}', '  - {"a": "\ufeff"}', '  - {"a": "' + PLACEHOLDER + '"}', '  - {"at": "+01:30\\n"}',
    '  - ' + '{"a": ' * (MAX_DEPTH + 2) + "1" + "}" * (MAX_DEPTH + 2), '  - ' + '{"a": ' * 55 + "1" + "}" * 55,
    '  - {"a": 1}: 2', '- {"a": 1}', '    - {"a": 1}', '  - {"a": 1}\n    more', '  - {"a": 1}\n  : b',
    '  - {"a": 1}\n  - *x', '  - &x {"a": 1}', '  - {"a": 1}\n  - !!python/object {"a": 1}', '  - {"a": 1}\n  - {"a": 1',
    'note: |\n  - {"a": 1}', "note: '\n  - {\"a\": 1}\n  '", 'note: x\n  - {"a": 1}', 'x: [\n  - {"a": 1}\n  ]',
    '? - {"a": 1}\n: 2', '  - [{"a": 1}]', '  - {"a": {"b": [1, 2.5, "c"]}}', '  - {"a": 1}\r\n  - {"b": 2}',
    '  - {"a": "\\u2063"}', '  - {"a": "日本語 テキスト"}', '  - {"a": "\U0001F600"}', '  -  {"a": 1}', '  -\t{"a": 1}',
]


@pytest.mark.parametrize("line", ODD_LINES)
def test_odd_lines_read_the_same(line: str) -> None:
    assert_same(HEAD + line + "\n")
    assert_same(HEAD + line + '\n  - {"at": "+00:02"}\nexpect: []\n')
    assert_same("\ufeff" + HEAD + line + "\n")


def test_a_refusal_elsewhere_keeps_its_line_and_words() -> None:
    lines = ["scenario: x", "injects:"] + [f'  - {{"at": "+00:{n:02d}"}}' for n in range(40)] + ["  - {a: [1}", ""]
    assert reading("\n".join(lines), True) == ("refused", (43, reading("\n".join(lines), False)[1][1]))
    assert_same("\n".join(lines))
    twice = ["scenario: x", "injects:"] + [f'  - {{"at": "+00:{n:02d}"}}' for n in range(5)] + ["scenario: y", ""]
    assert reading("\n".join(twice), True) == ("refused", (8, "the key 'scenario' appears twice"))


SPECIAL = st.sampled_from(['"', "\\", "\n", "\t", "#", ": ", ", ", "[", "{", "*a", "&a", "!", "\u2028", "\x85", "\x00"])  # DEL: in ODD_LINES (a file with one is refused whole)
PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
texts = st.lists(st.one_of(*[PRINTABLE] * 8, SPECIAL), max_size=8).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.floats(min_value=-1e4, max_value=1e4) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
FRAGMENTS = ["  - plain", "  - 'quoted'", "note: |", "    - {\"a\": 1}", "x: [", "]", "  - *a", "  - &a 1", "# - {\"a\": 1}",
             "  ? k", "  : v", "    more text", "  - {a: 1, b: [1, 2]}", "y: \"open", "  - 10:30", "  - 2026-03-01",
             "  - !!binary aGk=", "expect:", "  -", "    - {\"b\": 2}", "\t- {\"a\": 1}", ""]


@st.composite
def documents(draw: Any, fragments: bool = True) -> str:
    lines = ["scenario: x", "injects:"]
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        if fragments and draw(st.integers(min_value=0, max_value=6)) == 0:
            lines.append(draw(st.sampled_from(FRAGMENTS)))
            continue
        value = draw(st.dictionaries(texts, json_values, max_size=4))
        text = json.dumps(value, ensure_ascii=draw(st.sampled_from([False, False, True])),
                          separators=draw(st.sampled_from([(", ", ": ")] * 4 + [(",", ":")])))
        indent = draw(st.sampled_from(["  "] * 6 + ["", "    "]))
        lines.append(f"{indent}- {text}")
    return "\n".join(lines) + draw(st.sampled_from(["\n", "\n", "", "\r\n"]))


@SOME
@given(documents())
def test_any_mix_of_json_lines_and_yaml_reads_the_same(text: str) -> None:
    assert_same(text)


@SOME
@given(documents(fragments=False))
def test_any_json_lines_read_the_same(text: str) -> None:
    assert_same(text)
