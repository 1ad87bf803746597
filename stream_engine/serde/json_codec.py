"""JSON records via orjson: a value must be one JSON object."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson

from stream_engine.serde.errors import EncodeError, RecordDecodeError, one_line

_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


class JsonDecoder:
    """Decodes UTF-8 JSON objects. orjson rejects NaN/Infinity, invalid UTF-8 and depth > 1024."""

    def decode(self, data: bytes | None) -> dict[str, Any]:
        if data is None:
            raise RecordDecodeError("value is null (a tombstone), expected a JSON object")
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise RecordDecodeError(f"invalid JSON: {one_line(exc)}") from None
        if type(value) is not dict:
            kind = "null" if value is None else _KINDS.get(type(value), type(value).__name__)
            raise RecordDecodeError(f"JSON value is {kind}, expected an object")
        return value


class JsonEncoder:
    """Encodes records with orjson; numpy scalars, datetimes, Decimals and pandas values work."""

    def encode(self, value: Mapping[str, Any]) -> bytes:
        if not isinstance(value, dict):
            if not isinstance(value, Mapping):
                raise EncodeError(
                    f"cannot encode {type(value).__name__} as a JSON record: expected a mapping"
                )
            value = dict(value)
        try:
            return orjson.dumps(value, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError as exc:
            raise EncodeError(f"cannot encode record as JSON: {one_line(exc)}") from None


def _default(obj: Any) -> Any:
    """Values orjson leaves to us; anything else raises TypeError, which orjson reports."""
    module = type(obj).__module__
    if module.startswith("pandas") and type(obj).__name__ in ("NaTType", "NAType"):
        return None  # pandas' missing markers (NaT also subclasses datetime)
    if isinstance(obj, Decimal):
        # Exact digits as a JSON number; NaN and infinities become null, as floats do.
        return orjson.Fragment(str(obj).encode()) if obj.is_finite() else None
    if isinstance(obj, dt.datetime | dt.date | dt.time):
        return obj.isoformat()  # subclasses such as pandas.Timestamp
    if isinstance(obj, set | frozenset):
        return list(obj)
    raise TypeError  # orjson reports "Type is not JSON serializable: <type>"
