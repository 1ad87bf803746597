"""Avro encoders: schemaless bodies, or Confluent-framed when a schema id is given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

from fastavro import schemaless_writer
from fastavro.validation import ValidationError, ValidationErrorData, validate

from stream_engine.serde.avro_schema import AvroSchema
from stream_engine.serde.avro_values import PrepareError, compile_prepare
from stream_engine.serde.errors import EncodeError, one_line
from stream_engine.serde.wire import frame

MAX_DEPTH = 100
"""Deepest nesting of dicts and lists written with a recursive schema; the pure-Python
reader used for those schemas decodes ~180 levels under the default recursion limit."""


class AvroEncoder:
    """Writes records with one schema; `schema_id` adds the Confluent wire-format header.

    Extra keys in a record are ignored (the schema is the projection a sink asks for);
    missing fields take their schema defaults.
    """

    def __init__(self, schema: AvroSchema, schema_id: int | None = None) -> None:
        self._schema = schema
        self._header = b"" if schema_id is None else frame(schema_id)
        self._prepare = compile_prepare(schema.writer) if schema.has_binary else None
        self._max_depth = MAX_DEPTH if schema.recursive else None

    def encode(self, value: Mapping[str, Any]) -> bytes:
        if not isinstance(value, Mapping):
            raise EncodeError(
                f"cannot encode {type(value).__name__} as Avro record {self._schema.name}: "
                "expected a mapping"
            )
        datum: Any = value if isinstance(value, dict) else dict(value)
        if self._max_depth is not None and _deeper_than(datum, self._max_depth):
            # fastavro's compiled writer and validator would overflow the C stack.
            raise EncodeError(
                f"cannot encode record as Avro {self._schema.name}: "
                f"it is nested more than {self._max_depth} levels deep"
            )
        stream = BytesIO()
        stream.write(self._header)
        try:
            if self._prepare is not None:
                datum = self._prepare(datum)
            schemaless_writer(stream, self._schema.writer, datum, disable_tuple_notation=True)
        except Exception as exc:  # fastavro raises TypeError, ValueError, KeyError, ...
            raise EncodeError(
                f"cannot encode record as Avro {self._schema.name}: {self._explain(exc, datum)}"
            ) from None
        return stream.getvalue()

    def _explain(self, exc: Exception, datum: Any) -> str:
        """fastavro's write errors are terse; its validator names the field, so ask it."""
        if not isinstance(exc, PrepareError):
            try:
                validate(datum, self._schema.writer, raise_errors=True)
            except ValidationError as invalid:
                return _field_problems(invalid.errors)
            except Exception:  # the validator can fail too; fall back below
                pass
        return one_line(f"{type(exc).__name__}: {exc}", 200)


def _deeper_than(value: Any, limit: int) -> bool:
    """Container nesting check without recursion, so the check itself cannot overflow."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _field_problems(errors: Sequence[ValidationErrorData]) -> str:
    """One clause per field; a union reports each branch, so merge them into `a | b`."""
    expected: dict[str, list[str]] = {}
    datum: dict[str, Any] = {}
    for error in errors:
        expected.setdefault(error.field, []).append(_type_name(error.schema))
        datum.setdefault(error.field, error.datum)
    clauses = []
    for field, types in list(expected.items())[:3]:
        value = datum[field]
        if value is None:
            clauses.append(f"field {field} is missing or null, expected {' | '.join(types)}")
        else:
            shown = f"{_short_repr(value)} ({type(value).__name__})"
            clauses.append(f"field {field} is {shown}, expected {' | '.join(types)}")
    return "; ".join(clauses)


def _short_repr(value: Any) -> str:
    try:
        return one_line(repr(value), 60)
    except Exception:  # e.g. RecursionError on a deeply nested value
        return "a value"


def _type_name(schema: Any) -> str:
    if isinstance(schema, list):
        return " | ".join(_type_name(branch) for branch in schema)
    if isinstance(schema, dict):
        return str(schema.get("logicalType") or schema.get("name") or schema.get("type"))
    return str(schema)
