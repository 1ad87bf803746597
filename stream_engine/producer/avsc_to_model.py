"""Translate an Avro record schema into pydantic models, as classes and as Python source.

Both come from one walk over the schema (each type yields its source text and its
Python type together), so the printed source is the model `model_from_avsc` returns.
"""

from __future__ import annotations

import datetime as dt
import json
import keyword
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Union, cast

from pydantic import BaseModel, ConfigDict, Field, create_model

from stream_engine.errors import ConfigError
from stream_engine.producer.avro_types import INT_ALIASES, AvroType, Int32, Int64
from stream_engine.serde import AvroSchema

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED_CLASS_NAMES = {
    "Annotated", "AvroType", "BaseModel", "ConfigDict", "Decimal", "Field", "Int32", "Int64",
    "StrEnum", "UUID", "date", "datetime", "time",
}  # fmt: skip


@dataclass(frozen=True)
class _Type:
    source: str
    python: Any
    converts: bool = False
    """A default of this type is not its Python value (records, enums, bytes, logical types)."""


_PRIMITIVES = {
    "null": _Type("None", type(None)),
    "boolean": _Type("bool", bool),
    "int": _Type("Int32", Int32),
    "long": _Type("Int64", Int64),
    "float": _Type('Annotated[float, AvroType("float")]', Annotated[float, AvroType("float")]),
    "double": _Type("float", float),
    "bytes": _Type("bytes", bytes, converts=True),
    "string": _Type("str", str),
}
_LOGICAL = {
    ("long", "timestamp-millis"): _Type("datetime", dt.datetime, converts=True),
    ("int", "date"): _Type("date", dt.date, converts=True),
    ("int", "time-millis"): _Type("time", dt.time, converts=True),
    ("string", "uuid"): _Type("UUID", uuid.UUID, converts=True),
}
_LOGICAL_BASE: dict[str, tuple[str, Any]] = {
    "timestamp-micros": ("datetime", dt.datetime),
    "local-timestamp-millis": ("datetime", dt.datetime),
    "local-timestamp-micros": ("datetime", dt.datetime),
    "time-micros": ("time", dt.time),
}


@dataclass
class Generated:
    """The top-level model and the Python source that defines it (and its nested types)."""

    model: type[BaseModel]
    source: str


def generate(schema: AvroSchema) -> Generated:
    """Models for a parsed schema; ConfigError when a name cannot be a Python name."""
    gen = _Generator(str(schema.path), schema.writer.get("__named_schemas", {}))
    top = gen.type_of(schema.writer, schema.name)
    return Generated(model=top.python, source=gen.render())


