"""YAML read with the line of every value, so a refusal can name the line that is wrong.

A large generated scenario writes each inject as one line of JSON (`  - {"at": "+00:01", ...}`). Such a line
means the same in YAML 1.1 as in JSON when it is exactly what `json.dumps` writes and holds no number with an
exponent, no `\\u` escape and no integer over 64 bits: `_json_items` reads those lines with `json` (fifty times
faster than composing them node by node) and leaves a placeholder in their place; the rest of the file is read
as YAML. Any doubt (a placeholder anywhere but as a whole block-sequence item, any refusal) reads the whole
text as YAML again, so values, lines and refusals are exactly those of the plain reading
(tests/scenarios/test_located.py compares the two).
"""
from __future__ import annotations

import json
import re
from typing import Any

import yaml

Path_ = tuple[Any, ...]
TIMESTAMP = "tag:yaml.org,2002:timestamp"
INT = "tag:yaml.org,2002:int"
PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}
MAX_DEPTH = 64
MAX_INT = 2**63 - 1
MAX_KEY = 256  # characters of a key on a JSON line (escaped, at most twice as many and the quotes)
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ten times faster, same marks
# YAML 1.1 reads an unquoted +10:30 as the base-60 number 630; a scenario always means the text.
SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+$")
PLACEHOLDER = "\u2063"  # INVISIBLE SEPARATOR: a plain scalar; a file that holds one is read as YAML throughout
JSON_ITEM = re.compile(r"( *)- (\{.*\})")
# Outside YAML's printable set, or a line break other than \n (YAML counts \r, NEL, LS and PS as breaks), or a BOM:
# such a file is read as YAML throughout, so that its lines and refusals stay the parser's own.
NOT_PLAIN_TEXT = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


class YamlProblem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


class Located:
    """A parsed document and the 1-based line where each value (or mapping key) starts."""

    def __init__(self, text: str, *, json_lines: bool = True) -> None:
        """`json_lines=False`: compose every line as YAML (the reading the fast one must equal)."""
        items = _json_items(text) if json_lines else None
        if items is not None:
            try:
                self._read(*items)
                return
            except (_NotTheSame, YamlProblem):  # in doubt, or refused: the plain reading decides, and words it
                pass
        self._read(text, None)

    def _read(self, text: str, items: dict[int, tuple[Any, int]] | None) -> None:
        self.lines: dict[Path_, int] = {}
        self.read_as_json = 0  # injects (or other block-sequence items) read by `json`
        self._items = items
        self._constructor = yaml.SafeLoader("")
        try:
            if "*" in text:  # an alias needs its `*`
                _check_plain(text)
            root = yaml.compose(text, Loader=LOADER)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            raise YamlProblem(mark.line + 1 if mark else 1, f"not valid YAML: {error.problem}") from None
        except yaml.reader.ReaderError as error:  # a character YAML does not allow (DEL, C1 controls, …): not "Marked"
            line = text.count("\n", 0, max(0, error.position)) + 1
            raise YamlProblem(line, f"the character U+{error.character:04X} is not allowed in a scenario file (a control "
                              "character): delete it, or write what it stands for in words") from None
        except RecursionError:
            raise YamlProblem(1, f"nested too deeply (exceeded the maximum nesting depth of {MAX_DEPTH})") from None
        self.value = self._build(root, ()) if root is not None else None
        if items is not None and self.read_as_json != len(items):
            raise _NotTheSame()

    def line(self, path: Path_) -> int:
        """The line of the deepest part of `path` that has one."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def _build(self, node: yaml.Node, path: Path_) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if len(path) > MAX_DEPTH:
            raise YamlProblem(node.start_mark.line + 1, f"nested too deeply (exceeded the maximum nesting depth of {MAX_DEPTH})")
        if node.tag not in PLAIN_TAGS:
            raise YamlProblem(node.start_mark.line + 1, f"the tag {node.tag[:60]} is not allowed: a scenario file holds "
                              "only plain values (text, numbers, true/false, lists and mappings)")
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self._scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
                if key in result:
                    raise YamlProblem(key_node.start_mark.line + 1, f"the key {key!r} appears twice")
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                result[key] = self._build(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            if self._items is not None and node.flow_style is False:
                return [self._item(item, (*path, index)) for index, item in enumerate(node.value)]
            return [self._build(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._scalar(node)

    def _item(self, node: yaml.Node, path: Path_) -> Any:
        """A block-sequence item: the value `_json_items` read for its line if it is that line's placeholder."""
        line = node.start_mark.line + 1
        if not (isinstance(node, yaml.ScalarNode) and node.value == PLACEHOLDER and not node.style and line in self._items):
            return self._build(node, path)
        value, depth = self._items[line]
        if len(path) + depth > MAX_DEPTH:
            raise _NotTheSame()  # let the plain reading refuse it
        self.lines.setdefault(path, line)  # every part of a one-line item is on this line
        self.read_as_json += 1
        return value

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if self._items is not None and PLACEHOLDER in node.value:
            raise _NotTheSame()  # a placeholder inside some text, a key, a flow sequence...
        if node.tag == TIMESTAMP or (node.tag == INT and SEXAGESIMAL.match(node.value)):
            return node.value
        line = node.start_mark.line + 1
        if node.tag == INT and len(node.value.lstrip("+-").replace("_", "")) > 19:  # as the API's JSON guard
            raise YamlProblem(line, f"the number {node.value[:30]}… is too large; whole numbers fit in 64 bits")
        try:
            value = self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError):
            raise YamlProblem(line, f"{node.value[:40]!r} is not a value a scenario can hold") from None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            raise YamlProblem(line, f"the number {node.value[:30]} is too large; whole numbers fit in 64 bits")
        return value


