"""Derive an Avro record schema (.avsc JSON) from a pydantic model.

The inverse of avsc_to_model: what that module generates comes back as the same schema.
A type Avro cannot express is a ConfigError naming the model and field.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from stream_engine.errors import ConfigError
from stream_engine.producer.avro_types import INT32_MAX, INT32_MIN, AvroType

_SIMPLE: dict[Any, Any] = {
    bool: "boolean",
    float: "double",
    str: "string",
    bytes: "bytes",
    type(None): "null",
    dt.datetime: {"type": "long", "logicalType": "timestamp-millis"},
    dt.date: {"type": "int", "logicalType": "date"},
    dt.time: {"type": "int", "logicalType": "time-millis"},
    uuid.UUID: {"type": "string", "logicalType": "uuid"},
}
_NAMED = ("record", "error", "enum", "fixed")


def avsc_from_model(model: type[BaseModel]) -> dict[str, Any]:
    """The .avsc (as a dict) of a model; nested models become nested records."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ConfigError(f"{model!r} is not a pydantic model class")
    out = _Writer().record(model, None)
    assert isinstance(out, dict)  # the first occurrence of a record is written in full
    return out


@dataclass
class _Writer:
    defined: set[str] = field(default_factory=set)

    def record(self, model: type[BaseModel], enclosing: str | None) -> dict[str, Any] | str:
        name, namespace = _avro_name(model)
        scope = namespace or enclosing  # Avro: a name without namespace inherits the enclosing one
        fullname = f"{scope}.{name}" if scope else name
        if fullname in self.defined:
            return fullname
        self.defined.add(fullname)
        out: dict[str, Any] = {"type": "record", "name": name}
        if namespace and namespace != enclosing:
            out["namespace"] = namespace
        doc = model.__dict__.get("__doc__")
        if doc:
            out["doc"] = doc.strip()
        out["fields"] = [
            self.field(model, name, info, scope) for name, info in model.model_fields.items()
        ]
        return out

    def field(
        self, model: type[BaseModel], name: str, info: FieldInfo, scope: str | None
    ) -> dict[str, Any]:
        where = f"{model.__name__}.{name}"
        avro_type = self.type_of(info.annotation, list(info.metadata), where, scope)
        out: dict[str, Any] = {"name": info.serialization_alias or info.alias or name}
        if not info.is_required():
            default = info.get_default(call_default_factory=True)
            avro_type = _default_first(avro_type, default)
            out["type"] = avro_type
            out["default"] = _json_default(default, where)
        else:
            out["type"] = avro_type
        if info.description:
            out["doc"] = info.description
        return out

    def type_of(self, hint: Any, metadata: list[Any], where: str, scope: str | None) -> Any:
        while get_origin(hint) is Annotated:
            hint, *extra = get_args(hint)
            metadata = metadata + extra
        marker = next((m for m in metadata if isinstance(m, AvroType)), None)
        if marker is not None:
            return self._marked(marker.schema, scope)
        origin = get_origin(hint)
        if origin in (Union, types.UnionType):
            branches = [self.type_of(arg, [], where, scope) for arg in get_args(hint)]
            # `X | None` is Avro's ["null", X]: null first, the convention for optional
            return sorted(branches, key=lambda branch: branch != "null")
        if origin is Literal:
            return self._literal(get_args(hint), where, scope)
        if origin in (list, set, frozenset, Sequence) or (
            origin is tuple and len(get_args(hint)) == 2 and get_args(hint)[1] is Ellipsis
        ):
            items = get_args(hint)[0] if get_args(hint) else None
            return {"type": "array", "items": self.type_of(items, [], f"{where}[]", scope)}
        if origin in (dict, Mapping):
            key, value = get_args(hint) or (None, None)
            if key is not str:
                raise ConfigError(f"{where}: Avro maps need str keys, got {key!r}")
            return {"type": "map", "values": self.type_of(value, [], f"{where}{{}}", scope)}
        if isinstance(hint, type):
            return self._class(hint, metadata, where, scope)
        raise ConfigError(f"{where}: {hint!r} has no Avro type")

    def _class(self, hint: type, metadata: list[Any], where: str, scope: str | None) -> Any:
        if issubclass(hint, BaseModel):
            return self.record(hint, scope)
        if issubclass(hint, enum.Enum):
            return self._enum(hint, where, scope)
        if hint is int:
            return "int" if _fits_int32(metadata) else "long"
        if hint is Decimal:
            digits, places = _decimal_digits(metadata)
            if digits is None:
                raise ConfigError(
                    f"{where}: a Decimal needs max_digits (and decimal_places) for Avro's "
                    "decimal precision and scale"
                )
            return {
                "type": "bytes",
                "logicalType": "decimal",
                "precision": digits,
                "scale": places or 0,
            }
        if hint in _SIMPLE:
            return _SIMPLE[hint]
        raise ConfigError(f"{where}: {hint.__name__} has no Avro type")

    def _enum(self, hint: type[enum.Enum], where: str, scope: str | None) -> Any:
        name, namespace = _avro_name(hint)
        fullname = f"{namespace or scope}.{name}" if namespace or scope else name
        if fullname in self.defined:
            return fullname
        symbols = [member.value for member in hint]
        if not all(isinstance(s, str) for s in symbols):
            raise ConfigError(f"{where}: enum {hint.__name__} needs str values for Avro symbols")
        self.defined.add(fullname)
        out: dict[str, Any] = {"type": "enum", "name": name}
        if namespace and namespace != scope:
            out["namespace"] = namespace
        doc = hint.__dict__.get("__doc__")
        if doc and doc != enum.Enum.__doc__ and doc != enum.StrEnum.__doc__:
            out["doc"] = doc.strip()
        out["symbols"] = symbols
        default = getattr(hint, "__avro_default__", None)
        if default is not None:
            out["default"] = default
        return out

    def _literal(self, values: tuple[Any, ...], where: str, scope: str | None) -> Any:
        if not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{where}: only Literal strings map to Avro (as an enum)")
        name = "".join(part.capitalize() for part in where.rpartition(".")[2].split("_"))
        fullname = f"{scope}.{name}" if scope else name
        if fullname in self.defined:
            raise ConfigError(f"{where}: enum name {name} for this Literal is already used")
        self.defined.add(fullname)
        return {"type": "enum", "name": name, "symbols": list(values)}

    def _marked(self, schema: Any, scope: str | None) -> Any:
        """An AvroType as given, except that a named type already written goes by name."""
        if isinstance(schema, dict) and schema.get("type") in _NAMED and "name" in schema:
            name = str(schema["name"])
            namespace = schema.get("namespace")
            fullname = (
                name
                if "." in name or not (namespace or scope)
                else (f"{namespace or scope}.{name}")
            )
            if fullname in self.defined:
                return fullname
            self.defined.add(fullname)
        return schema