@dataclass
class _Generator:
    origin: str
    named_schemas: dict[str, Any]
    blocks: list[str] = field(default_factory=list)
    named: dict[str, _Type] = field(default_factory=dict)
    class_names: set[str] = field(default_factory=set)
    building: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)

    def type_of(self, schema: Any, where: str) -> _Type:
        if isinstance(schema, str):
            return self._reference(schema, where)
        if isinstance(schema, list):
            return self._union(schema, where)
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical is not None and isinstance(kind, str):
            return self._logical(schema, kind, str(logical), where)
        if kind in ("record", "error"):
            return self._record(schema)
        if kind == "enum":
            return self._enum(schema)
        if kind == "fixed":
            return self._fixed(schema)
        if kind == "array":
            items = self.type_of(schema["items"], f"{where}[]")
            return _Type(f"list[{items.source}]", list[items.python], items.converts)  # type: ignore[name-defined]
        if kind == "map":
            values = self.type_of(schema["values"], f"{where}{{}}")
            return _Type(
                f"dict[str, {values.source}]",
                dict[str, values.python],  # type: ignore[name-defined]
                values.converts,
            )
        return self.type_of(kind, where)

    def _reference(self, name: str, where: str) -> _Type:
        if name in _PRIMITIVES:
            self._use(_PRIMITIVES[name].source)
            return _PRIMITIVES[name]
        if name in self.named:
            return self.named[name]
        if name in self.building:
            raise ConfigError(
                f"{self.origin}: {where}: record {name} contains itself; "
                "recursive records cannot become pydantic models here"
            )
        raise ConfigError(f"{self.origin}: {where}: unknown type {name!r}")

    def _union(self, branches: list[Any], where: str) -> _Type:
        types = [self.type_of(branch, where) for branch in branches]
        # None last reads best (`str | None`); the order does not change validation.
        types.sort(key=lambda t: t.python is type(None))
        source = " | ".join(t.source for t in types)
        python: Any = Union.__getitem__(tuple(t.python for t in types))  # built at run time
        return _Type(source, python, any(t.converts for t in types))

    def _logical(self, schema: dict[str, Any], kind: str, logical: str, where: str) -> _Type:
        known = _LOGICAL.get((kind, logical))
        if known is not None:
            self._use(known.source)
            return known
        marker = AvroType(_plain(schema))
        self.used.add("AvroType")
        if logical == "decimal":
            digits = {
                "max_digits": schema.get("precision"),
                "decimal_places": schema.get("scale", 0),
            }
            self.used.update({"Decimal", "Annotated", "Field"})
            extra = "" if kind == "bytes" else f", {_lit(marker)}"
            constraint = Field(**digits)
            python = (
                Annotated[Decimal, constraint]
                if kind == "bytes"
                else Annotated[Decimal, constraint, marker]
            )
            source = (
                f"Annotated[Decimal, Field(max_digits={_lit(digits['max_digits'])}, "
                f"decimal_places={_lit(digits['decimal_places'])}){extra}]"
            )
            return _Type(source, python, converts=True)
        if logical in _LOGICAL_BASE:
            base_source, base = _LOGICAL_BASE[logical]
        else:  # a logical type we do not know: keep the underlying type
            inner = self.type_of(kind, where)
            base_source, base = inner.source, inner.python
        self._use(base_source)
        self.used.add("Annotated")
        return _Type(f"Annotated[{base_source}, {_lit(marker)}]", Annotated[base, marker], True)

    def _fixed(self, schema: dict[str, Any]) -> _Type:
        fullname = str(schema["name"])
        if fullname in self.named:
            return self.named[fullname]
        size = int(schema["size"])
        marker = AvroType(_plain(schema))
        self.used.update({"Annotated", "Field", "AvroType"})
        result = _Type(
            f"Annotated[bytes, Field(min_length={size}, max_length={size}), {_lit(marker)}]",
            Annotated[bytes, Field(min_length=size, max_length=size), marker],
            converts=True,
        )
        self.named[fullname] = result
        return result

    def _enum(self, schema: dict[str, Any]) -> _Type:
        fullname = str(schema["name"])
        namespace, class_name = self._class_name(fullname)
        symbols = [str(s) for s in schema["symbols"]]
        for symbol in symbols:
            if not _NAME.match(symbol) or keyword.iskeyword(symbol) or symbol.startswith("_"):
                raise ConfigError(
                    f"{self.origin}: enum {fullname}: symbol {symbol!r} cannot be a Python name"
                )
        python = cast(Any, StrEnum)(class_name, [(s, s) for s in symbols])
        python.__doc__ = schema.get("doc")
        lines = [f"class {class_name}(StrEnum):", *_doc_lines(schema.get("doc"))]
        attributes = self._avro_attributes(python, fullname, namespace, class_name)
        if "default" in schema:
            python.__avro_default__ = schema["default"]
            attributes.append(f"    __avro_default__ = {_lit(schema['default'])}")
        if attributes:
            lines += [*attributes, ""]
        lines += [f"    {s} = {_lit(s)}" for s in symbols]
        self.used.add("StrEnum")
        return self._define(fullname, class_name, python, lines)

    def _record(self, schema: dict[str, Any]) -> _Type:
        fullname = str(schema["name"])
        namespace, class_name = self._class_name(fullname)
        self.building.add(fullname)
        taken: set[str] = set()
        fields: dict[str, Any] = {}
        field_lines: list[str] = []
        aliased = False
        for spec in schema["fields"]:
            name, definition, line = self._field(spec, f"{class_name}.{spec['name']}", taken)
            fields[name] = definition
            field_lines.append(line)
            aliased = aliased or name != spec["name"]
        self.building.discard(fullname)
        config = (
            ConfigDict(extra="forbid", validate_by_name=True)
            if aliased
            else ConfigDict(extra="forbid")
        )
        model = create_model(class_name, __config__=config, __doc__=schema.get("doc"), **fields)
        config_source = (
            'ConfigDict(extra="forbid", validate_by_name=True)'
            if aliased
            else 'ConfigDict(extra="forbid")'
        )
        lines = [f"class {class_name}(BaseModel):", *_doc_lines(schema.get("doc"))]
        lines.append(f"    model_config = {config_source}")
        lines += self._avro_attributes(model, fullname, namespace, class_name)
        lines += ["", *field_lines] if field_lines else []
        self.used.update({"BaseModel", "ConfigDict"})
        return self._define(fullname, class_name, model, lines)

    def _field(self, spec: dict[str, Any], where: str, taken: set[str]) -> tuple[str, Any, str]:
        avro_name = str(spec["name"])
        if not _NAME.match(avro_name):
            raise ConfigError(f"{self.origin}: {where}: {avro_name!r} is not a valid Avro name")
        name = _python_name(avro_name, taken)
        kind = self.type_of(spec["type"], where)
        kwargs: dict[str, Any] = {}
        if "default" in spec:
            kwargs["default"] = self._default(spec["type"], spec["default"])
            if kind.converts and kwargs["default"] is not None:
                kwargs["validate_default"] = True
        if name != avro_name:
            kwargs["alias"] = avro_name
        if spec.get("doc"):
            kwargs["description"] = str(spec["doc"])
        if not kwargs:
            return name, (kind.python, ...), f"    {name}: {kind.source}"
        if list(kwargs) == ["default"]:
            return (
                name,
                (kind.python, kwargs["default"]),
                (f"    {name}: {kind.source} = {_lit(kwargs['default'])}"),
            )
        self.used.add("Field")
        args = [_lit(kwargs["default"])] if "default" in kwargs else []
        args += [f"{k}={_lit(v)}" for k, v in kwargs.items() if k != "default"]
        line = f"    {name}: {kind.source} = Field({', '.join(args)})"
        return name, (kind.python, Field(**kwargs)), line

    def _default(self, schema: Any, value: Any) -> Any:
        """Avro's JSON default as the Python value: bytes and fixed are Latin-1 text there."""
        if isinstance(schema, str) and schema in self.named_schemas:
            schema = self.named_schemas[schema]
        if isinstance(schema, list):
            return self._default(schema[0], value) if schema else value
        kind = schema.get("type") if isinstance(schema, dict) else schema
        if kind in ("bytes", "fixed") and isinstance(value, str):
            return value.encode("latin-1")
        if kind == "array" and isinstance(value, list):
            return [self._default(schema["items"], v) for v in value]
        if kind == "map" and isinstance(value, dict):
            return {k: self._default(schema["values"], v) for k, v in value.items()}
        if kind in ("record", "error") and isinstance(value, dict):
            types = {f["name"]: f["type"] for f in schema["fields"]}
            return {k: self._default(types[k], v) if k in types else v for k, v in value.items()}
        if isinstance(kind, dict | list):
            return self._default(kind, value)
        return value

    def _class_name(self, fullname: str) -> tuple[str, str]:
        namespace, _, short = fullname.rpartition(".")
        if not _NAME.match(short):
            raise ConfigError(f"{self.origin}: {short!r} is not a valid Avro name")
        class_name = short
        while class_name in _RESERVED_CLASS_NAMES or class_name in self.class_names:
            class_name += "_"
        return namespace, class_name

    def _avro_attributes(
        self, python: Any, fullname: str, namespace: str, class_name: str
    ) -> list[str]:
        lines = []
        short = fullname.rpartition(".")[2]
        if short != class_name:
            python.__avro_name__ = short
            lines.append(f"    __avro_name__ = {_lit(short)}")
        if namespace:
            python.__avro_namespace__ = namespace
            lines.append(f"    __avro_namespace__ = {_lit(namespace)}")
        return lines

    def _define(self, fullname: str, class_name: str, python: Any, lines: list[str]) -> _Type:
        self.class_names.add(class_name)
        self.blocks.append("\n".join(lines))
        result = _Type(class_name, python, converts=True)
        self.named[fullname] = result
        return result

    def _use(self, source: str) -> None:
        for name in ("Int32", "Int64", "datetime", "date", "time", "UUID", "AvroType"):
            if re.search(rf"\b{name}\b", source):
                self.used.add(name)
        if "Annotated" in source:
            self.used.add("Annotated")

    def render(self) -> str:
        used = self.used
        if used & {"Int32", "Int64"}:
            used |= {"Annotated", "Field"}
        stdlib = [
            ("datetime", sorted(used & {"date", "datetime", "time"})),
            ("decimal", sorted(used & {"Decimal"})),
            ("enum", sorted(used & {"StrEnum"})),
            ("typing", sorted(used & {"Annotated"})),
            ("uuid", sorted(used & {"UUID"})),
        ]
        lines = [
            f'"""Pydantic models generated from {self.origin} by `stream-engine schema model`."""'
        ]
        lines.append("")
        lines += [f"from {module} import {', '.join(names)}" for module, names in stdlib if names]
        lines += [
            "",
            "from pydantic import "
            + ", ".join(sorted(used & {"BaseModel", "ConfigDict", "Field"})),
        ]
        if "AvroType" in used:
            lines += ["", "from stream_engine.producer.avro_types import AvroType"]
        aliases = [f"{name} = {INT_ALIASES[name]}" for name in ("Int32", "Int64") if name in used]
        if aliases:
            lines += ["", *aliases]
        for block in self.blocks:
            lines += ["", "", block]
        return "\n".join(lines) + "\n"


def _python_name(avro_name: str, taken: set[str]) -> str:
    """A field name pydantic accepts; the Avro name stays as the field's alias."""
    name = avro_name
    if name.startswith("_"):
        name = name.lstrip("_") or "field"
    while keyword.iskeyword(name) or hasattr(BaseModel, name) or name in taken:
        name += "_"
    taken.add(name)
    return name


def _doc_lines(doc: Any) -> list[str]:
    if not doc:
        return []
    text = str(doc)
    if '"""' in text or "\\" in text or text.endswith('"'):
        return [f"    __doc__ = {_lit(text)}", ""]
    return [f'    """{text}"""', ""]


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """A parsed schema node without fastavro's bookkeeping keys."""
    return {k: v for k, v in schema.items() if not k.startswith("__")}


def _lit(value: Any) -> str:
    """A Python literal for generated source, with double-quoted strings as ruff writes them."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_lit(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_lit(k)}: {_lit(v)}" for k, v in value.items()) + "}"
    if isinstance(value, AvroType):
        return f"AvroType({_lit(value.schema)})"
    return repr(value)  # None, bool, int, float, bytes
