"""Map Avro's non-JSON Python values to JSON ones after decoding, and back before encoding.

fastavro yields `bytes` for bytes/fixed and `Decimal` for decimal. Records leave `serde` as
JSON-like dicts, so bytes become text with one character per byte (U+0000-U+00FF, the
mapping of Avro's own JSON encoding) and decimals become floats. Encoding accepts both the
native and the JSON forms, so a decoded record can be written back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

Prepare = Callable[[Any], Any]

_RECORD_TYPES = ("record", "error")
_NUMBER_TYPES = ("int", "long", "float", "double")


class PrepareError(ValueError):
    """A value that cannot take the Avro form its schema asks for."""


def make_plain(value: Any) -> Any:
    """Replace bytes and Decimal anywhere in a decoded value by their JSON forms."""
    if isinstance(value, dict):
        return {key: make_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [make_plain(item) for item in value]
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, Decimal):
        return float(value)
    return value


def compile_prepare(schema: dict[str, Any]) -> Prepare | None:
    """Build the function that turns JSON forms into fastavro's; None when none is needed."""
    return _Compiler(schema.get("__named_schemas", {})).node(schema)


def _identity(value: Any) -> Any:
    return value


def _to_bytes(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # bytes pass; anything else is left for fastavro to reject
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        raise PrepareError(
            "a bytes or fixed value given as text may only hold characters U+0000-U+00FF"
        ) from None


def _to_decimal(node: dict[str, Any]) -> Prepare:
    quantum = Decimal(1).scaleb(-int(node.get("scale", 0)))

    def prepare(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return value
        try:
            number = Decimal(str(value))
            if number.is_finite():
                return number.quantize(quantum, rounding=ROUND_HALF_EVEN)
        except InvalidOperation:
            pass
        raise PrepareError(f"{value!r} is not a finite decimal number")

    return prepare


class _Compiler:
    """Compile once per schema; named types are compiled once, recursion goes through `done`."""

    def __init__(self, named: dict[str, Any]) -> None:
        self.named = named
        self.done: dict[str, Prepare | None] = {}
        self.active: set[str] = set()

    def node(self, node: Any) -> Prepare | None:
        if isinstance(node, str):
            if node == "bytes":
                return _to_bytes
            return self.named_type(node, self.named[node]) if node in self.named else None
        if isinstance(node, list):
            return self.union(node)
        kind = node["type"]
        if not isinstance(kind, str):
            return self.node(kind)
        if kind in ("bytes", "fixed"):
            return _to_decimal(node) if node.get("logicalType") == "decimal" else _to_bytes
        if kind in _RECORD_TYPES:
            return self.named_type(node["name"], node)
        if kind == "array":
            return _each(self.node(node["items"]))
        if kind == "map":
            return _each_value(self.node(node["values"]))
        return None

    def named_type(self, name: str, node: dict[str, Any]) -> Prepare | None:
        if name in self.done:
            return self.done[name]
        if name in self.active:  # recursive reference: resolve at call time
            return lambda value: (self.done.get(name) or _identity)(value)
        if node["type"] not in _RECORD_TYPES:
            return self.node(node)  # fixed or enum: no nested types, so no recursion
        self.active.add(name)
        fields = [
            (field["name"], prepare)
            for field in node["fields"]
            if (prepare := self.node(field["type"])) is not None
        ]
        self.active.discard(name)
        result = _record(fields) if fields else None
        self.done[name] = result
        return result

    def union(self, branches: list[Any]) -> Prepare | None:
        """Pick the branch from the value's Python type, as fastavro does when writing."""
        kinds = [self.kind(branch) for branch in branches]
        records: list[tuple[frozenset[str], Prepare]] = []
        arrays: list[Prepare] = []
        maps: list[Prepare] = []
        to_decimal: Prepare | None = None
        for branch, kind in zip(branches, kinds, strict=True):
            if kind == "decimal" and to_decimal is None:
                to_decimal = _to_decimal(self.resolve(branch))
            elif kind in ("record", "array", "map") and (inner := self.node(branch)) is not None:
                if kind == "record":
                    names = frozenset(field["name"] for field in self.resolve(branch)["fields"])
                    records.append((names, inner))
                else:
                    (arrays if kind == "array" else maps).append(inner)
        text_is_bytes = "bytes" in kinds and not {"string", "enum"} & set(kinds)
        text_is_decimal = to_decimal is not None and "string" not in kinds
        numbers_are_decimal = to_decimal is not None and not set(_NUMBER_TYPES) & set(kinds)
        if not (
            records or arrays or maps or text_is_bytes or text_is_decimal or numbers_are_decimal
        ):
            return None

        def prepare(value: Any) -> Any:
            if isinstance(value, str):
                if text_is_bytes:
                    return _to_bytes(value)
                if text_is_decimal and to_decimal is not None:
                    return to_decimal(value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                if numbers_are_decimal and to_decimal is not None:
                    return to_decimal(value)
            elif isinstance(value, Mapping):
                for names, record_prepare in records:
                    if names.issuperset(value):
                        return record_prepare(value)
                if maps or records:  # extra keys: a map if there is one, else the first record
                    return maps[0](value) if maps else records[0][1](value)
            elif isinstance(value, list | tuple) and arrays:
                return arrays[0](value)
            return value

        return prepare

    def resolve(self, node: Any) -> dict[str, Any]:
        if isinstance(node, str):
            resolved = self.named.get(node, {"type": node})
            return resolved if isinstance(resolved, dict) else {"type": node}
        if isinstance(node, dict) and not isinstance(node["type"], str):
            return self.resolve(node["type"])
        return node if isinstance(node, dict) else {"type": "union"}

    def kind(self, node: Any) -> str:
        """Classify a union branch: primitive name, record, array, map, enum, bytes or decimal."""
        resolved = self.resolve(node)
        kind = str(resolved["type"])
        if kind in ("bytes", "fixed"):
            return "decimal" if resolved.get("logicalType") == "decimal" else "bytes"
        return "record" if kind in _RECORD_TYPES else kind


def _record(fields: list[tuple[str, Prepare]]) -> Prepare:
    def prepare(value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        out = dict(value)
        for name, field_prepare in fields:
            if name in out:
                out[name] = field_prepare(out[name])
        return out

    return prepare


def _each(inner: Prepare | None) -> Prepare | None:
    if inner is None:
        return None
    return lambda value: (
        [inner(item) for item in value] if isinstance(value, list | tuple) else value
    )


def _each_value(inner: Prepare | None) -> Prepare | None:
    if inner is None:
        return None
    return lambda value: (
        {key: inner(item) for key, item in value.items()} if isinstance(value, Mapping) else value
    )