def _avro_name(cls: type) -> tuple[str, str | None]:
    name = getattr(cls, "__avro_name__", None) or cls.__name__
    namespace = getattr(cls, "__avro_namespace__", None)
    return str(name), (str(namespace) if namespace else None)


def _fits_int32(metadata: list[Any]) -> bool:
    """True when the int's bounds keep it in 32 bits: then it is Avro `int`, else `long`."""
    low: Any = None
    high: Any = None
    for item in _flatten(metadata):
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Gt):
            low = item.gt
        elif isinstance(item, annotated_types.Le):
            high = item.le
        elif isinstance(item, annotated_types.Lt):
            high = item.lt
    return low is not None and high is not None and low >= INT32_MIN and high <= INT32_MAX


def _decimal_digits(metadata: list[Any]) -> tuple[int | None, int | None]:
    digits = places = None
    for item in _flatten(metadata):
        digits = getattr(item, "max_digits", None) or digits
        places = getattr(item, "decimal_places", None) or places
    return digits, places


def _flatten(metadata: list[Any]) -> list[Any]:
    """FieldInfo objects inside Annotated carry their constraints in their own metadata."""
    out: list[Any] = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            out += item.metadata
        else:
            out.append(item)
    return out


def _default_first(avro_type: Any, default: Any) -> Any:
    """Avro checks a union's default against its first branch: put the matching one first."""
    if not isinstance(avro_type, list):
        return avro_type
    is_null = [branch == "null" for branch in avro_type]
    if default is None:
        return sorted(avro_type, key=lambda b: b != "null")
    if any(is_null):
        return [b for b in avro_type if b != "null"] + ["null"]
    return avro_type


def _json_default(value: Any, where: str) -> Any:
    """A Python default as Avro's JSON default (bytes as Latin-1 text, enums as symbols)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, enum.Enum):
        return _json_default(value.value, where)
    if isinstance(value, BaseModel):
        return _json_default(value.model_dump(by_alias=True), where)
    if isinstance(value, Mapping):
        return {str(k): _json_default(v, where) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_default(v, where) for v in value]
    raise ConfigError(
        f"{where}: the default {value!r} cannot be written in an .avsc; "
        "give the field an Avro-friendly default (number, text, bytes, list, dict, enum)"
    )
