"""YAML read with the line of every value, so a refusal can name the line that is wrong."""
from __future__ import annotations

import re
from typing import Any

import yaml

Path_ = tuple[Any, ...]
TIMESTAMP = "tag:yaml.org,2002:timestamp"
INT = "tag:yaml.org,2002:int"
PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}
MAX_DEPTH = 64
MAX_INT = 2**63 - 1
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ten times faster, same marks
# YAML 1.1 reads an unquoted +10:30 as the base-60 number 630; a scenario always means the text.
SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+$")


class YamlProblem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


class Located:
    """A parsed document and the 1-based line where each value (or mapping key) starts."""

    def __init__(self, text: str) -> None:
        self.lines: dict[Path_, int] = {}
        self._constructor = yaml.SafeLoader("")
        try:
            _check_plain(text)
            root = yaml.compose(text, Loader=LOADER)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            raise YamlProblem(mark.line + 1 if mark else 1, f"not valid YAML: {error.problem}") from None
        except RecursionError:
            raise YamlProblem(1, f"nested too deeply (exceeded the maximum nesting depth of {MAX_DEPTH})") from None
        self.value = self._build(root, ()) if root is not None else None

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
            return [self._build(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.ScalarNode) -> Any:
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
