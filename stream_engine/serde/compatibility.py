"""Schema compatibility, as the Confluent Schema Registry judges it: Apache Avro's own checker.

backward: the new schema reads data written with the old one (consumers upgrade first);
forward: the old schema reads data written with the new one (producers upgrade first);
full: both. The verdict is the Avro library's; this module adds readable reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import fastavro
import orjson
from avro.compatibility import (
    ReaderWriterCompatibilityChecker,
    SchemaCompatibilityResult,
    SchemaCompatibilityType,
)
from avro.errors import AvroException
from avro.schema import (
    ArraySchema,
    EnumSchema,
    FixedSchema,
    MapSchema,
    NamedSchema,
    RecordSchema,
    Schema,
    parse,
)

from stream_engine.errors import ConfigError
from stream_engine.serde.errors import one_line

Mode = Literal["backward", "forward", "full"]
MODES: tuple[Mode, ...] = ("backward", "forward", "full")


@dataclass(frozen=True)
class Direction:
    """One reader/writer check: which schema reads which one's data, and what fails."""

    reader: str
    writer: str
    problems: list[str]

    @property
    def compatible(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Verdict:
    mode: Mode
    directions: list[Direction]

    @property
    def compatible(self) -> bool:
        return all(d.compatible for d in self.directions)


def read_schema(path: Path | str) -> Schema:
    """Parse an .avsc for checking; ConfigError (the CLI's exit 2) when it is unusable.

    fastavro parses it too, since pipelines read with fastavro: it also rejects defaults
    that do not match their field's type, as the Schema Registry does.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConfigError(f"cannot read Avro schema {path}: {one_line(problem)}") from None
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"invalid Avro schema {path}: not valid JSON: {one_line(exc)}") from None
    try:
        fastavro.parse_schema(raw)
        return parse(text)
    except (AvroException, fastavro.schema.SchemaParseException, ValueError, TypeError) as exc:
        raise ConfigError(f"invalid Avro schema {path}: {one_line(exc)}") from None
    except Exception as exc:  # the parsers raise assorted types for malformed schemas
        raise ConfigError(
            f"invalid Avro schema {path}: {type(exc).__name__}: {one_line(exc)}"
        ) from None


def check_compatibility(old: Schema, new: Schema, mode: Mode) -> Verdict:
    """Can data move between the old and new schema in this mode?"""
    backward = Direction("new", "old", reasons(reader=new, writer=old))
    forward = Direction("old", "new", reasons(reader=old, writer=new))
    chosen = {"backward": [backward], "forward": [forward], "full": [backward, forward]}
    return Verdict(mode, chosen[mode])


def reasons(reader: Schema, writer: Schema) -> list[str]:
    """Why `reader` cannot read what `writer` wrote; empty when it can."""
    checker = _ExplainingChecker()
    result = checker.get_compatibility(reader, writer)
    if result.compatibility is not SchemaCompatibilityType.incompatible:
        return []
    found = [_explain(reader, location, message) for location, message in checker.problems]
    if not found:  # the library changed shape: fall back to its own report
        found = [f"{', '.join(sorted(result.locations))}: {m}" for m in sorted(result.messages)]
    return sorted(set(found))


class _ExplainingChecker(ReaderWriterCompatibilityChecker):
    """Avro's checker keeps a result's messages and locations in two separate sets, which
    loses which message belongs where. This records each message at the node that raised it.
    """

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.problems: list[tuple[list[str], str]] = []
        self._frames: list[set[str]] = []
        self._anonymous = 0

    def get_compatibility(
        self,
        reader: Schema,
        writer: Schema,
        reference_token: str = ReaderWriterCompatibilityChecker.ROOT_REFERENCE_TOKEN,
        location: list[str] | None = None,
    ) -> SchemaCompatibilityResult:
        # Union branches are checked without a location; their messages belong to the union.
        anonymous = location is None and bool(self._frames)
        self._anonymous += anonymous
        try:
            result = super().get_compatibility(reader, writer, reference_token, location)
        finally:
            self._anonymous -= anonymous
        if not anonymous and self._frames and _failed(result):
            self._frames[-1].update(result.messages)
        return result

    def calculate_compatibility(
        self, reader: Schema, writer: Schema, location: list[str]
    ) -> SchemaCompatibilityResult:
        self._frames.append(set())
        try:
            result = super().calculate_compatibility(reader, writer, location)
        finally:
            from_children = self._frames.pop()
        if _failed(result) and not self._anonymous:
            for message in sorted(result.messages - from_children):
                self.problems.append((location, message))
        return result


def _failed(result: SchemaCompatibilityResult) -> bool:
    return result.compatibility is SchemaCompatibilityType.incompatible


def _explain(reader: Schema, location: list[str], message: str) -> str:
    node, path = _walk(reader, location)
    if (
        isinstance(node, NamedSchema)
        and message.startswith("expected: ")
        and (not isinstance(node, FixedSchema) or ", found: " not in message)
    ):
        writer_name = message.removeprefix("expected: ")
        problem = (
            f"the names differ: the reader's {node.type} is {node.fullname}, the writer's is "
            f"{writer_name} (list it in the reader's aliases)"
        )
    elif isinstance(node, RecordSchema) and message in node.fields_dict:
        path, problem = (
            f"{path}.{message}",
            "the reader needs this field (it has no default), the writer's records lack it",
        )
    elif isinstance(node, EnumSchema) and message.startswith("{"):
        problem = (
            f"the writer's symbols {message} are not in the reader's enum {node.fullname}, "
            "which has no default symbol"
        )
    elif isinstance(node, FixedSchema):
        problem = f"fixed sizes differ: {message}"
    else:
        problem = message
    return f"{path}: {problem}"


def _walk(schema: Schema, location: list[str]) -> tuple[Schema, str]:
    """The reader schema node at a checker location, and a readable path such as
    `PageView.country` for `/fields/6/type`."""
    node: Any = schema
    path = schema.fullname if isinstance(schema, NamedSchema) else str(schema.type)
    tokens = [t for t in location if t != "/"]
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token == "fields" and isinstance(node, RecordSchema) and index + 1 < len(tokens):
            field = node.fields[int(tokens[index + 1])]
            path += f".{field.name}"
            node = field
            index += 2
            continue
        if token == "type" and hasattr(node, "type") and isinstance(node.type, Schema):
            node = node.type
        elif token == "items" and isinstance(node, ArraySchema):
            node, path = node.items, path + "[]"
        elif token == "values" and isinstance(node, MapSchema):
            node, path = node.values, path + "{}"
        else:
            break
        index += 1
    return node, path