def _check_plain(text: str) -> None:
    """Refuse an alias (`*name`) before anything is built: expanding aliases is how a few lines of YAML
    become billions of nodes (or a cycle), and a scenario never needs one."""
    for event in yaml.parse(text, Loader=LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise YamlProblem(event.start_mark.line + 1, f"the alias *{str(event.anchor)[:40]} is not allowed in a scenario "
                              "file: write the value out where it is used")


class _NotTheSame(Exception):
    """The JSON lines' reading might differ from the plain one: read the text as YAML throughout."""


def _json_items(text: str) -> tuple[str, dict[int, tuple[Any, int]]] | None:
    """The text with each line `<indent>- <JSON object>` replaced by a placeholder, and the lines' values.

    A line is taken only if YAML 1.1 reads it as JSON does: exactly `json.dumps`' own spelling (so `": "` and
    `", "` between tokens, repr floats, no NaN or Infinity), no exponent (YAML 1.1 reads `1e5` as text), no
    `\\u` escape (YAML refuses surrogates), no integer past 64 bits, no key twice (both refused here) and
    no key longer than MAX_KEY.
    The int beside each value bounds its nesting depth. None: no such line, or a text read as YAML throughout."""
    if PLACEHOLDER in text or NOT_PLAIN_TEXT.search(text):
        return None
    lines = text.split("\n")
    items: dict[int, tuple[Any, int]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.endswith("}") or "\\u" in line or (found := JSON_ITEM.fullmatch(line)) is None:
            continue
        part = found[2]
        try:
            value = json.loads(part, object_pairs_hook=_once_each, parse_float=_plain_float, parse_int=_int_of_64_bits,
                               parse_constant=_no_constant)
        except (ValueError, RecursionError):
            continue
        if not isinstance(value, dict) or json.dumps(value, ensure_ascii=False) != part:
            continue
        items[number] = (value, part.count("{") + part.count("["))
        lines[number - 1] = f"{found[1]}- {PLACEHOLDER}"
    return ("\n".join(lines), items) if items else None


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("a key twice")
    if any(len(key) > MAX_KEY for key in result):
        raise ValueError("a long key")  # libyaml gives up on a key of over 1,024 characters (a simple key)
    return result


def _plain_float(literal: str) -> float:
    if "e" in literal or "E" in literal:
        raise ValueError("an exponent")
    return float(literal)


def _int_of_64_bits(literal: str) -> int:
    value = int(literal)
    if len(literal.lstrip("-")) > 19 or abs(value) > MAX_INT:
        raise ValueError("past 64 bits")
    return value


def _no_constant(literal: str) -> Any:
    raise ValueError(literal)
