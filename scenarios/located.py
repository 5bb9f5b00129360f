"""YAML read with the line of every value, so a refusal can name the line that is wrong."""
from __future__ import annotations

import re
from typing import Any

import yaml

Path_ = tuple[Any, ...]
TIMESTAMP = "tag:yaml.org,2002:timestamp"
INT = "tag:yaml.org,2002:int"
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
            root = yaml.compose(text, Loader=LOADER)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            raise YamlProblem(mark.line + 1 if mark else 1, f"not valid YAML: {error.problem}") from None
        self.value = self._build(root, ()) if root is not None else None

    def line(self, path: Path_) -> int:
        """The line of the deepest part of `path` that has one."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def _build(self, node: yaml.Node, path: Path_) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
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
        return self._constructor.construct_object(node, deep=True)
