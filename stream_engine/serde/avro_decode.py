"""Avro decoders: schemaless bodies and Confluent-framed values, turned into plain dicts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from fastavro import schemaless_reader
from fastavro._read_py import schemaless_reader as python_schemaless_reader
from fastavro.read import SchemaResolutionError

from stream_engine.serde.avro_schema import AvroSchema
from stream_engine.serde.avro_values import make_plain
from stream_engine.serde.errors import RecordDecodeError, one_line
from stream_engine.serde.registry import INDEX_FILE, SchemaDirectory
from stream_engine.serde.wire import HEADER_SIZE, schema_id_of

_NAME = re.compile(r"'name': '([^']+)'")
_TOMBSTONE = "value is null (a tombstone), expected an Avro record"


@dataclass(frozen=True)
class _Plan:
    """How to read one writer schema: fastavro's inputs plus names for messages."""

    writer: dict[str, Any]
    reader: dict[str, Any] | None
    plain: bool
    label: str
    recursive: bool


def _plan(writer: AvroSchema, reader: AvroSchema | None, label: str) -> _Plan:
    same = reader is None or reader.canonical == writer.canonical
    return _Plan(
        writer=writer.reader,
        reader=None if same or reader is None else reader.reader,
        plain=writer.has_binary or (reader is not None and reader.has_binary),
        label=label,
        recursive=writer.recursive or (reader is not None and reader.recursive),
    )


def read_body(data: bytes, start: int, plan: _Plan) -> dict[str, Any]:
    """Decode the Avro body at `data[start:]`, which must be consumed exactly.

    fastavro reads from a BytesIO, so a length claimed by garbage (a "2 GB string")
    fails with EOFError after reading what is there instead of allocating it.

    fastavro's compiled reader recurses on the C stack: a recursive schema and a few
    thousand nesting levels of garbage crash the process. Recursive schemas therefore
    use its pure-Python reader, where Python's recursion limit turns that into an error.
    """
    stream = BytesIO(data)
    stream.seek(start)
    read = python_schemaless_reader if plan.recursive else schemaless_reader
    try:
        value = read(stream, plan.writer, plan.reader)
        if plan.plain:
            value = make_plain(value)
    except SchemaResolutionError as exc:
        raise RecordDecodeError(
            f"{plan.label} cannot be resolved to the reader schema: {_mismatch(str(exc))}",
            reason="schema",
        ) from None
    except Exception as exc:  # garbage can make fastavro raise almost anything
        raise RecordDecodeError(f"invalid Avro body for {plan.label}: {_describe(exc)}") from None
    left = len(data) - stream.tell()
    if left:
        raise RecordDecodeError(
            f"invalid Avro body for {plan.label}: {left} bytes left over after the record"
        )
    return value  # type: ignore[return-value]  # top-level schemas are records


def _mismatch(text: str) -> str:
    """fastavro prints whole parsed schemas when record names differ; keep just the names."""
    writer, _, reader = text.partition(" is not ")
    names = [_NAME.search(side) for side in (writer, reader)]
    if text.startswith("Schema mismatch: {") and names[0] and names[1]:
        return (
            f"record {names[0][1]} is not {names[1][1]} "
            "(the reader's record names must match or list the writer's as aliases)"
        )
    return one_line(text, 200)


def _describe(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "the record is nested too deeply"
    if isinstance(exc, EOFError):
        return "the data ends inside the record" + (f" ({one_line(exc)})" if str(exc) else "")
    text = one_line(exc, 200)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class AvroDecoder:
    """Schemaless Avro: the value is the body alone, written with this same schema."""

    def __init__(self, schema: AvroSchema) -> None:
        self._plan = _plan(schema, None, f"schema {schema.name}")

    def decode(self, data: bytes | None) -> dict[str, Any]:
        if data is None:
            raise RecordDecodeError(_TOMBSTONE)
        return read_body(data, 0, self._plan)


class WireDecoder:
    """Confluent wire format: the id in the header picks the writer schema from a directory.

    Values are resolved to `reader` (the pipeline's schema) when given, so records written
    with older or newer schemas reach the steps in one shape.
    """

    def __init__(self, directory: SchemaDirectory, reader: AvroSchema | None = None) -> None:
        self._directory = directory
        self._reader = reader
        self._plans: dict[int, _Plan] = {}

    def decode(self, data: bytes | None) -> dict[str, Any]:
        if data is None:
            raise RecordDecodeError(_TOMBSTONE)
        schema_id = schema_id_of(data)
        plan = self._plans.get(schema_id) or self._plan_for(schema_id)
        return read_body(data, HEADER_SIZE, plan)

    def _plan_for(self, schema_id: int) -> _Plan:
        writer = self._directory.schema_for(schema_id)
        if writer is None:
            raise RecordDecodeError(
                f"unknown schema id {schema_id}: not listed in {self._directory.path / INDEX_FILE}",
                reason="schema",
            )
        plan = _plan(writer, self._reader, f"schema id {schema_id} ({writer.name})")
        self._plans[schema_id] = plan
        return plan
