"""Read a pipeline file into plain data, with every problem reported as ``file:line:col``.

The loader is PyYAML's safe loader made stricter where YAML 1.1 surprises people:
duplicate keys are errors (YAML keeps the last one silently), only ``true``/``false``
are booleans (so ``on: user_id`` stays the key ``"on"`` instead of ``True``), dates stay
strings, and mapping keys must be strings.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.error import Mark
from yaml.nodes import MappingNode
from yaml.reader import ReaderError

from stream_engine.spec.errors import PipelineFileError, describe_value

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _KeyProblem(ConstructorError):
    """A mapping key the pipeline file does not allow (duplicate or not a string)."""


class StrictLoader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 booleans, no timestamps, unique string keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            mark = key_node.start_mark
            if not isinstance(key, str):
                raise _KeyProblem(
                    None,
                    None,
                    f"keys must be text, got {describe_value(key)} (put it in quotes)",
                    mark,
                )
            if key in first_line:
                raise _KeyProblem(
                    None,
                    None,
                    f"duplicate key {key!r} (first defined on line {first_line[key]})",
                    mark,
                )
            first_line[key] = mark.line + 1
        return super().construct_mapping(node, deep=deep)


# Own copy of the resolver table, without YAML 1.1 booleans (yes/no/on/off) and timestamps.
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml_file(path: Path, source: str) -> Any:
    """Parse the file at ``path``; errors name it as ``source`` (the path the user gave)."""
    if not path.exists():
        raise PipelineFileError([f"{source}: file not found"])
    if path.is_dir():
        raise PipelineFileError([f"{source}: is a directory, expected a pipeline file"])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PipelineFileError([f"{source}: cannot read: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PipelineFileError(
            [f"{source}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"]
        ) from None
    return parse_yaml(text, source)


def parse_yaml(text: str, source: str) -> Any:
    """Parse one YAML document from ``text``; raise PipelineFileError with the position."""
    try:
        return yaml.load(text, Loader=StrictLoader)  # StrictLoader is a SafeLoader
    except _KeyProblem as exc:
        raise PipelineFileError([_located(source, exc.problem_mark, str(exc.problem))]) from None
    except yaml.MarkedYAMLError as exc:
        message = f"invalid YAML: {_describe(exc)}"
        mark = exc.problem_mark or exc.context_mark
        raise PipelineFileError([_located(source, mark, message)]) from None
    except ReaderError as exc:
        position = int(exc.position)
        line = text.count("\n", 0, position)
        column = position - (text.rfind("\n", 0, position) + 1)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"invalid YAML: unacceptable character #x{char:04x}: {exc.reason}"
        raise PipelineFileError([f"{source}:{line + 1}:{column + 1}: {message}"]) from None


def _describe(exc: yaml.MarkedYAMLError) -> str:
    # PyYAML splits its message into a context ("while parsing a flow mapping", with the
    # line it started on) and the problem; join them into one sentence.
    problem, context = exc.problem or "", exc.context or ""
    if not context:
        return problem
    if not problem:
        return context
    if context.startswith("while") and exc.context_mark is not None:
        return f"{problem} ({context} started on line {exc.context_mark.line + 1})"
    return f"{context}, {problem}"


def _located(source: str, mark: Mark | None, message: str) -> str:
    message = " ".join(message.split())  # one line, whatever PyYAML put in
    if mark is None:
        return f"{source}: {message}"
    return f"{source}:{mark.line + 1}:{mark.column + 1}: {message}"
