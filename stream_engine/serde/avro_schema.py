"""Load `.avsc` files once into the two parsed forms the codecs need, rejecting unsafe schemas."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import fastavro
import orjson
from fastavro.schema import UnknownType, to_parsing_canonical_form

from stream_engine.errors import ConfigError
from stream_engine.serde.errors import one_line

_RECORD_TYPES = ("record", "error")
_NAMED_TYPES = ("record", "error", "enum", "fixed")


@dataclass(frozen=True, eq=False)
class AvroSchema:
    """A parsed top-level record schema.

    `writer` keeps logical types so encoding accepts datetimes, UUIDs and Decimals.
    `reader` drops every logical type except decimal, so decoding yields the underlying
    ints and strings (epoch millis stay ints) instead of datetime/UUID objects.
    """

    path: Path
    name: str
    writer: dict[str, Any]
    reader: dict[str, Any]
    canonical: str
    has_binary: bool
    """True when bytes, fixed or decimal occur: decoded values then need `make_plain`."""
    recursive: bool
    """True when a record contains itself: values can nest without bound (see avro_decode)."""


_cache: dict[tuple[str, int, int], AvroSchema] = {}


def load_schema(path: Path | str) -> AvroSchema:
    """Parse an `.avsc` file, cached by path and modification time; ConfigError on a bad file."""
    path = Path(path)
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        cached = _cache.get(key)
        if cached is not None:
            return cached
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read Avro schema {path}: {one_line(exc.strerror or exc)}"
        ) from None
    schema = parse_schema(text, path)
    _cache[key] = schema
    return schema


def parse_schema(text: bytes | str, path: Path) -> AvroSchema:
    """Parse schema JSON text; `path` only names the source in error messages."""
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"invalid Avro schema {path}: not valid JSON: {one_line(exc)}") from None
    if not isinstance(raw, dict) or raw.get("type") not in _RECORD_TYPES:
        raise ConfigError(
            f"invalid Avro schema {path}: the top level must be a record "
            '({"type": "record", ...}) because records decode to dicts'
        )
    try:
        writer = cast(dict[str, Any], fastavro.parse_schema(raw))
        reader = cast(dict[str, Any], fastavro.parse_schema(_strip_logical_types(raw)))
        canonical = to_parsing_canonical_form(writer)
        named = cast(dict[str, Any], writer.get("__named_schemas", {}))
        has_binary, problem = _inspect(writer, named)
        recursive = _is_recursive(writer, named, frozenset(), set())
    except UnknownType as exc:
        raise ConfigError(f"invalid Avro schema {path}: unknown type {exc.name!r}") from None
    except Exception as exc:  # fastavro raises assorted types for malformed schemas
        raise ConfigError(f"invalid Avro schema {path}: {one_line(exc)}") from None
    if problem is not None:
        raise ConfigError(f"invalid Avro schema {path}: {problem}")
    return AvroSchema(
        path=path,
        name=str(writer["name"]),
        writer=writer,
        reader=reader,
        canonical=canonical,
        has_binary=has_binary,
        recursive=recursive,
    )


def _strip_logical_types(schema: Any) -> Any:
    """Copy of raw schema JSON without logicalType annotations, decimal excepted."""
    if isinstance(schema, list):
        return [_strip_logical_types(branch) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if out.get("logicalType") != "decimal":
        out.pop("logicalType", None)
    kind = out.get("type")
    if kind in _RECORD_TYPES and isinstance(out.get("fields"), list):
        out["fields"] = [
            {**field, "type": _strip_logical_types(field["type"])}
            if isinstance(field, dict) and "type" in field
            else field
            for field in out["fields"]
        ]
    elif kind == "array" and "items" in out:
        out["items"] = _strip_logical_types(out["items"])
    elif kind == "map" and "values" in out:
        out["values"] = _strip_logical_types(out["values"])
    elif isinstance(kind, dict | list):
        out["type"] = _strip_logical_types(kind)
    return out


def _inspect(schema: Any, named: dict[str, Any]) -> tuple[bool, str | None]:
    """Walk a parsed schema once: does it hold binary data, and is it safe to decode?"""
    has_binary = False
    seen: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if node == "bytes":
                has_binary = True
            elif node in named and node not in seen:
                stack.append(named[node])
            continue
        if isinstance(node, list):
            stack.extend(node)
            continue
        kind = node["type"]
        if not isinstance(kind, str):
            stack.append(kind)
            continue
        if kind in _NAMED_TYPES:
            if node["name"] in seen:
                continue
            seen.add(node["name"])
        if kind in ("bytes", "fixed"):
            has_binary = True
        elif kind in _RECORD_TYPES:
            names = [field["name"] for field in node["fields"]]
            if len(names) != len(set(names)):
                return has_binary, f"record {node['name']} has duplicate field names"
            stack.extend(field["type"] for field in node["fields"])
        elif kind == "array":
            if _zero_width(node["items"], named, frozenset()):
                # A corrupt block count would make the decoder loop ~2**63 times.
                return has_binary, (
                    "array items that encode to zero bytes (null or empty records) are not "
                    "supported: a corrupt item count could not be bounded"
                )
            stack.append(node["items"])
        elif kind == "map":
            stack.append(node["values"])
        else:
            stack.append(kind)  # a primitive spelled as {"type": "..."}
    return has_binary, None


def _zero_width(node: Any, named: dict[str, Any], visiting: frozenset[str]) -> bool:
    """True when a value of this type takes no bytes on the wire."""
    if isinstance(node, str):
        if node in named:
            return node not in visiting and _zero_width(named[node], named, visiting | {node})
        return node == "null"
    if isinstance(node, list):
        return False  # a union always writes its branch index
    kind = node["type"]
    if not isinstance(kind, str):
        return _zero_width(kind, named, visiting)
    if kind == "fixed":
        return int(node["size"]) == 0
    if kind in _RECORD_TYPES:
        inner = visiting | {node["name"]}
        return all(_zero_width(field["type"], named, inner) for field in node["fields"])
    return kind == "null"


def _is_recursive(
    node: Any, named: dict[str, Any], ancestors: frozenset[str], acyclic: set[str]
) -> bool:
    """True when some record reaches itself; `acyclic` remembers names already cleared."""
    if isinstance(node, str):
        if node in ancestors:
            return True
        if node not in named or node in acyclic:
            return False
        return _is_recursive(named[node], named, ancestors, acyclic)
    if isinstance(node, list):
        return any(_is_recursive(branch, named, ancestors, acyclic) for branch in node)
    kind = node["type"]
    if not isinstance(kind, str):
        return _is_recursive(kind, named, ancestors, acyclic)
    if kind in _RECORD_TYPES:
        name = node["name"]
        inner = ancestors | {name}
        if any(_is_recursive(field["type"], named, inner, acyclic) for field in node["fields"]):
            return True
        acyclic.add(name)
        return False
    if kind == "array":
        return _is_recursive(node["items"], named, ancestors, acyclic)
    if kind == "map":
        return _is_recursive(node["values"], named, ancestors, acyclic)
    return False
